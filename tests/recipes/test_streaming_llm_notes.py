"""streaming-llm-notes never loses a turn when a gateway call in its worker fails: the notebook's own
worker (``take_notes``, ``update_or_keep``) is run with ``update_notes`` failing on purpose, and every
turn must reach an update that succeeded; the failures are reported with the error's cause."""

from __future__ import annotations

import types

import pytest
from assemblyai.types import LLMGatewayError

from tools.notebook_code import load_definitions

NAMES = ["on_turn", "update_or_keep", "take_notes"]
CONSTANTS = ("EVERY", "RETRYABLE", "notes", "history", "failures", "fatal", "final_turns")


@pytest.fixture
def worker():
    ns = load_definitions("streaming-llm-notes", NAMES, CONSTANTS)
    sleeps: list[float] = []
    ns["time"] = types.SimpleNamespace(sleep=sleeps.append)  # backoff without waiting
    ns["sleeps"] = sleeps
    return ns


def _run(ns, fail: dict[int, LLMGatewayError], turns: int = 14) -> tuple[list[list[str]], list[str]]:
    """Feed ``turns`` final turns; call n of update_notes raises ``fail[n]``. Returns the turns of each
    update that succeeded, and the turns no update took."""
    taken: list[list[str]] = []
    calls = iter(range(1, 1000))

    def update_notes(notes, new_turns, model=None):
        n = next(calls)
        if n in fail:
            raise fail[n]
        taken.append(list(new_turns))
        return {**notes, "summary": f"after call {n}"}

    ns["update_notes"] = update_notes
    for i in range(turns):
        ns["final_turns"].put((f"Speaker A: turn {i}", float(i)))
    ns["final_turns"].put(None)
    return taken, ns["take_notes"]()


def test_a_503_is_retried_with_backoff_and_no_turn_is_lost(worker):
    outage = LLMGatewayError("Service Unavailable", status_code=503, request_id="r1", errors=["upstream down"])
    taken, unsent = _run(worker, {1: outage, 2: outage})
    sent = [turn for update in taken for turn in update]
    assert sent == [f"Speaker A: turn {i}" for i in range(14)] and unsent == []
    assert worker["sleeps"] == [1.0, 2.0]  # doubling waits
    assert len(worker["failures"]) == 2 and "upstream down" in worker["failures"][0]


def test_a_400_is_not_retried_it_stops_the_notes_and_its_turns_are_returned(worker):
    bad = LLMGatewayError("invalid request body", status_code=400, errors=["model x is not supported"])
    taken, unsent = _run(worker, {1: bad})
    assert worker["sleeps"] == []  # a 400 would fail the same way again
    assert worker["fatal"] == [bad]  # Step 4 raises it once the stream has stopped
    assert taken == [] and unsent == [f"Speaker A: turn {i}" for i in range(6)]  # kept, not dropped
    assert "model x is not supported" in worker["failures"][0] and len(worker["failures"]) == 1


def test_turns_no_update_took_are_returned_not_dropped(worker):
    down = LLMGatewayError("Service Unavailable", status_code=503)
    taken, unsent = _run(worker, {n: down for n in range(1, 100)}, turns=3)
    assert taken == [] and unsent == [f"Speaker A: turn {i}" for i in range(3)]
