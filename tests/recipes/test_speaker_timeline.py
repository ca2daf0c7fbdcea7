"""The lesson code of speaker-timeline, run on hand-made spans where the right answer is known."""

import pytest

from tests.recipes.whole_recipe_alone import audio_literal, not_audio, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def timeline():
    return load_definitions("speaker-timeline", ["match", "agreement", "speaker_at", "overlap_s"])


def test_transcript_labels_are_matched_to_the_script_by_overlap(timeline):
    truth = {"A": [(0.0, 5.0), (10.0, 5.0)], "B": [(5.0, 5.0)]}
    swapped = {"A": [(5.0, 5.0)], "B": [(0.0, 5.0), (10.0, 5.0)]}
    assert timeline["match"](swapped, truth) == {"A": "B", "B": "A"}
    assert timeline["agreement"](swapped, truth) == pytest.approx(1.0)


def test_agreement_counts_wrong_and_missing_speakers(timeline):
    truth = {"A": [(0.0, 5.0)], "B": [(5.0, 5.0)]}
    heard = {"A": [(0.0, 7.5)]}  # A is heard over half of B's turn; the rest of B is missed
    assert timeline["agreement"](heard, truth) == pytest.approx(0.5, abs=0.02)


def test_a_name_the_notebook_does_not_define_is_an_error():
    with pytest.raises(LookupError, match="no_such_function"):
        load_definitions("speaker-timeline", ["no_such_function"])


# --- the whole recipe, run alone ------------------------------------------------------------------

needs_emulator = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_emulator
def test_the_whole_recipe_refuses_a_transcript_without_utterances():
    """Speaker labels left off: refused with what to change, as ``speaker_bars`` does in Step 8."""
    run = run_alone("speaker-timeline", replaced("speaker_labels=True)", "speaker_labels=False)"))
    assert run.returncode == 1
    assert "ValueError: This transcript has no utterances: transcribe with speaker_labels=True." in run.stderr


@needs_emulator
def test_the_whole_recipe_raises_a_failed_transcription(tmp_path):
    run = run_alone("speaker-timeline", replaced(audio_literal("team-meeting.mp3"), not_audio(tmp_path)))
    assert run.returncode == 1
    assert "RuntimeError: Transcription failed: " in run.stderr
