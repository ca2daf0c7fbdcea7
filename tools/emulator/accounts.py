"""The free-credit account switch: ``Emulator(account="free")``, ``--account free`` or
``COOKBOOK_EMULATOR_ACCOUNT=free``. The default, ``paid``, changes nothing.

A free-credit key, as the live probe of 2026-09-24 met it (``../shared/real-responses/probes/
live-2026-09-24-smoke.json``; facts section 13 rows 3 and 7):

- every Claude, GPT and Gemini model answers 400 ``invalid request body`` with the cause
  ``Your account does not have access to this LLM Gateway model``; only :data:`FREE_MODELS` work;
  ``GET /v1/models`` still lists everything;
- ``POST /v1/understanding`` (and ``/validate``, billed like it) and each free model allow
  :data:`LIMIT` requests per :data:`WINDOW_SECONDS` per key, then 429 ``too many requests for this
  action`` with ``retry-after`` (whole seconds until the oldest request leaves the window) and the
  ``x-ratelimit-*`` headers the capture shows.

The window is counted on an injectable clock (``Emulator(clock=...)``), so tests need not wait.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

from tools.emulator.errors import EmulatorError, text

ACCOUNTS = ("paid", "free")
ENV_ACCOUNT = "COOKBOOK_EMULATOR_ACCOUNT"
#: The one model a free-credit key may use (2026-09-24: "only qwen3.5-4b-32k-fast worked").
FREE_MODELS = frozenset({"qwen3.5-4b-32k-fast"})
LIMIT, WINDOW_SECONDS = 2, 60.0
#: The rate-limit headers of each limited action, as captured (``x-ratelimit-*``).
SERVICES = {"understanding": ("understanding", "speech-understanding"), "llmgw": ("model", "llmgw")}


def checked(account: str) -> str:
    """``account`` if it is one the emulator knows; a ValueError that lists them otherwise."""
    if account not in ACCOUNTS:
        raise ValueError(
            f"account must be one of {', '.join(ACCOUNTS)} (as {ENV_ACCOUNT} or --account), not {account!r}"
        )
    return account


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds for each (key, action), on ``clock``."""

    def __init__(self, limit: int = LIMIT, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[tuple[str, str], collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def take(self, key: str, action: str, service: str, subject: str) -> None:
        """Count one request, or raise the 429 when the window is full (``service``: a key of
        :data:`SERVICES`; ``subject``: the feature or model named in the headers)."""
        now = self.clock()
        with self._lock:
            seen = self._seen[(key, action)]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) < self.limit:
                seen.append(now)
                return
            wait = max(1, math.ceil(seen[0] + self.window - now))
        kind, name = SERVICES[service]
        headers = {
            "retry-after": str(wait),
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-reset": str(wait),
            f"x-ratelimit-{kind if kind == 'model' else 'feature'}": subject,
            "x-ratelimit-service": name,
        }
        raise EmulatorError(429, text("gateway_rate_limited"), headers=headers)


def check_model(account: str, model_id: str) -> None:
    """On a free account, the 400 for a listed model the account may not use."""
    if account == "free" and model_id not in FREE_MODELS:
        raise EmulatorError(400, text("gateway_no_model_access"))
