"""speaker-labels-llm's whole recipe, run alone (``tools.whole_recipe``) with the failures its steps
handle: a per-speaker answer that names a label the transcript does not have, a failed transcript."""

from __future__ import annotations

import json

import pytest

from tests.recipes.whole_recipe_alone import answers_changed, audio_replaced, not_audio_file, run_alone
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def test_the_whole_recipe_refuses_a_speaker_the_transcript_does_not_have(tmp_path) -> None:
    def invent_a_speaker(text: str) -> str:
        answer = json.loads(text)
        answer["speakers"][0]["label"] = "E"
        return json.dumps(answer)

    data = answers_changed(tmp_path, "speaker-labels-llm", "3.json", invent_a_speaker)
    run = run_alone("speaker-labels-llm", data_dir=data)
    assert run.returncode == 1
    assert "Speaker A proposed the fix" in run.stdout and "Speaker E" not in run.stdout
    assert "ValueError: labels not in the transcript: ['E']; known: ['A', 'B', 'C', 'D']" in run.stderr


def test_the_whole_recipe_stops_at_a_failed_transcript(tmp_path) -> None:
    run = run_alone("speaker-labels-llm", audio_replaced("team-meeting.mp3", not_audio_file(tmp_path)))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: Transcription failed:" in run.stderr
