"""Build the documentation site from the registry and the notebooks' stored outputs (never run).

    python -m tools.site                         # build/site/index.html (what `make docs` runs)
    python -m tools.site --out DIR --work DIR    # elsewhere (the browser test builds into a temp folder)
    python -m tools.site --clean                 # from nothing, ignoring Sphinx's cache

The pages are written into a staging folder (``<work>/src``) from ``recipes.yml``: a landing page,
one page per category, and each notebook with a line of links under its title (the download, and "Open in
Colab" when the cookbook is published: ``cookbook_utils.colab.published_repo``). Sphinx with myst-nb
and the Furo theme (``docs/site/conf.py``) renders them into ``<out>``. A file is rewritten only when its
text changes, so a second build redoes only what changed.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cookbook_utils import colab, paths, registry
from cookbook_utils.recording import read_provenance
from cookbook_utils.registry import Recipe, Registry

CONF_DIR = Path(__file__).resolve().parents[1] / "docs" / "site"
DEFAULT_OUT = Path("build/site")
DEFAULT_WORK = Path("build/site-work")


class SiteBuildError(RuntimeError):
    """The site cannot be built: the registry disagrees with the notebooks, or Sphinx failed."""


#: The page that says where the outputs come from, linked from the landing page and every recipe's
#: recording line.
HOW_PAGE = "how-these-recipes-run"

LANDING_INTRO = """\
Executable notebooks, one per recipe, that solve real problems with AssemblyAI's speech-to-text API, its
LLM Gateway and well-known Python libraries. Each page shows a notebook with the outputs it stored when it
last ran. Until someone re-records a recipe with an API key, those outputs come from the cookbook's local
emulator of the API, with reference answers in place of a model's: [how these recipes run](HOW.md) says
what that means and how to run one against the real API.
"""

#: How a recipe runs: from a clone (always), and from Colab once the cookbook is published.
RUN_CLONE = (
    "Clone the cookbook{where}, then `make lab` opens it in JupyterLab: each notebook replays its recording "
    "until you set `ASSEMBLYAI_API_KEY`, then calls the API."
)
RUN_COLAB = " Or open it in Colab (the link above) and add the key under *Secrets*."
LANDING_COLAB = ' Or open a recipe in Colab (the "Open in Colab" link on its page) and add the key under *Secrets*.'
RUN_DOWNLOAD = (
    "The downloaded notebook alone does not run: it imports the cookbook's `cookbook_utils` package and reads "
    "its `data/` folder, which come with the clone."
)

HOW_PAGE_TEXT = """\
---
nosearch: true
---

# How these recipes run

Every recipe is a Jupyter notebook that runs three ways. Which one a run uses is decided by its setup
cell (`session = cu.setup("<slug>")`), which prints one line saying which and why.

## Replay: no key, no network

Without `ASSEMBLYAI_API_KEY`, a notebook replays its **recording**: the requests it makes and the answers
it got, stored in `data/cassettes/<slug>.yaml` (and `data/streams/` for streaming). Nothing leaves your
machine; the notebook's code runs for real on the recorded answers. This is how the cookbook's tests run
every notebook, and how the outputs on these pages were made.

## Live: with your key

