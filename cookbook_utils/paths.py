"""Where the project's notebooks, recordings and reference audio live."""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path

from .config import ENV_ROOT
from .errors import CookbookError


@cache
def project_root() -> Path:
    """The cookbook's folder: ``$COOKBOOK_ROOT``, else the first folder above the package or the
    working directory that holds ``notebooks/`` and ``data/``."""
    if os.environ.get(ENV_ROOT):
        return Path(os.environ[ENV_ROOT]).resolve()
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / "notebooks").is_dir() and (folder / "data").is_dir():
                return folder
    raise FileNotFoundError(
        "Cannot find the cookbook folder (one holding notebooks/ and data/). "
        f"Run from inside the project, or set {ENV_ROOT} to its path."
    )


def data_dir() -> Path:
    """``data/`` in the project."""
    return project_root() / "data"


def cassette_path(slug: str) -> Path:
    """The recording of one notebook: ``data/cassettes/<slug>.yaml``."""
    return data_dir() / "cassettes" / f"{slug}.yaml"


def notebooks() -> dict[str, Path]:
    """Every recipe notebook on disk, by slug."""
    found = {}
    for path in sorted((project_root() / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            found[path.stem] = path
    return found


def notebook_path(slug: str) -> Path:
    """The notebook of a recipe; an unknown slug raises with the closest known ones."""
    known = notebooks()
    if slug in known:
        return known[slug]
    close = difflib.get_close_matches(slug, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise CookbookError(
        f"No recipe called {slug!r}: there is no notebooks/<category>/{slug}.ipynb.{hint} "
        "Pass the notebook's file name without .ipynb."
    )


def audio_file(name: str) -> Path:
    """A reference recording shipped in ``data/audio`` (``"support-call.mp3"``)."""
    return _shipped_file("audio", name)


def media_file(name: str) -> Path:
    """A video shipped in ``data/media`` (``"podcast-clip.mp4"``), the stand-in for a video site."""
    return _shipped_file("media", name)


def text_file(name: str) -> Path:
    """A text shipped in ``data/texts`` (``"shop-newsletter.txt"``), the input of a text-to-speech recipe."""
    return _shipped_file("texts", name, what="text")


def _shipped_file(folder: str, name: str, what: str = "reference recording") -> Path:
    path = data_dir() / folder / name
    if not path.is_file():
        available = sorted(p.name for p in (data_dir() / folder).glob("*") if p.is_file())
        raise CookbookError(f"No {what} {name!r} in {path.parent}. Available: {', '.join(available)}.")
    return path
