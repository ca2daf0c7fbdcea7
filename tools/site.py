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


LANDING_INTRO = """\
Executable notebooks, one per recipe, that solve real problems with AssemblyAI's speech-to-text API, its
LLM Gateway and well-known Python libraries. Each page shows a notebook with the outputs it stored the last
time it ran from its recording of the API's answers; nothing here was run to build the page.
"""
#: How a recipe runs, when the cookbook is published (its pages link to Colab) and when it is not.
RUN_PUBLISHED = """\
Every recipe runs three ways: in JupyterLab on your machine (`make lab`, replaying its recording until you
set `ASSEMBLYAI_API_KEY`), in Colab (the "Open in Colab" link on its page; add the key under *Secrets*), or
downloaded as a notebook.
"""
RUN_UNPUBLISHED = """\
Every recipe runs in JupyterLab on your machine (`make lab` in a clone of the cookbook, replaying its
recording until you set `ASSEMBLYAI_API_KEY`); each page offers its notebook as a download.
"""


def _needs_line(recipe: Recipe) -> str:
    needs = recipe.needs
    parts = []
    if needs.keys:
        parts.append(", ".join(f"`{k}`" for k in needs.keys) + " to run live (it replays its recording without)")
    if needs.extras:
        parts.append("extras " + ", ".join(f"`{e}`" for e in needs.extras))
    if needs.system:
        parts.append("system tools " + ", ".join(f"`{t}`" for t in needs.system))
    return "; ".join(parts) or "nothing beyond the cookbook's package"


def recording_line(provenance: dict) -> str:
    """When and against what the stored outputs were last recorded (the cassette's provenance)."""
    if not provenance:
        return "not recorded yet"
    source = provenance.get("source", "an unknown source")
    where = "the cookbook's local emulator of the API" if source == "emulator" else f"the real API ({source})"
    when = provenance.get("recorded_on", "an unknown date")
    return f"{when}, against {where}"


def recipe_header(recipe: Recipe, category_title: str, provenance: dict | None = None) -> str:
    """The lines put under a recipe's title: its links ("Open in Colab" only when the cookbook is
    published, the download always), what it needs, and its last recording."""
    colab_url = colab.colab_url(recipe.notebook)
    download = html.escape(f"{recipe.slug}.ipynb", quote=True)
    tags = " · ".join(recipe.tags)
    links = f'<a class="colab-link" href="{html.escape(colab_url, quote=True)}">Open in Colab</a>' if colab_url else ""
    return (
        '<p class="recipe-links">'
        + links
        + f'<a class="download-link" href="{download}" download>Download the notebook (.ipynb)</a>'
        "</p>\n\n"
        f'<p class="recipe-facts">Section: <a href="index.html">{html.escape(category_title)}</a>'
        + (f" · Tags: {html.escape(tags)}" if tags else "")
        + "</p>\n\n"
        f"**What it needs:** {_needs_line(recipe)}.\n\n"
        f'<p class="recipe-recording">Last recorded: {html.escape(recording_line(provenance or {}))}. '
        "The outputs below come from a replay of that recording.</p>\n"
    )


def recipe_notebook(source: Path, recipe: Recipe, category_title: str, provenance: dict | None = None) -> str:
    """The notebook as the site shows it: the header inserted under the title (outputs untouched)."""
    nb = json.loads(source.read_text(encoding="utf-8"))
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


def _recipe_list(recipes: list[Recipe], prefix: str) -> list[str]:
    return [f"- [{r.title}]({prefix}{r.slug}.ipynb): {r.description}" for r in recipes]


def landing_page(reg: Registry) -> str:
    """``index.md``: what the cookbook is, then every section with its recipes."""
    run = RUN_PUBLISHED if colab.published_repo() else RUN_UNPUBLISHED
    lines = ["# AssemblyAI cookbook", "", LANDING_INTRO, run]
    for category in reg.used_categories():
        lines += ["", f"## [{category.title}]({category.slug}/index.md)", "", category.description, ""]
        lines += _recipe_list(reg.in_category(category.slug), f"{category.slug}/")
    lines += ["", "```{toctree}", ":hidden:", ":maxdepth: 2", ""]
    lines += [f"{c.slug}/index" for c in reg.used_categories()]
    lines += ["```", ""]
    return "\n".join(lines)


def category_page(reg: Registry, slug: str) -> str:
    """``<category>/index.md``: the section's description and its recipes."""
    category = next(c for c in reg.categories if c.slug == slug)
    recipes = reg.in_category(slug)
    lines = [f"# {category.title}", "", category.description, ""]
    lines += _recipe_list(recipes, "")
    lines += ["", "```{toctree}", ":hidden:", ""] + [r.slug for r in recipes] + ["```", ""]
    return "\n".join(lines)


def staged_files(root: Path, reg: Registry) -> dict[str, str | Path]:
    """Every file of the staging folder: relative path -> text to write, or a file to copy."""
    files: dict[str, str | Path] = {"index.md": landing_page(reg)}
    for path in sorted(CONF_DIR.rglob("*")):  # conf.py and _static/, so the staging folder stands alone
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(CONF_DIR).as_posix()] = path
    for category in reg.used_categories():
        files[f"{category.slug}/index.md"] = category_page(reg, category.slug)
        for recipe in reg.in_category(category.slug):
            source = root / recipe.notebook
            cassette = root / "data" / "cassettes" / f"{recipe.slug}.yaml"
            provenance = read_provenance(cassette) if cassette.is_file() else {}
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
