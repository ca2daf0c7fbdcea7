"""What every part of the emulator shares: its errors, its state and the answers it gives on auth."""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path

from tools.emulator import conversations as build

ROOT = Path(__file__).resolve().parents[2]
UNAUTHORIZED = "Authentication error, API token missing/invalid"
NOT_FOUND = "Transcript lookup error, transcript id not found"


class EmulatorError(Exception):
    """A request the emulator answers with an error status (the real API's, where it has one)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class State:
    """Everything the emulator remembers: uploads, transcripts, how often each was polled."""

    def __init__(self, data_dir: Path, notebook: str | None):
        self.data_dir = data_dir
        self.notebook = notebook
        self.library = build.load_library(data_dir)
        self.uploads: dict[str, dict] = {}
        self.transcripts: dict[str, dict] = {}
        self.chat_calls = 0
        self.chat_requests: list[dict] = []  # every chat completion body accepted, for tests
        self.sequence = 0
        self.lock = threading.Lock()

    def next_id(self, kind: str, *_details: object) -> str:
        """Deterministic ids from the notebook, the kind of object and its place in the sequence
        only: the same requests in the same order give the same ids on every run. Request details
        (bodies) are accepted and ignored, as they may hold a loopback port or a date."""
        self.sequence += 1
        digest = hashlib.sha256(f"{self.notebook}|{kind}|{self.sequence}".encode()).hexdigest()
        return str(uuid.UUID(digest[:32]))
