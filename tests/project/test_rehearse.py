"""``tools/rehearse.py``: a notebook run live against the internet-faithful emulator ends "ran", "stopped
for setup: <variable>" (a ``SetupNeeded`` shown without a traceback) or "failed: <reason>", and a
loopback URL sent to the API fails it, whatever else happened. Small notebooks written here stand in
for recipes; each runs as ``speaker-labels`` (its setup and recording)."""

from __future__ import annotations

import nbformat
import pytest

from tools import spec
from tools.rehearse import Outcome, judge, rehearse_one, summary

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")

SETUP = 'import cookbook_utils as cu\nsession = cu.setup("speaker-labels")'
TRANSCRIBE = """import assemblyai as aai
transcript = aai.Transcriber(config=aai.TranscriptionConfig(speech_models=["universal-2"])).transcribe({url!r})
print(transcript.status.value, transcript.error)"""


def _rehearse(tmp_path, *cells: str) -> Outcome:
    notebook = tmp_path / "notebooks" / "speaker-labels.ipynb"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (SETUP, *cells)])
    nbformat.write(nb, notebook)
    return rehearse_one("speaker-labels", timeout_s=120, notebook=notebook)


@pytest.mark.end_to_end
def test_a_notebook_that_runs_to_its_end_ran(tmp_path):
    outcome = _rehearse(tmp_path, "assert session.mode.value == 'live' and not session.uses_stand_ins")
    assert (outcome.verdict, outcome.detail, outcome.unreachable_urls) == ("ran", "", [])


@pytest.mark.end_to_end
def test_a_reader_setting_stops_the_notebook_for_setup_and_names_the_variable(tmp_path):
    outcome = _rehearse(tmp_path, 'session.reader_setting("COOKBOOK_GITHUB_LINK", "a GitHub file link")', "1 / 0")
    assert (outcome.verdict, outcome.detail) == ("stopped for setup", "COOKBOOK_GITHUB_LINK")


@pytest.mark.end_to_end
def test_a_loopback_audio_url_fails_the_rehearsal_even_when_the_notebook_ends(tmp_path):
    outcome = _rehearse(tmp_path, TRANSCRIBE.format(url="http://127.0.0.1:9/support-call.mp3"))
    assert outcome.verdict == "failed" and "cannot reach" in outcome.detail
    assert outcome.unreachable_urls == ["http://127.0.0.1:9/support-call.mp3"]


@pytest.mark.end_to_end
def test_the_kernel_cannot_reach_the_network(tmp_path):
    outcome = _rehearse(tmp_path, "import urllib.request\nurllib.request.urlopen('https://example.com', timeout=5)")
    assert outcome.verdict == "failed" and "no network" in outcome.detail


@pytest.mark.end_to_end
def test_the_readers_own_settings_are_not_passed_to_the_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKBOOK_GITHUB_LINK", "https://github.com/me/repo/blob/main/a.mp3")
    outcome = _rehearse(tmp_path, 'session.reader_setting("COOKBOOK_GITHUB_LINK", "a GitHub file link")')
    assert outcome.verdict == "stopped for setup"


def _error_notebook(ename: str, evalue: str, traceback: list[str]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("setup"), cell])


def test_a_setup_message_under_a_long_traceback_is_a_failure():
    short = _error_notebook("SetupNeeded", "Set COOKBOOK_S3_BUCKET to a bucket", ["SetupNeeded: Set ...", "Raised in"])
    assert judge(short) == ("stopped for setup", "COOKBOOK_S3_BUCKET")
    long = _error_notebook("SetupNeeded", "Set COOKBOOK_S3_BUCKET to a bucket", ["Traceback (most recent call last)"])
    assert judge(long)[0] == "failed" and "traceback" in judge(long)[1]
    unnamed = _error_notebook("SetupNeeded", "Configure a bucket first", ["SetupNeeded: ..."])
    assert judge(unnamed)[0] == "failed"
    other = _error_notebook("KeyError", "'COOKBOOK_S3_BUCKET'", ["KeyError"])
    assert judge(other) == ("failed", "cell 1: KeyError: 'COOKBOOK_S3_BUCKET'")


def test_the_summary_counts_each_verdict_and_every_unreachable_url():
    outcomes = [
        Outcome("a", "ran"),
        Outcome("b", "stopped for setup", "COOKBOOK_DRIVE_LINK"),
        Outcome("c", "failed", "x", unreachable_urls=["http://127.0.0.1/a", "http://10.0.0.1/b"]),
    ]
    assert summary(outcomes) == "rehearsal: 1 ran, 1 stopped for setup, 1 failed; 2 loopback URLs sent"
