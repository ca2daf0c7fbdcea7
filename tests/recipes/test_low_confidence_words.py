"""low-confidence-words' whole recipe, run alone as a reader's script (tools/whole_recipe.py) against
the emulator: on a file that is not audio it checks the status, as Step 5 does, and raises with the
API's error instead of asking a failed transcript for its sentences."""

from __future__ import annotations

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_raises_on_a_failed_transcript_and_asks_for_no_sentences(tmp_path):
    from tools.emulator import Emulator

    not_audio = tmp_path / "call.mp3"
    not_audio.write_text("Agenda for Monday. Not a recording.\n")
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("low-confidence-words"), as_version=4))
    with Emulator(api_key="low-confidence-key", notebook="low-confidence-words") as emulator:
        script = as_script(source, real_origins(emulator))
        script = script.replace(repr(str(paths.audio_file("support-call.mp3"))), repr(str(not_audio)))
        run = run_script(script, script_env(emulator), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio" in run.stderr
    assert "sentences" not in run.stderr  # the error is the transcript's, not the sentences endpoint's
