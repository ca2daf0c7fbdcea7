"""Every AssemblyAI documentation link in a notebook comes from one table, docs/doc-links.yml.

The table names each current docs page once (checked against the live docs on the date in its
header). A notebook may link a page only by a URL in that table, with or without a #fragment, so
a moved page is fixed in one place and stale paths (``/docs/speech-to-text/...``) cannot creep
back. docs/doc-links-rewrites.yml maps the old URLs to the current ones, and
``python -m tools.rewrite_doc_links`` applies it. No network: the table is the reference.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from cookbook_utils import paths
from cookbook_utils.yamlio import load_yaml

TABLE = paths.project_root() / "docs" / "doc-links.yml"
PREFIX = "https://www.assemblyai.com/docs/"
DOC_URL = re.compile(r"https?://(?:www\.)?assemblyai\.com/docs[^\s)\]\"'>`]*")
NOTEBOOKS = sorted(paths.notebooks().items())


def load_table() -> dict[str, dict]:
    with TABLE.open(encoding="utf-8") as f:
        return load_yaml(f)


def doc_urls(text: str) -> list[str]:
    """The AssemblyAI docs URLs in a piece of text, trailing punctuation removed."""
    return [url.rstrip(".,") for url in DOC_URL.findall(text)]


def unknown_links(where: str, text: str, known: set[str]) -> list[str]:
    """One message per docs URL in ``text`` whose page (fragment stripped) is not in ``known``."""
    return [
        f"{where}: {url} is not in docs/doc-links.yml; use a URL from docs/doc-links.yml "
        "(or add a verified entry there)"
        for url in doc_urls(text)
        if url.split("#", 1)[0] not in known
    ]


def test_table_parses_and_is_well_formed():
    table = load_table()
    assert isinstance(table, dict) and table, "docs/doc-links.yml must be a non-empty mapping"
    urls = []
    for name, entry in table.items():
        assert isinstance(entry, dict), f"{name}: entry must be a mapping"
        assert set(entry) >= {"url", "title", "source", "verified"}, f"{name}: missing keys"
        assert isinstance(entry["verified"], bool), f"{name}: verified must be true or false"
        assert entry["url"].startswith(PREFIX), f"{name}: {entry['url']} must start with {PREFIX}"
        assert "#" not in entry["url"], f"{name}: table URLs carry no #fragment"
        urls.append(entry["url"])
    # YAML silently keeps the last of two equal keys, so count the names in the text as well.
    names = re.findall(r"^([A-Za-z0-9_-]+):\s*$", TABLE.read_text(encoding="utf-8"), re.M)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"names used twice in docs/doc-links.yml: {duplicates}"
    repeated = sorted({u for u in urls if urls.count(u) > 1})
    assert not repeated, f"URLs listed twice in docs/doc-links.yml: {repeated}"


@pytest.mark.parametrize(("slug", "path"), NOTEBOOKS, ids=[slug for slug, _ in NOTEBOOKS])
def test_notebook_doc_links_are_in_table(slug, path):
    known = {entry["url"] for entry in load_table().values()}
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        where = f"{path.relative_to(paths.project_root())} cell {index} ({cell.cell_type})"
        problems += unknown_links(where, cell.source, known)
    assert not problems, "\n".join(problems)


def test_the_check_catches_an_old_url():
    known = {entry["url"] for entry in load_table().values()}
    fake = (
        "See [the models](https://www.assemblyai.com/docs/speech-to-text/models).\n"
        "and [diarization](https://www.assemblyai.com/docs/pre-recorded-audio/label-speakers#x)."
    )
    problems = unknown_links("fake.ipynb cell 0 (markdown)", fake, known)
    assert len(problems) == 1
    assert "fake.ipynb" in problems[0]
    assert "https://www.assemblyai.com/docs/speech-to-text/models" in problems[0]
    assert "docs/doc-links.yml" in problems[0]
