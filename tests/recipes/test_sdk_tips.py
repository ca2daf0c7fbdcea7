"""sdk-tips' whole recipe, run alone as a reader's script (tools/whole_recipe.py) against the emulator,
meets the two failures it logs: a transcript that fails (a file that is not audio) and a request the
API refuses (an upload answered 503). Each is logged with its error, and the rest is saved."""

from __future__ import annotations

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def _run(tmp_path, *, swap: dict[str, str] | None = None, **emulator_settings):
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path("sdk-tips"), as_version=4)
    _, source = whole_recipe_cell(nb)
    with Emulator(api_key="sdk-tips-key", notebook="sdk-tips", **emulator_settings) as emulator:
        script = as_script(source, real_origins(emulator))
        for old, new in (swap or {}).items():
            assert old in script
            script = script.replace(old, new)
        return run_script(script, script_env(emulator), cwd=tmp_path)


def test_a_failed_transcript_is_logged_with_its_error_and_not_saved(tmp_path):
    not_audio = tmp_path / "notes.mp3"
    not_audio.write_text("Agenda for Monday. Not a recording.\n")
    run = _run(tmp_path, swap={repr(str(paths.audio_file("clip-de.mp3"))): repr(str(not_audio))})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == "saved 1 transcripts as JSON\n"
    assert "ERROR: transcript " in run.stderr
    assert "failed: Transcoding failed. File does not appear to contain audio" in run.stderr


def test_a_refused_upload_is_logged_as_a_failed_request_and_the_other_file_is_saved(tmp_path):
    from tools.emulator.faults import Fault, FaultPlan

    plan = FaultPlan([Fault("503", method="POST", path="/v2/upload", nth=[1])])
    run = _run(tmp_path, faults=plan)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == "saved 1 transcripts as JSON\n"
    assert "ERROR: request failed: Failed to upload audio file" in run.stderr
