"""Errors the cookbook raises. Each one says what went wrong and what to do about it."""

from __future__ import annotations


class CookbookError(Exception):
    """Base class for every error raised by ``cookbook_utils``."""


class UnknownRecipeError(CookbookError, LookupError):
    """``setup()`` was given a slug that names no notebook."""


class MissingCassetteError(CookbookError, FileNotFoundError):
    """Replay mode was chosen but the notebook has no recording."""


class MissingKeyError(CookbookError):
    """A mode that talks to the real API was asked for, but no API key was found."""


class AudioFileNotFoundError(CookbookError, FileNotFoundError):
    """A reference recording named by a notebook is not in ``data/audio``."""


class EmbeddingError(CookbookError):
    """The packaged local embedding model cannot be loaded: it or sentence-transformers is missing."""
