"""Helpers shared by the AssemblyAI cookbook's notebooks.

Every notebook starts with ``session = cookbook_utils.setup("<slug>")``, which decides whether
its HTTP calls are replayed from a recording, sent to the real API, or recorded.
"""

from .alignment import Segment, assign_speakers, group_turns, label_words
from .config import SPEECH_MODELS
from .diarization import speaker_accuracy
from .errors import CookbookError, SetupNeeded
from .modes import Mode, resolve_mode
from .recording import scrub_text, scrub_url
from .session import Session, save_recording, setup
from .timestamps import format_timestamp

__all__ = [
    "SPEECH_MODELS",
    "CookbookError",
    "Mode",
    "Segment",
    "Session",
    "SetupNeeded",
    "assign_speakers",
    "format_timestamp",
    "group_turns",
    "label_words",
    "resolve_mode",
    "save_recording",
    "scrub_text",
    "scrub_url",
    "setup",
    "speaker_accuracy",
]
__version__ = "0.1.0"
