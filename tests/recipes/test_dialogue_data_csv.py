"""dialogue-data-csv's whole recipe in one cell, run alone as a pasted script: a record that does not
validate (the freelancer's shipped reference answer gives hours as text) and a failed transcription
each become a row with its reason, as in the steps, and the other interviews still make the CSV."""

import pytest

from tests.recipes.whole_recipe_alone import run_replaced
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def test_the_whole_recipe_keeps_an_invalid_record_with_its_reason():
    alone = run_replaced("dialogue-data-csv")
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert alone.run.stdout == alone.shown
    assert "interview-freelancer invalid: hours_lost_per_month: Input should be a valid" in alone.shown


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
    assert lines[0] == "interviews.csv: 3 rows, 10 columns"
    assert lines[1] == "interview-studio-owner team of 6"
    assert lines[3].startswith("notes invalid: transcription failed: ")
    assert sum(path == "/v1/chat/completions" for _, path in alone.requests) == 2  # nothing asked for it
