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
COLAB_BLOCK_FIRST = "# On Colab only: install the cookbook's helpers and fetch its data."
#: First lines an older registry wrote; a cell that starts with one has the block too (it is rewritten).
COLAB_BLOCK_FIRST_BEFORE = ("# On Colab: install the helpers, fetch the data (written by tools/registry.py).",)
#: The block's condition; its body (the indented lines after it) ends the block.
COLAB_IF = 'if "google.colab" in sys.modules:'


# --- the README's recipe table ------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


#: The line above the README's table when the cookbook is unpublished (no "Open in Colab" column).
README_UNPUBLISHED = (
    'No "Open in Colab" links: this copy of the cookbook names no GitHub repository it is published in. '
    f"To turn them on, {colab.HOW_TO_PUBLISH} (see [Colab](#colab))."
)


def readme_table(reg: Registry) -> str:
    """The README's recipe table, by category in registry order, between its markers: with a column of
    "Open in Colab" links when the cookbook is published (:func:`cookbook_utils.colab.published_repo`),
    else without, under a line that says how to turn them on."""
    repo = colab.published_repo()
    lines = [README_START]
    if repo:
        lines += ["| recipe | category | what it shows | run it |", "|---|---|---|---|"]
    else:
        lines += [README_UNPUBLISHED, "", "| recipe | category | what it shows |", "|---|---|---|"]
    for category in reg.used_categories():
        for recipe in reg.in_category(category.slug):
            row = f"| [{_cell(recipe.title)}]({recipe.notebook}) | {category.slug} | {_cell(recipe.description)} |"
            if repo:
                row += f" [Open in Colab]({colab.colab_url(recipe.notebook, repo)}) |"
            lines.append(row)
    lines.append(README_END)
    return "\n".join(lines)


def render_readme(text: str, reg: Registry) -> str:
    """``text`` (the README) with its recipe table replaced by the generated one."""
    if not _README_BLOCK.search(text):
        raise registry.RegistryError(f"README.md has no recipe table markers: add {README_START!r} ... {README_END!r}")
    return _README_BLOCK.sub(lambda _: readme_table(reg), text, count=1)


# --- the Colab block of the setup cell ----------------------------------------------------------


def colab_block(recipe: Recipe) -> str:
    """The notebook's first code cell, which runs only on Colab. Published
    (:func:`cookbook_utils.colab.published_repo`): it installs the helpers from the repository
    (:func:`cookbook_utils.colab.install_command`) and calls ``prepare``. Unpublished: there is nothing to
    install from, so it stops with a message saying to open the notebook from a clone instead."""
    repo = colab.published_repo()
    head = [COLAB_BLOCK_FIRST, "import sys", "", COLAB_IF]
    if repo is None:
        return "\n".join(
            [
                *head,
                "    raise SystemExit(",
                '        "This cookbook is not published on GitHub, so Colab cannot install its "',
                '        "helpers. Clone the repository and open this notebook from the clone "',
                '        "(make lab), or set REPO_URL in cookbook_utils/config.py and run "',
                '        "`make registry` (README.md, Colab)."',
                "    )",
            ]
        )
    command = colab.install_command(recipe.needs.extras, repo)
    assert command[0] == sys.executable
    args = ", ".join(["sys.executable", *(f'"{part}"' for part in command[1:-1]), "package"])
    return "\n".join(
        [
            *head,
            "    import subprocess",
            "",
            f'    package = "{command[-1]}"',
            f"    if subprocess.run([{args}]).returncode != 0:",
            "        raise SystemExit(",
            '            f"pip could not install {package}. If this notebook comes from a "',
            '            "fork, set REPO_URL in cookbook_utils/config.py to the fork\'s "',
            '            "GitHub address and run `make registry` (docs/contracts.md); "',
            '            "otherwise check that the address opens in a browser."',
            "        )",
            "    from cookbook_utils.colab import prepare",
            "",
            f'    prepare("{recipe.slug}", repo="{repo}")',
        ]
    )


#: The comment above the literal speech-model list of every setup cell.
SPEECH_MODELS_COMMENT = "# Speech models, best first: the cookbook's choice, kept in cookbook_utils/config.py."
#: Comments an older registry wrote above ``SPEECH_MODELS``; they are replaced by the one above.
SPEECH_MODELS_COMMENT_BEFORE = (
    "# Speech models, best first: kept in cookbook_utils/config.py, written here by tools/registry.py.",
)
#: The comment above the literal LLM Gateway model of the setup cell of a recipe that asks one.
LLM_MODEL_COMMENT = "# The LLM Gateway model: the cookbook's choice (recipes.yml, cookbook_utils/config.py)."
#: A line that sets one of the settings kept in cookbook_utils/config.py: the registry writes its value
#: wherever it stands (the setup cell, and a whole-recipe cell that must carry its own literal).
SETTING_LINE = re.compile(r"^(?P<indent>[ ]*)(?P<name>SPEECH_MODELS|LLM_MODEL) = .*$", re.M)
#: The markdown cell put between the Colab cell and the setup cell when a notebook has none there.
SETUP_INTRO = (
    "The setup cell chooses the mode: with no API key it replays the notebook's recording, with one it "
    "calls the API. It prints one line saying which, and where the recording came from."
)
#: First line of the generated markdown cell that ends *Going further* with links to related recipes.
#: (An older registry added "(from `related:` in recipes.yml, written by tools/registry.py)" to it: a cell
#: that starts with this line is the related-recipes cell either way, and is rewritten.)
RELATED_FIRST = "**Related recipes in this cookbook**"
_SETUP_LAST = re.compile(r'^session = cu\.setup\("(?P<slug>[^"]+)"\)$')


