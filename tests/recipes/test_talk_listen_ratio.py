"""The lesson code of talk-listen-ratio, run on hand-made spans where the right answer is known
(the recorded transcript has no crosstalk)."""

import math

import pytest

from tests.recipes.whole_recipe_alone import replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def talk():
    return load_definitions("talk-listen-ratio", ["merge", "overlap_and_speech", "talk_table", "timeline_parts"])


def test_merge_joins_touching_and_overlapping_spans(talk):
    assert talk["merge"]([(5, 9), (0, 2), (2, 4), (8, 12)]) == [(0, 4), (5, 12)]


def test_overlap_and_silence_are_counted_once(talk):
    spans = {"A": [(0, 5000)], "B": [(4000, 8000)], "C": [(4500, 6000), (9000, 10000)]}
    overlap, speech = talk["overlap_and_speech"](spans)
    assert (overlap, speech) == (2000, 9000)  # 4000-6000 has two or more voices
    parts = talk["timeline_parts"](spans, 12000)
    assert parts["overlap"] == 2.0 and parts["silence"] == 3.0
    assert parts["A alone"] == 4.0 and parts["B alone"] == 2.0 and parts["C alone"] == 1.0
    assert math.isclose(sum(parts.values()), 12.0)


def test_talk_listen_ratio_with_crosstalk(talk):
    table = talk["talk_table"]({"A": [(0, 6000)], "B": [(4000, 8000)]})
    assert table.loc["A", "talk_s"] == 6.0 and table.loc["A", "listen_s"] == 2.0  # B alone: 6000-8000
    assert table.loc["A", "talk_listen_ratio"] == 3.0
    assert table.loc["B", "listen_s"] == 4.0 and table.loc["B", "talk_listen_ratio"] == 1.0
    assert table["share"].sum() == pytest.approx(1.0, abs=0.01)


def test_one_speaker_has_no_ratio(talk):
    table = talk["talk_table"]({"A": [(0, 4800)]})
    assert table.loc["A", "listen_s"] == 0 and math.isnan(table.loc["A", "talk_listen_ratio"])


# --- the whole recipe, run alone ------------------------------------------------------------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_leaves_the_ratio_of_a_single_voice_empty():
    """One voice only (the call's first five seconds, as in Step 6): no listening, so the ratio is
    empty, not infinite, and the script says so."""
    one_voice = replaced("speaker_labels=True)", "speaker_labels=True, audio_end_at=5000)")
    run = run_alone(
        "talk-listen-ratio", lambda script: one_voice(script).replace("team-meeting.mp3", "support-call.mp3")
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("One speaker (A): no talk/listen ratio for this recording.\n")
    assert run.stdout.splitlines()[-1].split()[-1] == "NaN"
