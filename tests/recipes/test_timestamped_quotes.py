"""Quote location and verification as timestamped-quotes teaches them, on words we make up."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.recipes.whole_recipe_alone import answers_changed, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

TEXT = (
    "The signal drops in the tunnels, and when the app goes offline the running timer just stops. "
    "Sometimes it loses the whole session. I write my start and stop times on paper."
)


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "timestamped-quotes", ["locate_quote", "check_quote", "sentence_start", "clock", "parse_clock"]
    )


def _words(text: str, start: int, speaker: str) -> list[SimpleNamespace]:
    # One word every 400 ms, as the API gives them: text with its punctuation, and the speaker.
    return [
        SimpleNamespace(text=t, start=start + 400 * i, end=start + 300 + 400 * i, speaker=speaker)
        for i, t in enumerate(text.split())
    ]


@pytest.fixture(scope="module")
def words() -> list[SimpleNamespace]:
    return _words(TEXT, 29_000, "A")


@pytest.fixture(scope="module")
def sentences(words) -> list[SimpleNamespace]:
    # The three sentences of TEXT: words 0-16, 17-22, 23-30.
    bounds = [(0, 16), (17, 22), (23, len(words) - 1)]
    return [SimpleNamespace(start=words[a].start, end=words[b].end) for a, b in bounds]


def test_a_quote_is_found_whatever_its_case_and_punctuation(nb, words) -> None:
    assert nb["locate_quote"]("the signal drops in the tunnels", words) == [(29_000, 31_300, "A")]
    found = nb["locate_quote"]("Sometimes, it loses the WHOLE session!", words)
    assert found == [(29_000 + 400 * 17, 29_300 + 400 * 22, "A")]


def test_a_quote_spanning_two_sentences_is_found(nb, words) -> None:
    found = nb["locate_quote"]("the running timer just stops. Sometimes it loses", words)
    assert found == [(29_000 + 400 * 12, 29_300 + 400 * 19, "A")]


def test_a_quote_not_in_the_transcript_is_not_found(nb, words) -> None:
    assert nb["locate_quote"]("I would switch to another app tomorrow", words) == []
    assert nb["locate_quote"]("the signal drops in the train", words) == []  # one word off


def test_every_occurrence_is_found(nb) -> None:
    words = _words("Thanks. That is the chore. Later: that is the chore.", 10_000, "A")
    assert [start for start, _, _ in nb["locate_quote"]("that is the chore", words)] == [10_400, 12_400]


def test_the_check_verifies_text_and_time(nb, words, sentences) -> None:
    def check(quote: str, stamp: str, speaker: str = "A") -> str:
        return nb["check_quote"]({"quote": quote, "timestamp": stamp, "speaker": speaker}, words, sentences, "A")

    assert check("The signal drops in the tunnels", "0:29") == "verified"
    assert check("The signal drops in the tunnels", "0:31") == "verified"
    assert check("The signal drops in the tunnels", "0:20") == "said at 0:29, not 0:20"
    assert check("Nobody said this at all", "0:29") == "not in the transcript"


def test_the_time_is_the_start_of_the_sentence_the_quote_is_in(nb, words, sentences) -> None:
    # "the running timer just stops" starts 4.8 s into its sentence, which starts at 0:29: the
    # prompt asks for the line's timestamp, so 0:29 is right and the word's own 0:33 is not needed.
    item = {"quote": "the running timer just stops", "timestamp": "0:29", "speaker": "A"}
    assert nb["check_quote"](item, words, sentences, "A") == "verified"
    assert nb["sentence_start"](33_800, sentences) == 29_000


def test_a_repeated_line_passes_at_any_of_its_places(nb) -> None:
    words = _words("That is the chore. " + "filler " * 40 + "That is the chore.", 10_000, "A")
    sentences = [SimpleNamespace(start=w.start, end=w.end) for w in words]  # one word each: the word's time
    item = {"quote": "That is the chore.", "timestamp": "0:27", "speaker": "A"}  # the second, at 27.6 s
    assert nb["check_quote"](item, words, sentences, "A") == "verified"
    assert nb["check_quote"]({**item, "timestamp": "0:45"}, words, sentences, "A") == "said at 0:10, not 0:45"


def test_the_speaker_is_checked(nb, sentences) -> None:
    words = _words("That sounds frustrating.", 42_000, "B") + _words("I write it on paper.", 46_000, "A")
    interviewer = {"quote": "That sounds frustrating", "timestamp": "0:42", "speaker": "B"}
    assert nb["check_quote"](interviewer, words, [], "A") == "said by Speaker B, not the interviewee"
    wrong_label = {"quote": "I write it on paper", "timestamp": "0:46", "speaker": "B"}
    assert nb["check_quote"](wrong_label, words, [], "A") == "said by Speaker A, not B"
    assert nb["check_quote"]({**wrong_label, "speaker": "Speaker A"}, words, [], "A") == "verified"


def test_clock_and_parse_clock_round_trip(nb) -> None:
    for ms in (0, 59_000, 61_000, 3_599_000):
        assert nb["parse_clock"](nb["clock"](ms)) == ms
    assert nb["parse_clock"]("[1:05]") == 65_000


# --- the whole recipe, run alone (tools.whole_recipe) with the failure its steps handle ------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_leaves_out_a_quote_whose_time_is_wrong(tmp_path) -> None:
    def shift_the_first(text: str) -> str:
        answer = json.loads(text)
        answer["quotes"][0]["timestamp"] = "0:10"  # said at 0:29
        return json.dumps(answer)

    data = answers_changed(tmp_path, "timestamped-quotes", "1.json", shift_the_first)
    run = run_alone("timestamped-quotes", data_dir=data)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == [
        "left out (said at 0:29, not 0:10)",
        "[0:46] I write my start and stop times on paper as a backup, which defeats the point of",
        "       the app.",
        "left out (said at 0:54, not 0:20)",
        "left out (not in the transcript)",
    ]


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_refuses_quotes_cut_off_at_max_tokens() -> None:
    run = run_alone("timestamped-quotes", replaced("max_tokens=1000", "max_tokens=60"))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: The quotes were cut off ('max_tokens'): raise max_tokens" in run.stderr
