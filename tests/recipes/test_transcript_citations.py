"""transcript-citations' lesson on its own functions: passages cut from sentences, windows within one
turn, the gateway request and the check of its reply, and the nearest-neighbour search."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import assemblyai as aai
import numpy as np
import pytest

from cookbook_utils.yamlio import load_yaml
from tests.recipes.whole_recipe_alone import audio_replaced, not_audio_file, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

POINTS_SCHEMA = {
    "type": "object",
    "properties": {"points": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    "required": ["points"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "transcript-citations",
        ["Passage", "passages_from", "sliding_windows", "ask_json", "read_json", "search_passages"],
        ("LLM_MODEL",),
        whole_recipe=False,  # the steps' functions, without the whole recipe's model import
    )


def sentence(text: str, start: int, end: int, speaker: str | None) -> SimpleNamespace:
    return SimpleNamespace(text=text, start=start, end=end, speaker=speaker)


# --- Step 2: passages and windows ----------------------------------------------------------------


def test_passages_from_joins_short_sentences_to_the_same_speakers_next(nb) -> None:
    Passage = nb["Passage"]
    sentences = [
        aai.types.Sentence(
            text="The timer stops.", start=100, end=900, confidence=0.9, words=[], speaker="B", channel=None
        ),
        sentence("  ", 900, 950, "B"),
        sentence("Sure.", 1_000, 1_300, "A"),
        sentence("Tell me more.", 1_400, 2_000, "A"),
        sentence("Okay.", 2_100, 2_400, "B"),
        sentence("It happens every week.", 2_500, 4_000, "A"),
        sentence("Right.", 4_100, 4_300, "B"),
    ]
    assert nb["passages_from"]("t1", sentences, min_words=2) == [
        Passage("t1", "The timer stops.", 100, 900, "B"),
        Passage("t1", "Sure. Tell me more.", 1_000, 2_000, "A"),  # joined to the same speaker's next
        Passage("t1", "Okay.", 2_100, 2_400, "B"),  # the next is another speaker's: kept alone
        Passage("t1", "It happens every week.", 2_500, 4_000, "A"),
        Passage("t1", "Right.", 4_100, 4_300, "B"),  # the last one is kept
    ]
    every = nb["passages_from"]("t1", sentences)  # min_words=1: only the blank sentence goes
    texts = ["The timer stops.", "Sure.", "Tell me more.", "Okay.", "It happens every week.", "Right."]
    assert [p.text for p in every] == texts


def test_a_run_of_short_sentences_joins_up_to_the_first_long_enough(nb) -> None:
    sentences = [
        sentence("Yes.", 0, 500, "B"),
        sentence("Well.", 600, 900, "B"),
        sentence("It froze.", 1_000, 1_500, "B"),
    ]
    (passage,) = nb["passages_from"]("t", sentences, min_words=3)
    assert (passage.text, passage.start, passage.end) == ("Yes. Well. It froze.", 0, 1_500)


def test_sliding_windows_stay_within_one_speaker_and_transcript(nb) -> None:
    Passage = nb["Passage"]
    passages = [
        Passage("t1", "One.", 0, 1_000, "B"),
        Passage("t1", "Two.", 1_000, 2_000, "B"),
        Passage("t1", "Three.", 2_000, 3_000, "B"),
        Passage("t1", "Question?", 3_000, 4_000, "A"),
        Passage("t2", "Four.", 0, 500, "A"),
    ]
    assert [(w.text, w.start, w.end) for w in nb["sliding_windows"](passages, 2)] == [
        ("One. Two.", 0, 2_000),
        ("Two. Three.", 1_000, 3_000),
        ("Three.", 2_000, 3_000),
        ("Question?", 3_000, 4_000),
        ("Four.", 0, 500),  # "Question?" is t1's, "Four." t2's, although both are speaker A
    ]
    assert nb["sliding_windows"](passages, 1) == passages
    assert nb["sliding_windows"](passages, 3)[0].text == "One. Two. Three."
    assert nb["sliding_windows"](passages)[0].speaker == "B"


# --- Step 5: the gateway call and its reply ------------------------------------------------------


def completion(content: str, finish_reason: str = "stop") -> SimpleNamespace:
    choice = SimpleNamespace(message=SimpleNamespace(content=content), finish_reason=finish_reason)
    return SimpleNamespace(choices=[choice], usage=SimpleNamespace(prompt_tokens=12, completion_tokens=5))


def test_ask_json_sends_the_system_message_first_and_a_strict_schema(nb, monkeypatch) -> None:
    sent = []

    class FakeGateway:
        def __init__(self):
            create = lambda **request: sent.append(request) or completion('{"points": ["Lost time offline."]}')  # noqa: E731
            self.chat = SimpleNamespace(completions=SimpleNamespace(create=create))

    monkeypatch.setattr(aai, "LLMGateway", FakeGateway)
    reply, usage = nb["ask_json"](
        "The interviews.\n\nWhere is time lost?", "Use only the interviews.", POINTS_SCHEMA, "points"
    )
    assert reply == {"points": ["Lost time offline."]} and usage.prompt_tokens == 12
    assert sent == [
        {
            "model": nb["LLM_MODEL"],
            "messages": [
                {"role": "system", "content": "Use only the interviews."},
                {"role": "user", "content": "The interviews.\n\nWhere is time lost?"},
            ],
            "max_tokens": 1000,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "points", "schema": POINTS_SCHEMA, "strict": True},
            },
        }
    ]


def test_the_requests_are_the_recorded_ones(nb) -> None:
    """The two recorded chat requests carry the model, the limit and the strict schemas the notebook sends."""

    from cookbook_utils import paths

    cassette = load_yaml(paths.cassette_path("transcript-citations").read_text())
    bodies = [json.loads(i["request"]["body"]) for i in cassette["interactions"] if "chat" in i["request"]["uri"]]
    assert [b["response_format"]["json_schema"]["name"] for b in bodies] == ["points", "action_items"]
    assert bodies[0]["response_format"]["json_schema"]["schema"] == POINTS_SCHEMA
    for body in bodies:
        assert body["model"] == nb["LLM_MODEL"] and body["max_tokens"] == 1000
        assert body["response_format"]["json_schema"]["strict"] is True
        assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_a_good_reply_is_parsed(nb) -> None:
    assert nb["read_json"](completion('  {"points": ["a", "b"]} '), POINTS_SCHEMA) == {"points": ["a", "b"]}


@pytest.mark.parametrize("reason", ["refusal", "content_filter"])
def test_a_reply_that_did_not_finish_is_refused(nb, reason) -> None:
    with pytest.raises(ValueError, match=f"did not finish \\(finish_reason='{reason}'\\)"):
        nb["read_json"](completion('{"points": ["Mo', finish_reason=reason), POINTS_SCHEMA)


@pytest.mark.parametrize("reason", ["length", "max_tokens"])
def test_a_reply_cut_off_in_either_familys_words_is_refused(nb, reason) -> None:
    with pytest.raises(ValueError, match=f"cut off at max_tokens \\(finish_reason='{reason}'\\)"):
        nb["read_json"](completion('{"points": ["Mo', finish_reason=reason), POINTS_SCHEMA)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"points": ["The timer stops"]', "Expecting ',' delimiter"),  # cut short
        ("Sure! Customers lose time offline.", "Expecting value"),  # prose instead of JSON
        ("", "Expecting value"),
        ('```json\n{"points": ["a"]}\n```', "Expecting value"),  # a fence is not JSON
        ('{"answer": ["a"]}', "'points' is a required property"),
        ('{"points": []}', "[] should be non-empty"),
        ('{"points": [7]}', "7 is not of type 'string'"),
        ('{"points": ["a"], "mood": "calm"}', "Additional properties are not allowed"),
    ],
)
def test_a_reply_that_is_not_the_json_asked_for_is_refused(nb, content, expected) -> None:
    with pytest.raises(ValueError, match="the reply does not fit the schema") as caught:
        nb["read_json"](completion(content), POINTS_SCHEMA)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


# --- Step 4: the search ---------------------------------------------------------------------------


class WordsEmbedder:
    """One dimension per word: the cosine similarity is the shared words over the norms."""

    def __init__(self):
        self.vocabulary: dict[str, int] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        words = [t.lower().replace(".", "").split() for t in texts]
        vectors = np.zeros((len(texts), 64))
        for row, ws in enumerate(words):
            for word in ws:
                vectors[row, self.vocabulary.setdefault(word, len(self.vocabulary))] += 1
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def search(nb) -> dict:
    """The notebook's search over four passages, its index built as Step 4 builds it."""
    Passage = nb["Passage"]
    passages = [
        Passage("call-1", "the timer stops offline", 1_000, 4_000, "B"),
        Passage("call-1", "the export writes wrong dates", 65_000, 69_500, "B"),
        Passage("call-2", "offline the timer loses hours", 3_723_000, 3_730_000, "B"),
        Passage("call-3", "seats cost too much", 10_000, 12_000, "B"),
    ]
    embed = WordsEmbedder()
    vectors = embed([p.text for p in passages])
    nb.update(
        passages=passages,
        embed=embed,
        neighbours=nb["NearestNeighbors"](metric="cosine", algorithm="brute").fit(vectors),
    )
    return nb