def setting_literal(name: str, recipe: Recipe | None = None) -> str:
    """The Python literal of setting ``name`` (``SPEECH_MODELS`` or ``LLM_MODEL``): the recipe's own
    ``llm_model`` from the registry, else the value in cookbook_utils/config.py."""
    from cookbook_utils import config

    value = recipe.llm_model if name == "LLM_MODEL" and recipe and recipe.llm_model else getattr(config, name)
    if isinstance(value, str):
        return f'"{value}"'
    return "[" + ", ".join(f'"{item}"' for item in value) + "]"


def speech_models_block() -> str:
    """The two lines every setup cell carries: the comment and ``SPEECH_MODELS = [...]``."""
    return SPEECH_MODELS_COMMENT + "\nSPEECH_MODELS = " + setting_literal("SPEECH_MODELS")


def llm_model_block(recipe: Recipe | None = None) -> str:
    """The two lines the setup cell of a recipe that asks the LLM Gateway carries: ``LLM_MODEL = "..."``."""
    return LLM_MODEL_COMMENT + "\nLLM_MODEL = " + setting_literal("LLM_MODEL", recipe)


def write_settings(source: str, recipe: Recipe | None = None) -> str:
    """``source`` (a code cell) with every ``SPEECH_MODELS = ...`` and ``LLM_MODEL = ...`` line set to the
    recipe's value, its indentation kept and any comment after the value dropped."""
    return SETTING_LINE.sub(lambda m: f"{m['indent']}{m['name']} = {setting_literal(m['name'], recipe)}", source)


def uses_setting(nb, name: str) -> bool:
    """Whether a code cell after the setup cell reads setting ``name`` (``SPEECH_MODELS`` or
    ``LLM_MODEL``), so that the setup cell must set it; a notebook that never transcribes a file
    (text to speech, streaming) gets no ``SPEECH_MODELS`` line it would not use."""
    cells = [cell for cell in nb.cells if cell.cell_type == "code"][2:]
    return any(re.search(rf"\b{name}\b", cell.source) for cell in cells)


def uses_llm_model(nb) -> bool:
    """Whether a code cell after the setup cell reads ``LLM_MODEL``."""
    return uses_setting(nb, "LLM_MODEL")


def split_setup_cell(source: str) -> tuple[str | None, str]:
    """``(Colab block or None, the rest)`` of a cell that may start with the Colab block: the block runs
    from its first line to the end of the indented body of its ``if "google.colab" in sys.modules:``."""
    if not source.startswith((COLAB_BLOCK_FIRST, *COLAB_BLOCK_FIRST_BEFORE)):
        return None, source
    lines = source.split("\n")
    if COLAB_IF not in lines:
        raise registry.RegistryError(f"a Colab block without its `{COLAB_IF}` line: delete the block, write it again")
    end = lines.index(COLAB_IF) + 1
    for number in range(end, len(lines)):
        if lines[number].startswith(" "):
            end = number + 1
        elif lines[number].strip():
            break
    return "\n".join(lines[:end]), "\n".join(lines[end:]).lstrip("\n")


def setup_cell_source(source: str, recipe: Recipe, *, llm: bool = False, speech: bool = True) -> str:
    """A setup cell's source with the ``SPEECH_MODELS`` lines (with ``speech``) and the ``LLM_MODEL``
    lines (with ``llm``) written fresh just above its last line, which must be
    ``session = cu.setup("<slug>")``."""

    def generated(line: str) -> bool:
        return (
            line in (SPEECH_MODELS_COMMENT, *SPEECH_MODELS_COMMENT_BEFORE)
            or line.startswith("# The LLM Gateway model")
            or bool(SETTING_LINE.match(line))
        )

    lines = [line for line in source.rstrip().split("\n") if not generated(line)]
    expected = f'session = cu.setup("{recipe.slug}")'
    if not lines or lines[-1] != expected:
        raise registry.RegistryError(
            f"{recipe.notebook}: the setup cell (the code cell after the Colab cell) must end with `{expected}`"
        )
    while len(lines) > 1 and lines[-2] == "":
        del lines[-2]
    settings = [*([speech_models_block()] if speech else []), *([llm_model_block(recipe)] if llm else [])]
    return "\n".join([*lines[:-1], "", *settings, lines[-1]]).lstrip("\n")


