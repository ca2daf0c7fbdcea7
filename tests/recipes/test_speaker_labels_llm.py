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


def test_the_whole_recipe_refuses_an_answer_that_leaves_a_speaker_out(tmp_path) -> None:
    def leave_one_out(text: str) -> str:
        answer = json.loads(text)
        answer["speakers"] = answer["speakers"][1:]
        return json.dumps(answer)

    data = answers_changed(tmp_path, "speaker-labels-llm", "3.json", leave_one_out)
    run = run_alone("speaker-labels-llm", data_dir=data)
    assert run.returncode == 1
    assert "ValueError: every speaker once: missing ['D']" in run.stderr


def test_the_steps_check_refuses_a_missing_invented_or_doubled_speaker() -> None:
    from tools.notebook_code import load_definitions

    check = load_definitions("speaker-labels-llm", ["check_labels"])["check_labels"]
    known = {"A", "B"}

    def reply(*labels: str) -> str:
        return json.dumps({"speakers": [{"label": x, "likely_role": "r", "commitments": []} for x in labels]})

    assert [e["label"] for e in check(reply("B", "A"), known)] == ["B", "A"]
    for bad, message in (
        (reply("A"), r"missing \['B'\]"),
        (reply("A", "E"), "not in the transcript: \\['E'\\]"),
        (reply("A", "A", "B"), "every speaker once"),
    ):
        with pytest.raises(ValueError, match=message):
            check(bad, known)
