"""Run a notebook's own lesson code outside the notebook (a benchmark, a test), so that what is
measured or tested is what the reader sees, never a copy that could drift from it.

    ns = load_definitions("batch-transcription", ["run_batch", "WebhookReceiver"], ("CONFIG",))

The setup cell's imports run (not its Colab block nor ``cu.setup``); then, from every later code
cell in notebook order, only the definitions: imports, functions, classes, assignments without a
call (type aliases, literals; skipped when they name demonstration data) and the assignments to the
names asked for as ``constants``. The demonstration lines around them (transcriptions, prints,
plots) are left out.
"""

from __future__ import annotations

import ast

import nbformat

from cookbook_utils import paths
from tools.registry import split_setup_cell

_DEFINITIONS = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _kept(node: ast.stmt, constants: set[str]) -> bool:
    if isinstance(node, _DEFINITIONS):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if names & constants:
            return True
        return node.value is not None and not any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    return False


def _source(cell: str) -> str:
    """A cell's Python, with IPython's magics (``%matplotlib inline``) left out."""
    return "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith("%"))


def load_definitions(slug: str, names: list[str], constants: tuple[str, ...] = ()) -> dict:
    """A namespace with the setup cell's imports and the notebook's definitions; ``names`` must be among them."""
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    cells = [_source(cell.source) for cell in nb.cells if cell.cell_type == "code"]
    _, setup = split_setup_cell(nb.cells[[c.cell_type for c in nb.cells].index("code")].source)
    setup_tree = ast.parse(_source(setup))
    setup_tree.body = [n for n in setup_tree.body if _kept(n, {"SPEECH_MODELS"}) or isinstance(n, ast.With)]
    namespace: dict = {"__name__": f"notebook_{slug.replace('-', '_')}"}
    exec(compile(setup_tree, f"{slug}.ipynb:setup", "exec"), namespace)
    for number, source in enumerate(cells[1:], start=1):
        for node in ast.parse(source).body:
            if not _kept(node, set(constants)):
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), f"{slug}.ipynb:cell{number}", "exec")
            try:
                exec(code, namespace)
            except NameError:  # an alias of demonstration data (a list of results): not a definition
                if isinstance(node, _DEFINITIONS):
                    raise
    missing = [name for name in [*names, *constants] if name not in namespace]
    if missing:
        raise LookupError(f"notebook {slug!r} defines no {missing}")
    return namespace
