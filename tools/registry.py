"""Write what is made from the recipe registry (``recipes.yml``), or check that it is up to date.

    python -m tools.registry                      # check: registry vs notebooks, README table, setup cells
    python -m tools.registry --write              # rewrite the README table and the setup cells
    python -m tools.registry --write-readme       # only the table between the README's markers
    python -m tools.registry --write-setup-cells  # only the Colab block of each notebook's setup cell

Both writers are idempotent: a second run changes nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from cookbook_utils import colab, paths, registry
from cookbook_utils.registry import Recipe, Registry

README_START = "<!-- recipes:start: generated from recipes.yml by `python -m tools.registry --write-readme` -->"
README_END = "<!-- recipes:end -->"
_README_BLOCK = re.compile(r"<!-- recipes:start\b.*?-->.*?<!-- recipes:end -->", re.S)

#: First line of the Colab block; a setup cell that starts with it has the block already.
COLAB_BLOCK_FIRST = "# On Colab: install the helpers, fetch the data (written by tools/registry.py)."
_COLAB_BLOCK_LAST = re.compile(r"^    prepare\(.*\)$", re.M)


# --- the README's recipe table ------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_table(reg: Registry) -> str:
    """The README's recipe table, by category in registry order, between its markers."""
    lines = [README_START, "| recipe | category | what it shows | run it |", "|---|---|---|---|"]
    for category in reg.used_categories():
        for recipe in reg.in_category(category.slug):
            lines.append(
                f"| [{_cell(recipe.title)}]({recipe.notebook}) | {category.slug} | {_cell(recipe.description)} "
                f"| [Open in Colab]({colab.colab_url(recipe.notebook)}) |"
            )
    lines.append(README_END)
    return "\n".join(lines)


def render_readme(text: str, reg: Registry) -> str:
    """``text`` (the README) with its recipe table replaced by the generated one."""
    if not _README_BLOCK.search(text):
        raise registry.RegistryError(f"README.md has no recipe table markers: add {README_START!r} ... {README_END!r}")
    return _README_BLOCK.sub(lambda _: readme_table(reg), text, count=1)


# --- the Colab block of the setup cell ----------------------------------------------------------


def colab_block(recipe: Recipe) -> str:
    """The code at the top of a notebook's setup cell that runs only on Colab: it installs the
    helpers (:func:`cookbook_utils.colab.install_command`) and calls ``prepare``."""
    command = colab.install_command(recipe.needs.extras)
    assert command[0] == sys.executable
    args = ", ".join(["sys.executable", *(f'"{part}"' for part in command[1:-1]), "package"])
    return "\n".join(
        [
            COLAB_BLOCK_FIRST,
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            "    import subprocess",
            "",
            f'    package = "{command[-1]}"',
            f"    subprocess.run([{args}], check=True)",
            "    from cookbook_utils.colab import prepare",
            "",
            f'    prepare("{recipe.slug}")',
        ]
    )


def split_setup_cell(source: str) -> tuple[str | None, str]:
    """``(Colab block or None, the rest)`` of a setup cell's source."""
    if not source.startswith(COLAB_BLOCK_FIRST):
        return None, source
    end = _COLAB_BLOCK_LAST.search(source)
    if end is None:
        raise registry.RegistryError("a Colab block without its `prepare(...)` line: delete the block, write it again")
    return source[: end.end()], source[end.end() :].lstrip("\n")


def setup_cell_source(source: str, recipe: Recipe) -> str:
    """A setup cell's source with the Colab block written fresh at its top."""
    _, rest = split_setup_cell(source)
    return f"{colab_block(recipe)}\n\n{rest}"


def first_code_cell(nb):
    """The setup cell: the notebook's first code cell."""
    return next(cell for cell in nb.cells if cell.cell_type == "code")


def write_setup_cells(root: Path, reg: Registry) -> list[Path]:
    """Rewrite the Colab block of every registered notebook; returns the notebooks changed."""
    import nbformat

    changed = []
    for recipe in reg.recipes:
        path = root / recipe.notebook
        nb = nbformat.read(path, as_version=4)
        cell = first_code_cell(nb)
        new = setup_cell_source(cell.source, recipe)
        if new != cell.source:
            cell.source = new
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def stale_setup_cells(root: Path, reg: Registry) -> list[str]:
    """Slugs whose setup cell differs from what :func:`write_setup_cells` would write."""
    import nbformat

    stale = []
    for recipe in reg.recipes:
        path = root / recipe.notebook
        if path.is_file():
            source = first_code_cell(nbformat.read(path, as_version=4)).source
            if setup_cell_source(source, recipe) != source:
                stale.append(recipe.slug)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the README table and the setup cells")
    parser.add_argument("--write-readme", action="store_true", help="write the README's recipe table")
    parser.add_argument("--write-setup-cells", action="store_true", help="write the Colab block of each setup cell")
    args = parser.parse_args(argv)
    root = paths.project_root()
    reg = registry.load(root)
    readme = root / "README.md"
    writing = args.write or args.write_readme or args.write_setup_cells
    if args.write or args.write_readme:
        text = readme.read_text(encoding="utf-8")
        new = render_readme(text, reg)
        if new != text:
            readme.write_text(new, encoding="utf-8")
            print("wrote README.md")
    if args.write or args.write_setup_cells:
        for path in write_setup_cells(root, reg):
            print(f"wrote the setup cell of {path.relative_to(root)}")
    issues = registry.problems(root)
    if not writing:
        if render_readme(readme.read_text(encoding="utf-8"), reg) != readme.read_text(encoding="utf-8"):
            issues.append("README.md's recipe table is out of date: run `python -m tools.registry --write-readme`")
        issues += [
            f"{slug}: setup cell out of date: run `python -m tools.registry --write-setup-cells`"
            for slug in stale_setup_cells(root, reg)
        ]
    for issue in issues:
        print(issue, file=sys.stderr)
    if not issues and not writing:
        print(f"{len(reg.recipes)} recipes: registry, notebooks, README and setup cells agree")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
