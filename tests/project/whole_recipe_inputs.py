"""What a notebook's whole recipe, run alone (``tests/project/test_whole_recipes.py``), reads from its
environment besides the SDK's variables: what a reader would bring (a link, a bucket), started here
as a stand-in. One entry per notebook that needs one: a context manager factory ``(tmp_path) ->
dict of environment variables``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from tools.whole_recipe import OFFLINE_SITE

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def cookbook_installed(_: Path) -> Iterator[dict[str, str]]:
    """The cookbook's package importable, as after the reader's ``pip install "cookbook-utils[diarization]"``
    (pyannote-speaker-labels falls back to its packaged diarizer)."""
    yield {"PYTHONPATH": f"{OFFLINE_SITE}:{ROOT}"}


INPUTS: dict[str, Callable[[Path], AbstractContextManager[dict[str, str]]]] = {
    "pyannote-speaker-labels": cookbook_installed,
}