def test_search_ranks_passages_by_cosine_similarity(search) -> None:
    hits = search["search_passages"]("timer offline", k=3)
    assert [p.text for p, _ in hits[:2]] == ["the timer stops offline", "offline the timer loses hours"]
    assert hits[0][1] == pytest.approx(2 / math.sqrt(2 * 4))  # 2 shared words of 2 and of 4
    assert hits[1][1] == pytest.approx(2 / math.sqrt(2 * 5))
    assert hits[2][1] == pytest.approx(0.0, abs=1e-9)
    assert search["search_passages"]("wrong dates", k=1)[0][0].start == 65_000
    (passage, score), *_ = search["search_passages"]("seats", k=4)
    assert (passage.transcript_id, score) == ("call-3", pytest.approx(0.5))


def test_search_keeps_only_hits_at_or_above_min_score(search) -> None:
    hits = search["search_passages"]("timer offline", k=4, min_score=0.6)
    assert [p.transcript_id for p, _ in hits] == ["call-1", "call-2"]
    assert search["search_passages"]("timer offline", k=4, min_score=0.7) == hits[:1]
    assert search["search_passages"]("seats", k=4, min_score=0.5)[0][0].transcript_id == "call-3"
    assert search["search_passages"]("invoices", k=4, min_score=0.1) == []


