"""The house style's mechanical rules (docs/style.md), checked on every notebook under notebooks/.

The checks find the notebooks on disk, so a new recipe is held to them from its first commit. Each
failure says which cell breaks which rule and what to do. Judgement (is the lesson visible, is the
prose plain) stays with the writer and the reviewer.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import paths, registry
from cookbook_utils.session import LINE_WIDTH
from tools import registry as tool

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(paths.notebooks().items())
REGISTRY = registry.load(ROOT)
WHOLE_RECIPE = "## The whole recipe in one cell"
GOING_FURTHER = "## Going further"

#: What must never appear in a stored output: loopback addresses and ports, this machine's paths.
LOCAL = re.compile(
    r"(?P<loopback>\b(?:127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0)(?::\d+)?|\[::1\](?::\d+)?)"
    r"|(?P<path>(?<![\w.])/(?:home|root|tmp|work|Users|var/folders)/[\w.-]+|[A-Z]:\\\\Users|site-packages)"
)
#: A bare transcript id (a UUID) in an output: say what the transcript is instead.
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
#: Markdown links to a file next to the notebook or in another folder of the cookbook.
RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+?)(?:#[^)]*)?\)")


def _load(path: Path):
    return nbformat.read(path, as_version=4)


def _where(slug: str, index: int) -> str:
    return f"{slug}: cell {index}"


def _output_texts(cell) -> list[tuple[str, str]]:
    """``(kind, text)`` of each stored output of a code cell that a reader sees as text."""
    texts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(("stream", output.text))
        elif output.output_type in {"execute_result", "display_data"}:
            data = output.get("data", {})
            for mime in ("text/html", "text/markdown", "text/plain"):
                if mime in data:
                    texts.append((mime, data[mime]))
                    break
        elif output.output_type == "error":
            texts.append(("error", "\n".join(output.get("traceback", []))))
    return texts


parametrize = pytest.mark.parametrize(("slug", "path"), NOTEBOOKS, ids=[slug for slug, _ in NOTEBOOKS])


def test_the_output_checks_can_fail():
    for local in ("http://127.0.0.1:41375/a.mp3", "localhost:8000", "/tmp/ipykernel_12/1.py", "/work/wt/x/data"):
        assert LOCAL.search(local), local
    for fine in ("data/cassettes/x.yaml", "0:00:05", "<workdir>/python/%(title)s.%(ext)s", "s3://bucket/key"):
        assert not LOCAL.search(fine), fine
    assert UUID.search("Transcript fb6347e5-1e8e-01a7-5fe4-59e5699324e4: 109 s")
    assert RELATIVE_LINK.findall("[a](../speakers/x.ipynb) [b](https://x.y/z) [c](#top)") == ["../speakers/x.ipynb"]


def test_the_checks_see_every_notebook():
    assert len(NOTEBOOKS) >= 8, "tests/project/test_style.py found fewer notebooks than the cookbook has"


@parametrize
def test_it_opens_with_a_title_and_a_markdown_cell_before_every_code_cell(slug, path):
    nb = _load(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{slug}: the first cell must be markdown starting with the recipe's '# Title'"
    )
    bare = [
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and nb.cells[i - 1].cell_type != "markdown"
    ]
    assert not bare, (
        f"{slug}: code cells {bare} follow another code cell; put a markdown cell before each one saying why "
        "the code is there (docs/style.md, Anatomy)"
    )


@parametrize
def test_the_colab_cell_and_the_setup_cell_have_the_generated_shape(slug, path):
    nb = _load(path)
    recipe = REGISTRY.recipe(slug)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[0].source == tool.colab_block(recipe), (
        f"{slug}: the first code cell must be the Colab block alone, as tools/registry.py writes it: "
        "run `make registry`"
    )
    setup = code[1].source
    assert setup.rstrip().endswith(f'session = cu.setup("{slug}")'), (
        f'{slug}: the setup cell (second code cell) must end with `session = cu.setup("{slug}")`'
    )
    assert tool.speech_models_block() in setup, (
        f"{slug}: the setup cell must carry the literal SPEECH_MODELS list of cookbook_utils/config.py: "
        "run `make registry`"
    )


@parametrize
def test_lesson_code_uses_the_literal_speech_models(slug, path):
    cells = [i for i, cell in enumerate(_load(path).cells) if "session.speech_models" in cell.source]
    assert not cells, f"{slug}: cells {cells} read session.speech_models; use the SPEECH_MODELS list of the setup cell"


@parametrize
def test_it_ends_with_the_whole_recipe_in_one_cell_then_going_further(slug, path):
    nb = _load(path)
    whole = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and WHOLE_RECIPE in (line.strip() for line in c.source.split("\n"))
    ]
    assert whole, f"{slug}: no '{WHOLE_RECIPE}' section: end the recipe with one self-contained function"
    after = [c for c in nb.cells[whole[0] + 1 :] if c.cell_type == "code"]
    assert after and re.search(r"^def \w+\(", after[0].source, re.M), (
        f"{slug}: the cell after '{WHOLE_RECIPE}' must define the recipe as a function (def ...) and call it"
    )
    assert "session" not in re.sub(r"session\.(audio|media)\(", "", after[0].source), (
        f"{slug}: the whole-recipe cell may use `session` only for audio paths; write the configuration literally"
    )
    further = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and GOING_FURTHER in c.source]
    assert further and further[-1] > whole[0], f"{slug}: a '{GOING_FURTHER}' section must follow the whole recipe"
    assert "https://www.assemblyai.com/docs" in "".join(nb.cells[i].source for i in further), (
        f"{slug}: '{GOING_FURTHER}' must link the API reference pages the recipe uses (https://www.assemblyai.com/docs/...)"
    )


@parametrize
def test_every_relative_link_resolves(slug, path):
    broken = []
    for i, cell in enumerate(_load(path).cells):
        if cell.cell_type != "markdown":
            continue
        for target in RELATIVE_LINK.findall(cell.source):
            if not (path.parent / target).resolve().exists():
                broken.append(f"cell {i}: {target}")
            elif target.endswith(".ipynb") and Path(target).stem not in dict(NOTEBOOKS):
                broken.append(f"cell {i}: {target} is not a recipe")
    assert not broken, (
        f"{slug}: relative links that lead nowhere: {broken}; link only recipes that exist, as "
        "../<category>/<slug>.ipynb (or list them under related: in recipes.yml)"
    )


@parametrize
def test_printed_lines_fit_the_page(slug, path):
    long = []
    for i, cell in enumerate(_load(path).cells):
        for kind, text in _output_texts(cell):
            if kind in {"stream", "text/plain"}:
                lines = [line for line in text.split("\n") if len(line) > LINE_WIDTH]
                long += [f"cell {i}: {len(line)} columns: {line[:50]}..." for line in lines]
    assert not long, (
        f"{slug}: printed lines longer than {LINE_WIDTH} columns (wrap them with textwrap, shorten them, "
        f"or show a DataFrame), then re-record: {long}"
    )


@parametrize
def test_outputs_hold_nothing_local_or_volatile(slug, path):
    found = []
    for i, cell in enumerate(_load(path).cells):
        for kind, text in _output_texts(cell):
            found += [f"cell {i} ({kind}): {m.group(0)!r}" for m in LOCAL.finditer(text)]
            found += [f"cell {i} ({kind}): transcript id {m.group(0)}" for m in UUID.finditer(text)]
    assert not found, (
        f"{slug}: outputs show loopback addresses, ports, this machine's paths or bare ids: {found}; print what "
        "the reader needs instead (a file name, the transcript's status or length), then re-record"
    )


@parametrize
def test_one_stream_output_per_cell(slug, path):
    split = []
    for i, cell in enumerate(_load(path).cells):
        names = [o.name for o in cell.get("outputs", []) if o.output_type == "stream"]
        if len(names) != len(set(names)):
            split.append(i)
    assert not split, (
        f"{slug}: cells {split} store their printed text in several pieces; print once per cell (collect the lines, "
        "or show a DataFrame), or let the recorder merge them, then re-record"
    )


@parametrize
def test_no_error_outputs_are_stored(slug, path):
    errors = [
        i for i, cell in enumerate(_load(path).cells) for o in cell.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, f"{slug}: cells {errors} stored an error; catch the failure the recipe shows, then re-record"


def test_at_least_five_recipes_show_a_figure_or_a_table():
    showing = []
    for slug, path in NOTEBOOKS:
        for cell in _load(path).cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data or "image/svg+xml" in data or "<table" in str(data.get("text/html", "")):
                    showing.append(slug)
    showing = sorted(set(showing))
    assert len(showing) >= min(5, len(NOTEBOOKS)), (
        f"only {showing} show a figure or a table; show results as DataFrames and matplotlib figures (docs/style.md)"
    )
