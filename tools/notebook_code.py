"""Run a notebook's own lesson code outside the notebook (a test, a benchmark), so that what is
tested or measured is what the reader sees, never a copy that could drift from it.

Two ways in, both giving a fresh module registered in ``sys.modules`` under ``notebook_<slug>``
(so pydantic models and dataclasses resolve their annotations as in the notebook):

    ns = load_definitions("batch-transcription", ["run_batch", "WebhookReceiver"], ("CONFIG",))
    recipe = load_cell("retry-server-errors", "def transcribe_with_retries")

``load_definitions`` runs the setup cell's imports (not its Colab block nor ``cu.setup``); then,
from every later code cell in notebook order (with ``whole_recipe=False``, the steps only: the whole
recipe in one cell, their copy, and its imports are left out), only the definitions: imports, functions, classes,
assignments without a call (type aliases, literals; skipped when they name demonstration data)
and the assignments to the names asked for as ``constants``. The demonstration lines around them
(transcriptions, prints, plots) are left out. It returns the module's namespace.

``load_cell`` runs the one code cell that contains ``marker`` whole (a whole-recipe cell); the
module's ``__name__`` is not ``"__main__"``, so the cell's ``if __name__ == "__main__":``
demonstration does not run.

IPython's ``%magics`` and ``!shell`` lines are left out of both.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Sequence

import nbformat

from cookbook_utils import paths
from tools.registry import split_setup_cell

__all__ = ["load_cell", "load_definitions"]

_DEFINITIONS = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _code_cells(slug: str, steps_only: bool = False) -> list[str]:
    """The notebook's code cells, in order, with IPython's magics and shell lines blanked out
    (blanked, not removed, so line numbers in a traceback are the cell's); with ``steps_only``,
    without the whole-recipe cell."""
    from tools.whole_recipe import whole_recipe_cell

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    whole = whole_recipe_cell(nb)[0] if steps_only else None
    return [
        "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and index != whole
    ]


def _module(slug: str) -> types.ModuleType:
    """A fresh, empty module for the notebook's code, registered in ``sys.modules``."""
    module = types.ModuleType(f"notebook_{slug.replace('-', '_')}")
    sys.modules[module.__name__] = module
    return module


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


def load_definitions(slug: str, names: Sequence[str], constants: Sequence[str] = (), whole_recipe: bool = True) -> dict:
    """The namespace of the setup cell's imports and the notebook's definitions (without the
    whole-recipe cell's unless ``whole_recipe``); each of ``names`` and ``constants`` must be among
    them (``LookupError`` otherwise)."""
    setup, *cells = _code_cells(slug, steps_only=not whole_recipe)
    _, setup = split_setup_cell(setup)
    setup_tree = ast.parse(setup)
    setup_tree.body = [n for n in setup_tree.body if _kept(n, {"SPEECH_MODELS"}) or isinstance(n, ast.With)]
    namespace = _module(slug).__dict__
    exec(compile(setup_tree, f"{slug}.ipynb:setup", "exec"), namespace)  # noqa: S102
    for number, source in enumerate(cells, start=1):
        for node in ast.parse(source).body:
            if not _kept(node, set(constants)):
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), f"{slug}.ipynb:cell{number}", "exec")
            try:
                exec(code, namespace)  # noqa: S102
            except (NameError, LookupError):  # an alias of demonstration data (``first = passages[0]``
                if isinstance(node, _DEFINITIONS):  # of a list the loader left empty): not a definition
                    raise
    missing = [name for name in [*names, *constants] if name not in namespace]
    if missing:
        raise LookupError(f"notebook {slug!r} defines no {missing}")
    return namespace


def load_cell(slug: str, marker: str) -> types.ModuleType:
    """The one code cell of notebook ``slug`` that contains ``marker``, run whole as a module
    (``ValueError`` when no cell or more than one contains it)."""
    found = [source for source in _code_cells(slug) if marker in source]
    if len(found) != 1:
        raise ValueError(f"{slug}: {len(found)} code cells contain {marker!r}; expected exactly one")
    module = _module(slug)
    exec(compile(found[0], f"{slug}.ipynb", "exec"), module.__dict__)  # noqa: S102
    return module
