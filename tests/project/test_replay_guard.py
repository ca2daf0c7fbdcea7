"""A notebook that sends something its recording does not hold stops with the clear message.

The pilot notebook is run for real in replay mode after one edit to what it sends (speaker labels
turned off); the run must fail at that cell, naming the notebook, the request and the command that
re-records it.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.kernels import IPCAsyncKernelManager

# A notebook edited and run again in a kernel of its own: make test-e2e.
pytestmark = pytest.mark.end_to_end

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "notebooks" / "speakers" / "speaker-labels.ipynb"


def _run(nb, folder):
    client = NotebookClient(
        nb,
        timeout=120,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()


@pytest.mark.skipif(not PILOT.exists(), reason="the pilot notebook is not there")
def test_dropping_speaker_labels_fails_with_the_missing_request_message(monkeypatch):
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    nb = nbformat.read(PILOT, as_version=4)
    edited = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and "speaker_labels=True," in cell.source and "config = " in cell.source:
            cell.source = cell.source.replace("speaker_labels=True,", "speaker_labels=False,")
            edited += 1
    assert edited == 1, "the pilot's first config cell was not found; update this test"
    with pytest.raises(CellExecutionError) as caught:
        _run(nb, PILOT.parent)
    message = str(caught.value)
    assert "RecordingMissingError" in message
    assert "Notebook 'speaker-labels' sent a request that its recording does not hold" in message
    assert "POST https://api.assemblyai.com/v2/transcript" in message
    assert "make record NOTEBOOK=speaker-labels" in message
    assert os.environ["COOKBOOK_MODE"] == "replay"
