"""Colab links that work or are not shown. One function, ``cookbook_utils.colab.published_repo()``, says where
the cookbook is published; the README's table, the site's pages and every notebook's Colab cell follow it, in
both states: published (links and an install from that repository) and unpublished (no link to Colab at all,
the download on the site, a Colab cell that stops with what to do). No link anywhere points at a repository
other than the configured one, except the third-party projects the recipes cite."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import colab, config, registry
from tools import registry as tool
from tools import site as site_tool

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = registry.load(ROOT)
PUBLISHED = "https://github.com/someone/voice-cookbook"

#: Repositories of third-party projects that recipes cite or use as an example input; any other GitHub
#: repository a link names must be the cookbook's own. A recipe that cites another project adds it here.
THIRD_PARTY = {
    "AssemblyAI/assemblyai-skill",  # model-migration: the agent skill's migration notes
    "BYVoid/OpenCC",  # chinese-script-conversion: the converter's project
    "TypeWhisper/typewhisper-mac",  # model-migration: a public report of the retired model's error
    "acme-audio/call-recordings",  # github-raw-links: the made-up repository of its example links
    "getmoto/moto",  # s3-presigned-url: the local S3 server
    "yt-dlp/yt-dlp",  # youtube-transcripts: the downloader's options
    "pradyunsg/furo",  # the site's theme, credited in every page's footer
    "sphinx-doc/sphinx",  # the site's generator, credited in the footer
}
_GITHUB_LINK = re.compile(r"(?<![\w.-])(?:www\.)?github\.com[/:]([\w.-]+)/([\w.-]+)", re.I)
_COLAB_LINK = re.compile(r"colab\.research\.google\.com(/[^\s\"'<>)\]]*)?", re.I)


def foreign_links(text: str, repo: str | None) -> list[str]:
    """The links in ``text`` that point at another repository than ``repo`` (the published one, or None):
    every Colab link that does not open a notebook of ``repo``, and every GitHub repository that is
    neither ``repo`` nor a third-party project of :data:`THIRD_PARTY`."""
    own = repo.removeprefix("https://github.com/").lower() if repo else None
    third = {name.lower() for name in THIRD_PARTY}
    found = []
    for match in _COLAB_LINK.finditer(text):
        path = (match[1] or "").lower()
        if own is None or not path.startswith(f"/github/{own}/blob/"):
            found.append(match[0])
    for match in _GITHUB_LINK.finditer(text):
        name = f"{match[1]}/{match[2].rstrip('.').removesuffix('.git')}".lower()
        # A table's plain-text form cuts a long cell with "..." (cookbook_utils.session._plain_table):
        # the name cut there is read as the start of the name it was.
        cut = match[2].endswith("...")
        known = [n for n in (own, *third) if n and (n == name or (cut and n.startswith(name)))]
        if not known:
            found.append(match[0])
    return found


def test_the_scan_finds_what_it_must():
    text = (
        "[Open](https://colab.research.google.com/github/AssemblyAI/cookbook/blob/main/a.ipynb) "
        "pip install 'x @ git+https://github.com/AssemblyAI/cookbook@main'; see https://github.com/yt-dlp/yt-dlp."
    )
    assert foreign_links("github.com/acme-audio/call-recording...", None) == []
    assert foreign_links("github.com/someone-else/call-recording...", None) != []
    assert foreign_links(text, None) == [
        "colab.research.google.com/github/AssemblyAI/cookbook/blob/main/a.ipynb",
        "github.com/AssemblyAI/cookbook",
    ]
    assert foreign_links(text, "https://github.com/AssemblyAI/cookbook") == []
    assert foreign_links("https://colab.research.google.com/", PUBLISHED) == ["colab.research.google.com/"]
    assert foreign_links("git@github.com:someone/voice-cookbook.git", PUBLISHED) == []


@pytest.fixture(params=["published", "unpublished"])
def state(request, monkeypatch):
    """The cookbook published at :data:`PUBLISHED` (by ``REPO_URL``), or unpublished; the clone's own
    origin is hidden either way, so the states are the same in a clone that has a GitHub origin."""
    monkeypatch.setattr(colab, "github_url_of_origin", lambda root: None)
    repo = PUBLISHED if request.param == "published" else None
    monkeypatch.setattr(config, "REPO_URL", repo)
    assert colab.published_repo() == repo
    return repo


def test_the_readme_table_follows_the_state(state):
    table = tool.readme_table(REGISTRY)
    assert foreign_links(table, state) == []
    for recipe in REGISTRY.recipes:
        assert f"]({recipe.notebook})" in table
    if state:
        assert table.count("[Open in Colab](") == len(REGISTRY.recipes)
        assert f"(https://colab.research.google.com/github/someone/voice-cookbook/blob/main/{recipe.notebook})" in table
        assert "| run it |" in table and "REPO_URL" not in table
    else:
        assert "Open in Colab](" not in table and "colab.research" not in table and "| run it |" not in table
        assert "set REPO_URL in cookbook_utils/config.py" in table and "run `make registry`" in table
        rows = [line for line in table.split("\n") if line.startswith("| [")]
        assert len(rows) == len(REGISTRY.recipes) and all(row.count(" | ") == 2 for row in rows)


def test_the_site_pages_follow_the_state(state):
    files = site_tool.staged_files(ROOT, REGISTRY)
    texts = {name: content for name, content in files.items() if isinstance(content, str)}
    for recipe in REGISTRY.recipes:
        page = json.loads(texts[f"{recipe.category}/{recipe.slug}.ipynb"])
        title = "".join(page["cells"][0]["source"])  # the title cell, with the links line under it
        links = re.search(r'<p class="recipe-links">.*?</p>', title)[0]
        assert f'<a class="download-link" href="{recipe.slug}.ipynb" download>' in links
        if state:
            url = f"https://colab.research.google.com/github/someone/voice-cookbook/blob/main/{recipe.notebook}"
            assert f'<a class="colab-link" href="{url}">Open in Colab</a>' in links
        else:
            assert "colab" not in title.lower()
        assert foreign_links(title, state) == []
    landing = texts["index.md"]
    assert ('"Open in Colab" link on its page' in landing) == bool(state)
    assert "download" in landing
    pages = {name: text for name, text in texts.items() if name.endswith(".md")}  # landing and sections
    assert not {name: found for name, text in pages.items() if (found := foreign_links(text, state))}


def _run_block(block: str, slug: str, monkeypatch) -> tuple[list[list[str]], str | None]:
    """Run a Colab block as Colab would (a stand-in ``google.colab``), with a pip that fails: the commands
    it ran, and the message it stopped with (None if it did not stop)."""
    import subprocess

    seen: list[list[str]] = []
    monkeypatch.setattr(
        subprocess, "run", lambda command, **kw: seen.append(list(command)) or types.SimpleNamespace(returncode=1)
    )
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    try:
        exec(compile(block, f"{slug} Colab cell", "exec"), {})
    except SystemExit as stopped:
        return seen, str(stopped)
    return seen, None


def test_the_colab_cell_follows_the_state(state, monkeypatch):
    recipe = REGISTRY.recipe("youtube-transcripts")  # a recipe with extras
    block = tool.colab_block(recipe)
    assert block.startswith(tool.COLAB_BLOCK_FIRST) and tool.COLAB_IF in block
    assert tool.split_setup_cell(block + '\n\nimport cookbook_utils as cu\nsession = cu.setup("x")')[0] == block
    assert foreign_links(block, state) == []
    assert len(block.split("\n")) <= 17, "the block stays short"
    commands, message = _run_block(block, recipe.slug, monkeypatch)
    if state:
        assert f'package = "cookbook-utils[youtube] @ git+{PUBLISHED}@main"' in block
        assert block.endswith(f'    prepare("youtube-transcripts", repo="{PUBLISHED}")')
        assert commands == [colab.install_command(recipe.needs.extras)]
        assert message and message.startswith("pip could not install")  # the stand-in pip failed
    else:
        assert "pip" not in block and "prepare" not in block and "git+" not in block
        assert commands == []
        assert message and "not published on GitHub" in message
        assert "Clone the repository and open this notebook from the clone" in message
        assert "set REPO_URL in cookbook_utils/config.py" in message
    monkeypatch.delitem(sys.modules, "google.colab")
    exec(compile(block, "off Colab", "exec"), {})  # off Colab: nothing happens


def test_an_unpublished_cookbook_refuses_to_name_an_install(state):
    if state:
        assert colab.requirement() == f"cookbook-utils @ git+{PUBLISHED}@main"
        assert colab.fetch_commands(Path("/content/cookbook"))[0][-2] == PUBLISHED
        return
    assert colab.colab_url("notebooks/speakers/speaker-labels.ipynb") is None
    for needs_a_repo in (colab.requirement, colab.install_command, lambda: colab.fetch_commands(Path("/x"))):
        with pytest.raises(colab.UnpublishedError, match="set REPO_URL in cookbook_utils/config.py"):
            needs_a_repo()


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_what_the_writers_write_links_only_the_configured_repository(state, project):
    """README and notebooks written in each state (as `make registry` would), and the site staged from
    them, then scanned: every Colab and GitHub link names the published repository, or a third-party
    project; unpublished, none opens Colab."""
    assert tool.main(["--write"]) == 0
    assert tool.main([]) == 0
    readme = (project / "README.md").read_text()
    found = {"README.md": foreign_links(readme, state)}
    for notebook in sorted(project.rglob("*.ipynb")):
        found[notebook.relative_to(project).as_posix()] = foreign_links(notebook.read_text(), state)
    for name, content in site_tool.staged_files(project, registry.load(project)).items():
        text = content if isinstance(content, str) else content.read_text(errors="replace")
        found[f"site: {name}"] = foreign_links(text, state)
    assert not {name: links for name, links in found.items() if links}
    assert ("Open in Colab](" in readme) == bool(state)
    first = tool.first_code_cell(nbformat.read(project / REGISTRY.recipe("speaker-labels").notebook, as_version=4))
    assert first.source == tool.colab_block(REGISTRY.recipe("speaker-labels"))


def test_the_committed_readme_and_notebooks_link_only_the_configured_repository():
    """In the state this clone is in (after `make registry`)."""
    repo = colab.published_repo(ROOT)
    found = {"README.md": foreign_links((ROOT / "README.md").read_text(), repo)}
    for recipe in REGISTRY.recipes:
        found[recipe.notebook] = foreign_links((ROOT / recipe.notebook).read_text(), repo)
    found = {name: links for name, links in found.items() if links}
    where = repo or "none: the cookbook is unpublished"
    assert not found, (
        f"{len(found)} files link to another repository than the published one ({where}): run `make registry`; "
        + "; ".join(f"{name}: {links[0]}" for name, links in sorted(found.items())[:3])
    )


# --- where the cookbook is published: one function decides -----------------------------------------


def _clone_with_origin(path: Path, origin: str) -> Path:
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


def test_repo_url_wins_then_the_origin_then_nothing(tmp_path, monkeypatch):
    clone = _clone_with_origin(tmp_path / "clone", "git@github.com:me/my-cookbook.git")
    monkeypatch.setattr(config, "REPO_URL", None)
    assert colab.published_repo(clone) == "https://github.com/me/my-cookbook"
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/Someone/Cookbook.git")
    assert colab.published_repo(clone) == "https://github.com/Someone/Cookbook"
    monkeypatch.setattr(config, "REPO_URL", None)
    assert colab.published_repo(_clone_with_origin(tmp_path / "gitlab", "https://gitlab.com/me/cookbook.git")) is None
    assert colab.published_repo(tmp_path / "not-a-clone") is None
    inside = clone / "copy"  # a copy of the project inside another clone does not take its origin
    inside.mkdir()
    assert colab.published_repo(inside) is None


def test_a_repo_url_that_is_not_on_github_is_refused(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "https://gitlab.com/me/cookbook")
    with pytest.raises(ValueError, match="must be a GitHub repository's address"):
        colab.published_repo()


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_a_clone_pushed_to_github_gets_its_links_from_its_origin(project, monkeypatch, capsys):
    monkeypatch.setattr(config, "REPO_URL", None)
    _clone_with_origin(project, "https://github.com/me/my-cookbook.git")
    tool.main(["--write"])
    capsys.readouterr()
    assert tool.main([]) == 0
    assert "note:" not in capsys.readouterr().err
    readme = (project / "README.md").read_text()
    assert "(https://colab.research.google.com/github/me/my-cookbook/blob/main/notebooks/" in readme
    assert foreign_links(readme, "https://github.com/me/my-cookbook") == []
