"""Run the functions a notebook defines, outside the notebook, so tests can check its lesson code."""

from __future__ import annotations

import ast
import json
import re
import sys
import types
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_KEPT = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _kept(node: ast.stmt, skipped: tuple[str, ...]) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return not any(name in ast.unparse(node) for name in skipped)
    if isinstance(node, ast.Assign):  # module constants, e.g. SYSTEM = "...", DRIVE_HOSTS = {...}
        return all(isinstance(t, ast.Name) and re.fullmatch(r"[A-Z][A-Z0-9_]*", t.id) for t in node.targets)
    return isinstance(node, _KEPT)


def notebook_functions(slug: str, *skip_imports: str) -> dict:
    """The namespace made by running, in order, the top-level imports, functions, classes and
    UPPER_CASE constants of a notebook's code cells (nothing else: no API call runs). Imports
    naming ``cookbook_utils`` or one of ``skip_imports`` are left out."""
    path = next(NOTEBOOKS.glob(f"*/{slug}.ipynb"))
    skipped = ("cookbook_utils", *skip_imports)
    body: list[ast.stmt] = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())
        body += [node for node in ast.parse(source).body if _kept(node, skipped)]
    # A module of its own, so classes that refer to each other (pydantic models nesting models)
    # resolve their annotations as they do in the notebook.
    module = types.ModuleType(f"notebook_{slug.replace('-', '_')}")
    sys.modules[module.__name__] = module
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), module.__dict__)
    return module.__dict__
