"""What every part of the emulator shares: its state, its clock, its ids and the hosts of each
region.

Locking: ``State.lock`` guards the dictionaries and the id sequence only. It is held for a dict
update or a read, never while downloading an audio URL, probing audio with ffmpeg, validating a
body or calling a webhook, so one slow request never delays another.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cookbook_utils import config
from tools.emulator import accounts, conversations

if TYPE_CHECKING:
    from tools.emulator.transcripts import TranscriptRecord

ROOT = Path(__file__).resolve().parents[2]
#: Each region's API and LLM Gateway hosts; the emulator answers each region on a port of its own,
#: and a transcript made in one region does not exist in the other (as with the real deployments).
REGION_HOSTS: dict[str, tuple[str, str]] = {
    "us": (config.API_HOST, config.LLM_GATEWAY_HOST),
    "eu": (config.EU_API_HOST, config.EU_LLM_GATEWAY_HOST),
}


class Scheduler:
    """Runs callbacks at given monotonic times on one background thread (transcripts finishing
    whether or not anyone polls). Callbacks must be quick; slow work belongs in its own thread."""

    def __init__(self, problems: list[str]) -> None:
        self._problems = problems
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="emulator-scheduler", daemon=True)
        self._thread.start()

    def at(self, when: float, callback: Callable[[], None]) -> None:
        with self._wake:
            heapq.heappush(self._queue, (when, next(self._counter), callback))
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._queue)
            try:
                callback()
            except Exception:  # noqa: BLE001 - a failed callback must not stop the clock
                import traceback

                self._problems.append(f"scheduled work failed:\n{traceback.format_exc()}")


class State:
    """Everything the emulator remembers: uploads, transcripts, chat calls; and its settings."""

    def __init__(
        self,
        data_dir: Path,
        notebook: str | None,
        processing_seconds: float = 0.0,
        account: str = "paid",
        limiter: accounts.RateLimiter | None = None,
        internet: bool = False,
    ):
        self.data_dir = data_dir
        #: True: answer as the real API does from the internet, which cannot reach this machine: a
        #: loopback or private ``audio_url`` fails to download and no webhook is delivered (the
        #: rehearsal, ``tools/rehearse.py``). False: fetch loopback audio and call loopback webhooks
        #: (recording against the cookbook's local stand-ins).
        self.internet = internet
        #: Every ``audio_url`` and ``webhook_url`` a request sent, as ``(field, url)``, for the rehearsal.
        self.urls_sent: list[tuple[str, str]] = []
        #: ``paid`` or ``free`` (``tools/emulator/accounts.py``), and the free account's rate limits.
        self.account = accounts.checked(account)
        self.limiter = limiter or accounts.RateLimiter()
        self.notebook = notebook
        self.processing_seconds = processing_seconds
        self.library = conversations.load_library(data_dir)
        self.uploads: dict[str, dict] = {}
        self.transcripts: dict[str, TranscriptRecord] = {}
        self.chat_calls = 0
        self.chat_requests: list[dict] = []  # every chat completion body accepted, for tests
        self.webhooks: list[dict] = []  # every webhook delivery attempted, for tests
        #: Every POST a webhook delivery made, retries included, in order: ``transcript_id``,
        #: ``status``, ``attempt`` (1, 2...), ``header`` (the auth header's name or None), ``body``
        #: and ``code`` (the receiver's answer; None for no answer in time). ``tools/record.py``
        #: keeps them in the cassette, so that a replay delivers them again.
        self.webhook_attempts: list[dict] = []
        #: How long one delivery waits for the receiver's answer (the docs: 2xx within 10 s), and
        #: the pause between attempts (not documented): tests make both short.
        self.webhook_timeout_s = 10.0
        self.webhook_retry_pause_s = 0.2
        #: Unexpected failures in background work; the server shares this list as its violations.
        self.problems: list[str] = []
        self.sequence = 0
        self.lock = threading.Lock()
        self.scheduler = Scheduler(self.problems)

    def next_id(self, kind: str, *_details: object) -> str:
        """Deterministic ids from the notebook, the kind of object and its place in the sequence
        only: the same requests in the same order give the same ids on every run. Request details
        (bodies) are accepted and ignored, as they may hold a loopback port or a date. They are
        valid UUIDv4s (version and variant bits set), as the API's ids are."""
        with self.lock:
            self.sequence += 1
            sequence = self.sequence
        digest = hashlib.sha256(f"{self.notebook}|{kind}|{sequence}".encode()).hexdigest()
        return str(uuid.UUID(digest[:32], version=4))

    def close(self) -> None:
        self.scheduler.stop()
