"""Quote location and verification as timestamped-quotes teaches them, on words we make up."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.recipes.whole_recipe_alone import answers_changed, run_alone
from tools import spec
from tools.notebook_code import load_definitions

TEXT = (
    "The signal drops in the tunnels, and when the app goes offline the running timer just stops. "
    "Sometimes it loses the whole session. I write my start and stop times on paper."
)


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions("timestamped-quotes", ["locate_quote", "check_quote", "clock", "parse_clock"])


@pytest.fixture(scope="module")
def words() -> list[SimpleNamespace]:
    # One word every 400 ms from 29 s on, as the API gives them: text with its punctuation.
    return [SimpleNamespace(text=t, start=29_000 + 400 * i, end=29_300 + 400 * i) for i, t in enumerate(TEXT.split())]


def test_a_quote_is_found_whatever_its_case_and_punctuation(nb, words) -> None:
    assert nb["locate_quote"]("the signal drops in the tunnels", words) == (29_000, 31_300)
    assert nb["locate_quote"]("Sometimes, it loses the WHOLE session!", words) == (29_000 + 400 * 17, 29_300 + 400 * 22)


def test_a_quote_spanning_two_sentences_is_found(nb, words) -> None:
    found = nb["locate_quote"]("the running timer just stops. Sometimes it loses", words)
    assert found == (29_000 + 400 * 12, 29_300 + 400 * 19)


def test_a_quote_not_in_the_transcript_is_not_found(nb, words) -> None:
    assert nb["locate_quote"]("I would switch to another app tomorrow", words) is None
    assert nb["locate_quote"]("the signal drops in the train", words) is None  # one word off


def test_the_check_verifies_text_and_time(nb, words) -> None:
    check = nb["check_quote"]
    assert check({"quote": "The signal drops in the tunnels", "timestamp": "0:29"}, words) == "verified"
    assert check({"quote": "The signal drops in the tunnels", "timestamp": "0:31"}, words) == "verified"
    assert check({"quote": "The signal drops in the tunnels", "timestamp": "0:20"}, words) == "said at 0:29, not 0:20"
    assert check({"quote": "Nobody said this at all", "timestamp": "0:29"}, words) == "not in the transcript"


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
        "[0:46] I write my start and stop times on paper as a backup, which defeats the [...]",
        "left out (said at 0:54, not 0:20)",
        "left out (not in the transcript)",
    ]
