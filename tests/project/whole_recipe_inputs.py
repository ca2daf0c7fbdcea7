"""What a notebook's whole recipe, run alone (``tests/project/test_whole_recipes.py``), reads from its
environment besides the SDK's variables: what a reader would bring (a link, a bucket), started here
as a stand-in. One entry per notebook that needs one: a context manager factory ``(tmp_path) ->
dict of environment variables``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

INPUTS: dict[str, Callable[[Path], AbstractContextManager[dict[str, str]]]] = {}
