"""What a notebook's whole recipe, run alone (``tests/project/test_whole_recipes.py``), reads from its
environment besides the SDK's variables: what a reader would bring (a link, a bucket), started here
as a stand-in. One entry per notebook that needs one: a context manager factory ``(tmp_path) ->
dict of environment variables``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from cookbook_utils import paths


@contextmanager
def captions_page(tmp_path: Path) -> Iterator[dict[str, str]]:
    """streaming-browser-captions: the page the backend serves, beside the script, as a reader keeps it."""
    page = paths.notebook_path("streaming-browser-captions").parent / "captions" / "index.html"
    (tmp_path / "captions").mkdir(exist_ok=True)
    shutil.copy(page, tmp_path / "captions" / "index.html")
    yield {}


INPUTS: dict[str, Callable[[Path], AbstractContextManager[dict[str, str]]]] = {
    "streaming-browser-captions": captions_page,
}
