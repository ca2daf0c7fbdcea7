"""speaker-labels: the whole recipe, run alone as a pasted script, meets the two failures its steps
check for: a failed transcription, and a transcript without utterances."""

from __future__ import annotations

import pytest

from tests.recipes.whole_recipe_alone import audio_literal, not_audio, replaced, run_alone
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
SLUG = "speaker-labels"


def test_the_whole_recipe_raises_a_failed_transcription_with_its_reason(tmp_path):
    run = run_alone(SLUG, replaced(audio_literal("support-call.mp3"), not_audio(tmp_path)))
    assert run.returncode == 1
    assert "RuntimeError: Transcription failed: " in run.stderr
    assert run.stdout == ""


def test_the_whole_recipe_refuses_a_transcript_without_utterances():
    """With speaker labels left off, the transcript has no utterances: refused, not an empty dialogue."""
    run = run_alone(
        SLUG,
        replaced("speaker_labels=True,\n        speakers_expected", "speaker_labels=False,\n        speakers_expected"),
    )
    assert run.returncode == 1
    assert "RuntimeError: No utterances: transcribe with speaker_labels=True" in run.stderr


def test_the_whole_recipe_refuses_a_count_and_a_range_together():
    """The API refuses speakers_expected with speaker_options; the recipe says so before sending anything."""
    call = "dialogue(" + audio_literal("support-call.mp3") + ")"
    run = run_alone(SLUG, replaced(call, call[:-1] + ", speakers_expected=2, speaker_range=(2, 3))"))
    assert run.returncode == 1
    assert "ValueError: Give speakers_expected or speaker_range, not both" in run.stderr
