"""Helpers shared by the AssemblyAI cookbook's notebooks.

Every notebook starts with ``session = cookbook_utils.setup("<slug>")``, which decides whether
its HTTP calls are replayed from a recording, sent to the real API, or recorded.
"""

from .config import SPEECH_MODELS
from .errors import (
    AudioFileNotFoundError,
    CookbookError,
    MissingCassetteError,
    MissingKeyError,
    UnknownRecipeError,
)
from .modes import Mode, resolve_mode
from .session import Session, save_recording, setup
from .timestamps import format_timestamp

__all__ = [
    "SPEECH_MODELS",
    "AudioFileNotFoundError",
    "CookbookError",
    "MissingCassetteError",
    "MissingKeyError",
    "Mode",
    "Session",
    "UnknownRecipeError",
    "format_timestamp",
    "resolve_mode",
    "save_recording",
    "setup",
]
__version__ = "0.1.0"