With `ASSEMBLYAI_API_KEY` set (in the environment, a `.env` file, or Colab's *Secrets*), every request goes
to AssemblyAI and you see your own outputs. A recipe that needs something only you have (a bucket, a
shared Drive or GitHub link, a public webhook URL) stops at the cell that needs it and names the
`COOKBOOK_*` variable to set.

## Where the recordings come from

Until someone with a key re-records a recipe, its recording was made against the cookbook's **local
emulator** of the API, not against AssemblyAI. Each page says which, and when ("Last recorded: ...").

- **The emulator** answers as the published API specifications and AssemblyAI's documentation say the
  platform does, and refuses by name any parameter it cannot emulate. Its transcripts come from the script
  the audio was made from, so its words are exact and its confidences and timings are synthetic: a real
  transcript of the same audio will differ. Where a behaviour is not documented, the emulator's guess is a
  listed assumption of the live probe (`make probe-live`), which one run with a key checks.
- **Reference answers.** Where a recipe asks the LLM Gateway, the emulator answers with a reference
  answer written for that prompt (`data/answers/<slug>/`), labelled as such in the notebook. A model will
  word its answer differently; the recipe's checks are what carry over.
- **Synthetic voices.** The conversations in `data/audio/` were written for these recipes and spoken by
  espeak-ng's synthetic voices (`tools/synth.py`), with the word timings the synthesiser reports, so
  outputs can be compared with what was said. They are not recordings of people, and a real model's
  transcript of them is not the emulator's.

## Re-record with your key

In a clone: `make record NOTEBOOK=<slug>` runs the notebook against the real API and rewrites its recording
and stored outputs (`make record-all` for every recipe). Check the diff before you commit it: the
recording keeps no key, but it holds the transcripts and answers you got.
"""


def _where_to_clone() -> str:
    repo = colab.published_repo()
    return f" (`git clone {repo}`)" if repo else ""


def recording_line(provenance: dict) -> str:
    """When and against what the stored outputs were last recorded (the cassette's provenance)."""
    if not provenance:
        return "not recorded yet"
    source = provenance.get("source", "an unknown source")
    where = "the cookbook's local emulator of the API" if source == "emulator" else f"the real API ({source})"
    when = provenance.get("recorded_on", "an unknown date")
    return f"{when}, against {where}"


def _tag_links(tags: tuple[str, ...], page: str) -> str:
    """Each tag as a link to ``page`` (the landing page, or "" for this page) filtered by it."""
    return " ".join(f'<a class="tag" href="{page}#tag={html.escape(t, quote=True)}">{html.escape(t)}</a>' for t in tags)


def recipe_header(recipe: Recipe, category_title: str, provenance: dict | None = None) -> str:
    """The lines put under a recipe's title: its links ("Open in Colab" only when the cookbook is
    published, the download always), its section and tags, how to run it, and its last recording."""
    colab_url = colab.colab_url(recipe.notebook)
    download = html.escape(f"{recipe.slug}.ipynb", quote=True)
    links = f'<a class="colab-link" href="{html.escape(colab_url, quote=True)}">Open in Colab</a>' if colab_url else ""
    run = RUN_CLONE.format(where=_where_to_clone()) + (RUN_COLAB if colab_url else "") + " " + RUN_DOWNLOAD
    return (
        '<p class="recipe-links">'
        + links
        + f'<a class="download-link" href="{download}" download>Download the notebook (.ipynb)</a>'
        "</p>\n\n"
        f'<p class="recipe-facts">Section: <a href="index.html">{html.escape(category_title)}</a>'
        + (f" · Tags: {_tag_links(recipe.tags, '../index.html')}" if recipe.tags else "")
        + "</p>\n\n"
        f'<p class="recipe-run"><strong>Run it:</strong> {_markdown_code(run)}</p>\n\n'
        f'<p class="recipe-recording">Last recorded: {html.escape(recording_line(provenance or {}))}. '
        f'The outputs below come from a replay of that recording (<a href="../{HOW_PAGE}.html">how these '
        "recipes run</a>).</p>\n"
    )


def _markdown_code(text: str) -> str:
    """``text`` with its `code` spans as HTML (the header is raw HTML, where Markdown is not read)."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _is_colab_cell(cell: dict) -> bool:
    return cell["cell_type"] == "code" and 'if "google.colab" in sys.modules:' in "".join(cell["source"])


def recipe_notebook(source: Path, recipe: Recipe, category_title: str, provenance: dict | None = None) -> str:
    """The notebook as the site shows it: the header inserted under the title, the Colab cell folded away
    (a reader opens it with a click; on the site it is plumbing), outputs untouched."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if _is_colab_cell(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
            break
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).split("\n")
        for i, line in enumerate(lines):
            if line.startswith("# "):
                lines[i + 1 : i + 1] = ["", recipe_header(recipe, category_title, provenance)]
                cell["source"] = "\n".join(lines)
                return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        break
    raise SiteBuildError(f"{source}: the first markdown cell must hold the recipe's '# ' title")


def _card(recipe: Recipe, prefix: str, provenance: dict) -> str:
    """One recipe as a card: its title (the link), its purpose, its tags and its last recording."""
    href = html.escape(f"{prefix}{recipe.slug}.html", quote=True)
    when = provenance.get("recorded_on", "not recorded yet")
    source = "emulator" if provenance.get("source") == "emulator" else "real API" if provenance else ""
    tags = "|".join(html.escape(t, quote=True) for t in recipe.tags)  # tags hold spaces ("llm gateway")
    return (
        f'<div class="recipe-card" data-tags="{tags}">'
        f'<a class="recipe-card-title" href="{href}">{html.escape(recipe.title)}</a>'
        f'<p class="recipe-card-text">{html.escape(recipe.description)}</p>'
        f'<p class="recipe-card-tags">{_tag_links(recipe.tags, "")}</p>'
        f'<p class="recipe-card-date">Recorded {html.escape(when)}{f" ({source})" if source else ""}</p>'
        "</div>"
    )


def _cards(recipes: list[Recipe], prefix: str, provenances: dict[str, dict]) -> list[str]:
    return ['<div class="recipe-cards">', *(_card(r, prefix, provenances.get(r.slug, {})) for r in recipes), "</div>"]


#: How many tags the filter bar above the cards offers.
TAG_BAR_SIZE = 16


def _tag_bar(recipes: list[Recipe]) -> list[str]:
    """The tag filter above the cards: the tags most recipes share, most used first (cookbook.js makes it
    work); every other tag filters from the cards themselves."""
    counts: dict[str, int] = {}
    for recipe in recipes:
        for tag in recipe.tags:
            counts[tag] = counts.get(tag, 0) + 1
    shared = [t for t in counts if counts[t] >= 2] if len(recipes) > 8 else list(counts)
    ordered = sorted(shared, key=lambda t: (-counts[t], t))[:TAG_BAR_SIZE]
    buttons = ['<button type="button" class="tag-filter" data-tag="" aria-pressed="true">all</button>']
    buttons += [
        f'<button type="button" class="tag-filter" data-tag="{html.escape(t, quote=True)}" aria-pressed="false">'
        f"{html.escape(t)}</button>"
        for t in ordered
    ]
    return ['<div class="tag-bar" role="toolbar" aria-label="Filter recipes by tag">', *buttons, "</div>"]


def _provenances(root: Path, reg: Registry) -> dict[str, dict]:
    found = {}
    for recipe in reg.recipes:
        cassette = root / "data" / "cassettes" / f"{recipe.slug}.yaml"
        found[recipe.slug] = read_provenance(cassette) if cassette.is_file() else {}
    return found


def landing_page(reg: Registry, provenances: dict[str, dict] | None = None) -> str:
    """``index.md``: what the cookbook is, the tag filter, then every section with its recipes as cards."""
    provenances = provenances or {}
    run = RUN_CLONE.format(where=_where_to_clone()) + (LANDING_COLAB if colab.published_repo() else "")
    lines = [
        "---",
        "nosearch: true",
        "---",
        "",
        "# AssemblyAI cookbook",
        "",
        LANDING_INTRO.replace("HOW.md", f"{HOW_PAGE}.md"),
        run,
        "",
    ]
    lines += _tag_bar(reg.recipes)
    for category in reg.used_categories():
        lines += ["", f"## [{category.title}]({category.slug}/index.md)", "", category.description, ""]
        lines += _cards(reg.in_category(category.slug), f"{category.slug}/", provenances)
    lines += ["", "```{toctree}", ":hidden:", ":maxdepth: 2", ""]
    lines += [f"{c.slug}/index" for c in reg.used_categories()] + [HOW_PAGE]
    lines += ["```", ""]
    return "\n".join(lines)


def category_page(reg: Registry, slug: str, provenances: dict[str, dict] | None = None) -> str:
    """``<category>/index.md``: the section's description, its tag filter and its recipes as cards."""
    category = next(c for c in reg.categories if c.slug == slug)
    recipes = reg.in_category(slug)
    lines = ["---", "nosearch: true", "---", "", f"# {category.title}", "", category.description, ""]
    lines += _tag_bar(recipes) + [""] + _cards(recipes, "", provenances or {})
    lines += ["", "```{toctree}", ":hidden:", ""] + [r.slug for r in recipes] + ["```", ""]
    return "\n".join(lines)


def staged_files(root: Path, reg: Registry) -> dict[str, str | Path]:
    """Every file of the staging folder: relative path -> text to write, or a file to copy."""
    provenances = _provenances(root, reg)
    files: dict[str, str | Path] = {"index.md": landing_page(reg, provenances), f"{HOW_PAGE}.md": HOW_PAGE_TEXT}
    for path in sorted(CONF_DIR.rglob("*")):  # conf.py and _static/, so the staging folder stands alone
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(CONF_DIR).as_posix()] = path
    for category in reg.used_categories():
        files[f"{category.slug}/index.md"] = category_page(reg, category.slug, provenances)
        for recipe in reg.in_category(category.slug):
            source = root / recipe.notebook
            provenance = provenances[recipe.slug]
            files[f"{category.slug}/{recipe.slug}.ipynb"] = recipe_notebook(source, recipe, category.title, provenance)
            files[f"_extra/{category.slug}/{recipe.slug}.ipynb"] = source  # the download, byte for byte
            pictures = source.parent / recipe.slug  # images its markdown shows (gradio-ui/screenshot.png)
            for picture in sorted(pictures.glob("*.png")) if pictures.is_dir() else []:
                files[f"{category.slug}/{recipe.slug}/{picture.name}"] = picture
    return files


