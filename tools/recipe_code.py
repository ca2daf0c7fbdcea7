"""The code of a recipe's notebook as a module, so tests and benchmarks run exactly what a reader
copies: ``load("retry-server-errors", "def transcribe_with_retries")`` executes the code cell that
contains that text in a fresh namespace whose ``__name__`` is not ``"__main__"``, so the cell's
``if __name__ == "__main__":`` demonstration does not run."""

from __future__ import annotations

import json
import types

from cookbook_utils import paths


def cell_source(slug: str, marker: str) -> str:
    """The source of the one code cell of notebook ``slug`` that contains ``marker``."""
    notebook = json.loads(paths.notebook_path(slug).read_text())
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    found = [s for s in sources if marker in s]
    if len(found) != 1:
        raise ValueError(f"{slug}: {len(found)} code cells contain {marker!r}; expected exactly one")
    return found[0]


def load(slug: str, marker: str) -> types.ModuleType:
    """The code cell holding ``marker``, executed as a module named after the recipe."""
    module = types.ModuleType(f"recipe_{slug.replace('-', '_')}")
    exec(compile(cell_source(slug, marker), f"<{slug}>", "exec"), module.__dict__)  # noqa: S102
    return module
