"""The recorder stores stream outputs as a reader sees them (a progress bar's final line, not its history)."""

import nbformat

from tools.record import coalesce_streams


def _cell(*outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x", outputs=list(outputs)))
    return nb


def test_a_progress_bar_is_stored_as_its_final_line():
    nb = _cell(
        nbformat.v4.new_output("stream", name="stderr", text="\r  0%|          | 0/3 files"),
        nbformat.v4.new_output("stream", name="stderr", text="\r 33%|###       | 1/3 files"),
        nbformat.v4.new_output("stream", name="stderr", text="\r100%|##########| 3/3 files\n"),
    )
    coalesce_streams(nb)
    assert [o.text for o in nb.cells[0].outputs] == ["100%|##########| 3/3 files\n"]


def test_other_outputs_and_other_streams_are_kept_in_order():
    table = nbformat.v4.new_output("display_data", data={"text/plain": "table"})
    nb = _cell(
        nbformat.v4.new_output("stream", name="stdout", text="one\n"),
        nbformat.v4.new_output("stream", name="stdout", text="two\r\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
        table,
        nbformat.v4.new_output("stream", name="stdout", text="three\n"),
    )
    coalesce_streams(nb)
    outputs = nb.cells[0].outputs
    assert [o.get("text") for o in outputs] == ["one\ntwo\n", "warn\n", None, "three\n"]
