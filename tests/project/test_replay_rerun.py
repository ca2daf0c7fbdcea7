"""Replay as a JupyterLab user drives it: a notebook is run, then its cells are run again in the
same kernel (each cell after setup, as with Shift+Enter down the page, then Run All), and every
run gives the same outputs with no error; a cell run before the step it depends on names that step.
"""

import copy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.kernels import IPCAsyncKernelManager
from tools.record import merge_streams

#: Each test runs a recipe in a kernel of its own, beside nbval's run: the end-to-end tier (make test-e2e).
pytestmark = pytest.mark.end_to_end

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["speakers/speaker-labels", "speech-to-text/s3-presigned-url"]


def _outputs(cell) -> list:
    """A cell's outputs without what changes between runs of the same kernel: execution counts, and
    how printed text happened to be split into messages (joined as tools/record.py stores it)."""
    cell = merge_streams(nbformat.v4.new_notebook(cells=[copy.deepcopy(cell)])).cells[0]
    return [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.get("outputs", [])]


def _replay_client(path: Path) -> tuple:
    """The notebook, a client that runs it from its own folder, and the indexes of its code cells."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
    )
    return nb, client, [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_run_again_in_the_same_kernel_answer_as_before(name, monkeypatch):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"{name} is not in this checkout")
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    nb, client, code = _replay_client(path)
    with client.setup_kernel():
        for index in code:
            client.execute_cell(nb.cells[index], index)
        first = {i: _outputs(nb.cells[i]) for i in code}
        for index in code[1:]:  # every cell again, setup not re-run: requests repeat in one replay
            client.execute_cell(nb.cells[index], index)
            assert _outputs(nb.cells[index]) == first[index], f"cell {index} answered differently when re-run"
        for index in code:  # Run All again
            client.execute_cell(nb.cells[index], index)
            assert _outputs(nb.cells[index]) == first[index], f"cell {index} answered differently on Run All"


def test_a_cell_run_before_its_step_names_the_step(monkeypatch):
    """After a fresh setup, a cell that polls a transcript an earlier step creates says to run that step."""
    path = ROOT / "notebooks" / "speakers" / "speaker-labels.ipynb"
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    nb, client, code = _replay_client(path)
    with client.setup_kernel():
        for index in code:
            client.execute_cell(nb.cells[index], index)
        setup = next(i for i in code if "cu.setup(" in nb.cells[i].source)
        client.execute_cell(nb.cells[setup], setup)  # setup again: a fresh replay, nothing created yet
        later = next(i for i in code if "result = wait_for(transcript_id)" in nb.cells[i].source)
        with pytest.raises(CellExecutionError) as caught:
            client.execute_cell(nb.cells[later], later)
    message = str(caught.value)
    assert "CookbookError" in message and "before the cell that creates it has run since setup" in message
    assert "Run 'Step" in message and "nothing needs re-recording" in message
