"""Faults on purpose: a plan the emulator follows to fail some requests the way a real service
sometimes does, so that retry code can be written, tested and recorded.

    from tools.emulator import Emulator
    from tools.emulator.faults import Fault, FaultPlan

    plan = FaultPlan([Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=2)])
    with Emulator(api_key="k", faults=plan) as emulator:   # or later: emulator.faults = plan
        ...

Kinds: ``"500"``, ``"502"``, ``"503"``, ``"504"``, ``"429"`` (with ``Retry-After``) answer with that
status and the API's error body (on sync transcription and dictation a ``"504"`` is their 30 s deadline,
``inference_timeout``, and a ``"503"`` is ``capacity_exceeded`` with ``Retry-After``: see
``sync_dictation``; on text to speech they are ``rate_limited``, ``at_capacity``, ``internal_error`` and
``session_expired``: see ``tts``); ``"reset"`` resets the connection without an answer; ``"slow"`` waits
``delay`` seconds before answering normally (longer than the client's timeout); ``"cut_upload"``
reads part of the request body (``cut_after`` bytes, default half) and resets the connection;
``"transcript_error"`` answers a ``POST /v2/transcript`` as usual (``queued``), and the transcript it
created then ends with status ``error`` and the API's server-error text ("Server error, developers
have been alerted."), as a real transcript sometimes does (on any other request it has no effect).

A fault applies to requests whose method and path match (``path`` is a glob on the URL path:
``"/v2/transcript/*"``). Which of them: the ``nth`` matching requests (counted from 1), or each
with probability ``fraction`` drawn from a generator seeded with ``seed`` (the same requests in the
same order fail every run), or every one when neither is given. The first fault of the plan that
fires wins; each fault counts its own matches.

From a recording: ``COOKBOOK_EMULATOR_FAULTS`` holds the plan as JSON (a list of faults, each an
object with the fields below), or ``data/faults/<slug>.json`` holds it for one notebook.
Status faults are ordinary responses: the recorder stores them and replay serves them again.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

ENV_FAULTS = "COOKBOOK_EMULATOR_FAULTS"
STATUS_KINDS = {"500": 500, "502": 502, "503": 503, "504": 504, "429": 429}
KINDS = {*STATUS_KINDS, "reset", "slow", "cut_upload", "transcript_error"}
_CURRENT = threading.local()  # the fault of the request this thread is answering


def transcript_fails_on_the_server() -> bool:
    """True while this thread answers a request under a ``"transcript_error"`` fault: the transcript
    it creates is to end in the server's error (read by ``transcripts.create``)."""
    return getattr(_CURRENT, "kind", None) == "transcript_error"


class answering:
    """``with answering(fault):`` marks this thread's request as under ``fault`` (or none)."""

    def __init__(self, fault: Fault | None):
        self.kind = fault.kind if fault is not None else None

    def __enter__(self) -> None:
        _CURRENT.kind = self.kind

    def __exit__(self, *exc) -> None:
        _CURRENT.kind = None


@dataclass
class Fault:
    """One kind of failure for the requests that match ``method`` and ``path``."""

    kind: str
    method: str = "*"
    path: str = "*"
    nth: list[int] = field(default_factory=list)
    fraction: float | None = None
    seed: int = 0
    retry_after: int = 1  # seconds, for "429"
    delay: float = 30.0  # seconds, for "slow"
    cut_after: int | None = None  # bytes read before the reset, for "cut_upload"

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {sorted(KINDS)}")
        if self.fraction is not None and not 0 <= self.fraction <= 1:
            raise ValueError(f"fault fraction {self.fraction} must be between 0 and 1")
        if any(n < 1 for n in self.nth):
            raise ValueError(f"fault nth {self.nth}: requests are counted from 1")
        self._matches = 0
        self._random = random.Random(self.seed)

    @property
    def status(self) -> int | None:
        return STATUS_KINDS.get(self.kind)

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method.upper()) and fnmatch.fnmatchcase(path, self.path)

    def fires(self) -> bool:
        """Count one matching request; True when this one is to fail (call under the plan's lock)."""
        self._matches += 1
        if self.nth:
            return self._matches in self.nth
        if self.fraction is not None:
            return self._random.random() < self.fraction
        return True


class FaultPlan:
    """The faults the emulator follows, checked in order for every request."""

    def __init__(self, faults: list[Fault] | None = None):
        self.faults = list(faults or [])
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path) of each fault served

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one fires (every matching fault counts the request)."""
        chosen = None
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path) and fault.fires() and chosen is None:
                    chosen = fault
            if chosen is not None:
                self.fired.append((chosen.kind, method, path))
        return chosen

    @classmethod
    def from_json(cls, text: str, where: str = "fault plan") -> FaultPlan:
        """A plan from JSON: a list of faults, or ``{"faults": [...]}``; a mistake is a ValueError
        that says where and what (``where`` names the source: an env var, a file)."""
        fields = sorted(f.name for f in dataclasses.fields(Fault))
        try:
            data = json.loads(text)
            items = data["faults"] if isinstance(data, dict) else data
            faults = []
            for item in items:
                unknown = set(item) - set(fields)
                if unknown:
                    raise ValueError(f"unknown fields {sorted(unknown)}; a fault takes {fields}")
                faults.append(Fault(**item))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{where}: not a valid fault plan ({error}); see tools/emulator/faults.py") from None
        return cls(faults)

    @classmethod
    def from_env(cls, slug: str | None = None, data_dir: Path | None = None) -> FaultPlan | None:
        """The plan for a recording: ``COOKBOOK_EMULATOR_FAULTS`` (JSON), else the notebook's
        ``data/faults/<slug>.json``, else None."""
        text = os.environ.get(ENV_FAULTS)
        if text:
            return cls.from_json(text, ENV_FAULTS)
        path = data_dir / "faults" / f"{slug}.json" if slug and data_dir is not None else None
        if path is not None and path.is_file():
            return cls.from_json(path.read_text(), str(path))
        return None
