"""The cookbook's one error root. Each error says what went wrong and what to do about it.

Every error the cookbook raises is a :class:`CookbookError` (in a notebook, IPython shows its message
and the line that raised it, without a long traceback). A subclass exists only where a caller catches
that case by type: ``recording.streams.StreamReplayError``, ``audio.AudioDecodeError``,
``registry.RegistryError``, :class:`SetupNeeded` (a live run that needs a setting only the reader has),
and the recording's missing-request error, which vcrpy catches. An API call
that fails raises the SDK's own error (``assemblyai.types.AssemblyAIError`` and its subclasses), which
is what a notebook catches.
"""

from __future__ import annotations


class CookbookError(Exception):
    """Base class for every error raised by ``cookbook_utils``."""


class SetupNeeded(CookbookError):
    """A live run reached a step that needs something only the reader has (a bucket, a link, a public
    URL): ``variable`` names the environment variable to set. The message says what to set it to."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(message)
        self.variable = variable