def test_k_larger_than_the_passages_returns_every_passage_once(search) -> None:
    hits = search["search_passages"]("timer", k=50)
    assert sorted(p.start for p, _ in hits) == [1_000, 10_000, 65_000, 3_723_000]
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


# --- the whole recipe, run alone (tools.whole_recipe) with what its steps handle --------------------

needs_specs = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
CLAIMS = (
    'claims = [\n    "Invoices are retyped into accounting software by hand",\n'
    '    "The desktop app is slow to start",\n]'
)


@needs_specs
def test_the_whole_recipe_stops_at_a_failed_transcript_and_names_its_file(tmp_path) -> None:
    bad = not_audio_file(tmp_path)
    run = run_alone("transcript-citations", audio_replaced("interview-freelancer.mp3", bad))
    assert run.returncode == 1 and run.stdout == ""
    assert f"RuntimeError: {bad}: " in run.stderr


@needs_specs
def test_the_whole_recipe_cites_only_the_interviewees_words() -> None:
    # The freelancer's interviewer asks this word for word; only the interviewee's answers are evidence.
    question = "Where do you usually track your time?"
    run = run_alone("transcript-citations", replaced(CLAIMS, f"claims = [{question!r}]"))
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0] == question and len(lines) >= 2  # the claim, its score, its quote wrapped whole
    assert question not in " ".join(line.strip() for line in lines[1:])
