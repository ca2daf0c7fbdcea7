"""dialogue-data-csv's whole recipe in one cell, run alone as a pasted script: the longest interview's
reply is cut at max_tokens and asked again once with more room; a record that breaks the schema's rules
is asked again once with the validation error in the prompt, and kept as a failure with its reason if
it breaks them again; a failed transcription becomes a row with its reason; the other interviews still
make the CSV."""

import json

import pytest

from tests.recipes.whole_recipe_alone import answers_changed, run_replaced
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def _chat_calls(alone) -> list:
    return [path for _, path in alone.requests if path == "/v1/chat/completions"]


def test_the_whole_recipe_asks_a_cut_reply_again_with_more_room():
    alone = run_replaced("dialogue-data-csv")
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert alone.run.stdout == alone.shown
    assert "failed" not in alone.shown, "every interview ends as a record once the cut one is asked again"
    assert len(_chat_calls(alone)) == 4, "three interviews, and the cut one once more"


def test_the_whole_recipe_gives_up_on_a_cut_reply_after_one_more_try():
    alone = run_replaced("dialogue-data-csv", {"MAX_TOKENS = 110": "MAX_TOKENS = 20"})
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert alone.run.stdout.count("failed: asked twice: the reply was cut at max_tokens=80") == 3
    assert len(_chat_calls(alone)) == 6


def test_a_record_that_breaks_the_rules_is_asked_again_with_the_error_then_reported(tmp_path):
    def not_a_number(text: str) -> str:
        record = json.loads(text)
        record["hours_lost_per_month"] = "an evening"  # not a number: pydantic refuses it
        return json.dumps(record)

    data = answers_changed(tmp_path, "dialogue-data-csv", "2.json", not_a_number)
    alone = run_replaced("dialogue-data-csv", data_dir=data)
    out = alone.run.stdout
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert "interview-freelancer" in out and "failed: asked twice: hours_lost_per_month:" in out
    assert "interview-studio-owner" in out and "owner of a design studio" in out
    asked = [body["messages"][-1]["content"] for body in alone.chats if "translate" in json.dumps(body)]
    assert len(asked) == 2 and "Your last record was refused: hours_lost_per_month" in asked[1]


def test_the_whole_recipe_keeps_a_failed_transcription_as_a_row(tmp_path):
    notes = tmp_path / "notes.mp3"
    notes.write_text("meeting notes, not audio\n" * 50)
    alone = run_replaced(
        "dialogue-data-csv",
        {'str(session.audio("interview-operations-manager.mp3"))': repr(str(notes))},
        cwd=tmp_path,
    )
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    lines = alone.run.stdout.splitlines()
    assert lines[0] == "interviews.csv: 3 rows, 11 columns"
    assert lines[1].startswith("interview-studio-owner") and lines[1].endswith("owner of a design studio")
    assert lines[3].startswith("notes") and "failed: transcription failed: " in lines[3]
    assert len(_chat_calls(alone)) == 2  # nothing asked for the failed one
