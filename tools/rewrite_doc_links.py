"""Rewrite old AssemblyAI docs URLs in every notebook to the current ones.

    python -m tools.rewrite_doc_links            # every notebook under notebooks/
    python -m tools.rewrite_doc_links --root DIR # the notebooks under DIR/notebooks/ instead

Reads docs/doc-links-rewrites.yml (old URL -> new URL, exact strings) and replaces each old URL in
every cell's source, markdown and code, in place. Outputs, metadata and everything else in the
notebook are left as they are; the file is written back with nbformat.write only if it changed.
A URL is replaced only where it ends (followed by ``#``, whitespace, a closing bracket, quote or
punctuation, or the end of the text), so ``/docs/llm-gateway`` does not touch
``/docs/llm-gateway/quickstart``. A ``#fragment`` after an old URL is kept. Prints how many URLs
it changed in each notebook.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat
import yaml

from cookbook_utils import paths

REWRITES = Path("docs") / "doc-links-rewrites.yml"
# What may follow the end of a URL: the same characters that end a URL in tests/project/test_doc_links.py.
URL_END = r"(?=[#\s)\]\"'>`.,]|$)"


def load_rewrites(root: Path) -> dict[str, str]:
    with (root / REWRITES).open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def compile_rewrites(rewrites: dict[str, str]) -> re.Pattern[str]:
    # Longest first, so that a URL that is a prefix of another never wins the alternation.
    olds = sorted(rewrites, key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(old) for old in olds) + ")" + URL_END)


def rewrite_text(text: str, rewrites: dict[str, str], pattern: re.Pattern[str]) -> tuple[str, int]:
    """``text`` with every old URL replaced, and how many were replaced."""
    return pattern.subn(lambda m: rewrites[m.group(1)], text)


def rewrite_notebook(path: Path, rewrites: dict[str, str], pattern: re.Pattern[str]) -> int:
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    changed = 0
    for cell in notebook.cells:
        new, count = rewrite_text(cell.source, rewrites, pattern)
        if count:
            cell.source = new
            changed += count
    if changed:
        nbformat.write(notebook, path)
    return changed


def notebooks_under(root: Path) -> dict[str, Path]:
    if root.resolve() == paths.project_root().resolve():
        return paths.notebooks()
    found = {}
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            found[path.stem] = path
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=paths.project_root(), help="project root")
    args = parser.parse_args(argv)
    rewrites = load_rewrites(args.root)
    if not rewrites:
        print(f"{REWRITES}: no rewrites")
        return 0
    pattern = compile_rewrites(rewrites)
    total = 0
    for slug, path in notebooks_under(args.root).items():
        count = rewrite_notebook(path, rewrites, pattern)
        total += count
        print(f"{slug}: {count} URL{'s' if count != 1 else ''} changed")
    print(f"total: {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
