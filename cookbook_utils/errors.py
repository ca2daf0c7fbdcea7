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


class LLMError(CookbookError):
    """A call to the LLM Gateway failed; the message says why and what to do."""

    def __init__(self, message: str, *, status_code: int | None = None, reply: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.reply = reply  # the model's text, when there was one


class LLMAuthError(LLMError):
    """The LLM Gateway refused the API key (401 or 403)."""


class UnknownModelError(LLMError, LookupError):
    """The LLM Gateway does not offer the requested model."""


class LLMRefusalError(LLMError):
    """The model declined to answer."""


class LLMOutputError(LLMError, ValueError):
    """The model's reply is not the JSON asked for: it does not parse, or it breaks the schema."""


class EmbeddingError(CookbookError):
    """Texts could not be embedded: the model is missing, or the embedding service failed."""
