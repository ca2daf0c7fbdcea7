"""Run a notebook's own lesson code outside the notebook (a benchmark, a test), so that what is
measured or tested is what the reader sees, never a copy that could drift from it.

    names = load_definitions("batch-transcription", ["run_batch", "WebhookReceiver"])

The setup cell's imports run (not its Colab block nor ``cu.setup``); then every code cell that
defines one of the names, in notebook order, with the constants those cells use.
"""

from __future__ import annotations

import re

import nbformat

from cookbook_utils import paths
from tools.registry import split_setup_cell


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^(def|class) {re.escape(name)}\b|^{re.escape(name)} = ", source, re.M) is not None


def load_definitions(slug: str, names: list[str], constants: tuple[str, ...] = ()) -> dict:
    """A namespace with the setup cell's imports and the cells defining ``names`` (and ``constants``)."""
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    _, setup = split_setup_cell(cells[0])
    setup = "\n".join(line for line in setup.splitlines() if not line.startswith(("session = ", "%")))
    namespace: dict = {"__name__": f"notebook_{slug.replace('-', '_')}"}
    exec(compile(setup, f"{slug}.ipynb:setup", "exec"), namespace)
    wanted = [*names, *constants]
    missing = [n for n in wanted if not any(_defines(source, n) for source in cells[1:])]
    if missing:
        raise LookupError(f"notebook {slug!r} defines no {missing}")
    for number, source in enumerate(cells[1:], start=1):
        if any(_defines(source, n) for n in wanted):
            exec(compile(source, f"{slug}.ipynb:cell{number}", "exec"), namespace)
    return namespace