def related_cell_source(reg: Registry, recipe: Recipe) -> str:
    """The markdown that ends a notebook: relative links to its ``related`` recipes, which work in
    JupyterLab, on GitHub and on the site (the same folder layout)."""
    lines = [RELATED_FIRST, ""]
    for slug in recipe.related:
        other = reg.recipe(slug)
        href = f"../{other.category}/{other.slug}.ipynb"
        lines.append(f"- [{other.title}]({href}): {other.description}")
    return "\n".join(lines)


def first_code_cell(nb):
    """The Colab cell: the notebook's first code cell."""
    return next(cell for cell in nb.cells if cell.cell_type == "code")


def setup_cell(nb):
    """The setup cell: the code cell after the Colab cell."""
    return [cell for cell in nb.cells if cell.cell_type == "code"][1]


def generated(nb, reg: Registry, recipe: Recipe) -> bool:
    """Bring ``nb`` to the generated shape in place; True if anything changed. The Colab block gets
    a cell of its own (an older notebook's combined cell is split, with a sentence between), the
    setup cell its ``SPEECH_MODELS`` lines (and ``LLM_MODEL`` where a later cell reads it), every later
    ``SPEECH_MODELS = ``/``LLM_MODEL = `` line the configured value, and the notebook ends with its
    related-recipes cell."""
    import nbformat

    before = _shape(nb)
    first = first_code_cell(nb)
    block, rest = split_setup_cell(first.source)
    index = nb.cells.index(first)
    if block is None:  # no Colab block yet: it goes in a cell of its own before the setup cell
        nb.cells.insert(index, nbformat.v4.new_code_cell(colab_block(recipe)))
        nb.cells.insert(index + 1, nbformat.v4.new_markdown_cell(SETUP_INTRO))
    elif rest.strip():  # the block and the setup code in one cell: split it
        first.source, first.outputs, first.execution_count = colab_block(recipe), [], None
        setup = nbformat.v4.new_code_cell(rest)
        setup.outputs = first.get("outputs", [])
        nb.cells[index + 1 : index + 1] = [nbformat.v4.new_markdown_cell(SETUP_INTRO), setup]
    first = first_code_cell(nb)
    first.source = colab_block(recipe)
    setup = setup_cell(nb)
    setup.source = setup_cell_source(
        setup.source, recipe, llm=uses_llm_model(nb), speech=uses_setting(nb, "SPEECH_MODELS")
    )
    for cell in nb.cells[nb.cells.index(setup) + 1 :]:
        if cell.cell_type == "code":
            cell.source = write_settings(cell.source, recipe)
    last = nb.cells[-1]
    if last.cell_type == "markdown" and last.source.startswith(RELATED_FIRST):
        if recipe.related:
            last.source = related_cell_source(reg, recipe)
        else:
            nb.cells.pop()
    elif recipe.related:
        nb.cells.append(nbformat.v4.new_markdown_cell(related_cell_source(reg, recipe)))
    for cell in nb.cells:  # nbformat >= 5.1 wants an id on every cell
        if "id" not in cell:
            cell["id"] = nbformat.v4.new_markdown_cell().id
    return _shape(nb) != before


def _shape(nb) -> list[tuple]:
    """What :func:`generated` may change, cell by cell (cheaper to compare than the written notebook)."""
    return [(c.cell_type, c.get("id"), c.source, c.get("execution_count"), len(c.get("outputs", []))) for c in nb.cells]


def write_setup_cells(root: Path, reg: Registry) -> list[Path]:
    """Write the generated parts of every registered notebook; returns the notebooks changed."""
    import nbformat

    changed = []
    for recipe in reg.recipes:
        path = root / recipe.notebook
        nb = nbformat.read(path, as_version=4)
        if generated(nb, reg, recipe):
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def stale_setup_cells(root: Path, reg: Registry) -> list[str]:
    """Slugs whose generated parts differ from what :func:`write_setup_cells` would write."""
    import nbformat

    stale = []
    for recipe in reg.recipes:
        path = root / recipe.notebook
        if path.is_file():
            try:
                if generated(nbformat.read(path, as_version=4), reg, recipe):
                    stale.append(recipe.slug)
            except registry.RegistryError:
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
            f"{slug}: the Colab cell, the SPEECH_MODELS or LLM_MODEL lines or the related-recipes cell is out "
            "of date: run `make registry` (python -m tools.registry --write-setup-cells)"
            for slug in stale_setup_cells(root, reg)
        ]
    origin = colab.github_url_of_origin(root)
    repo = colab.published_repo(root)
    if origin and repo and origin.lower() != repo.lower():
        print(
            f"note: this clone's origin is {origin}, but REPO_URL in cookbook_utils/config.py is {repo}; "
            "if this is a fork, set REPO_URL to the fork's address (or to None, to use the origin) and run "
            "`make registry`",
            file=sys.stderr,
        )
    elif repo is None:
        print(
            f'note: the cookbook is unpublished, so nothing offers "Open in Colab": {colab.HOW_TO_PUBLISH}',
            file=sys.stderr,
        )
    for issue in issues:
        print(issue, file=sys.stderr)
    if not issues and not writing:
        print(f"{len(reg.recipes)} recipes: registry, notebooks, README and setup cells agree")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