def stage(root: Path, src: Path) -> int:
    """Write the staging folder, touching only files whose content changed and removing the rest.
    Returns the number of files written."""
    reg = registry.load(root)
    found = registry.problems(root)
    if found:
        raise SiteBuildError("the registry and the notebooks disagree:\n" + "\n".join(found))
    wanted = staged_files(root, reg)
    written = 0
    for relative, content in wanted.items():
        target = src / relative
        data = content.read_bytes() if isinstance(content, Path) else content.encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
    if src.is_dir():
        for path in sorted(src.rglob("*"), reverse=True):
            relative = path.relative_to(src).as_posix()
            if path.is_file() and relative not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written


def build(out: Path = DEFAULT_OUT, work: Path = DEFAULT_WORK, *, root: Path | None = None, clean: bool = False) -> Path:
    """Build the site into ``out``; returns the landing page's path. Sphinx warnings are errors."""
    root = root or paths.project_root()
    out, work = Path(out).resolve(), Path(work).resolve()
    if clean:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    stage(root, work / "src")
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going"]
    command += ["-d", str(work / "doctrees"), str(work / "src"), str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SiteBuildError(f"sphinx-build failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the site goes ({DEFAULT_OUT})")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"staging and cache ({DEFAULT_WORK})")
    parser.add_argument("--clean", action="store_true", help="build from nothing")
    args = parser.parse_args(argv)
    root = paths.project_root()
    out = args.out if args.out.is_absolute() else root / args.out
    work = args.work if args.work.is_absolute() else root / args.work
    started = time.perf_counter()
    try:
        index = build(out, work, root=root, clean=args.clean)
    except SiteBuildError as error:
        print(error, file=sys.stderr)
        return 1
    shown = index.relative_to(root) if index.is_relative_to(root) else index
    print(f"site built in {time.perf_counter() - started:.1f} s: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
