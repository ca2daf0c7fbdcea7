"""streaming-llm-notes never loses a turn when a gateway call in its worker fails: the notebook's own
worker (``take_notes``, ``update_or_keep``) is run with ``update_notes`` failing on purpose, and every
turn must reach an update that succeeded; the failures are reported with the error's cause."""

from __future__ import annotations

import types

import pytest
from assemblyai.types import LLMGatewayError

from tools import spec
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


# --- the whole recipe, run alone as a reader's script (tools/whole_recipe.py) -----------------------


def _whole_recipe(**substitutions: str) -> str:
    import nbformat

    from cookbook_utils import paths
    from tools.whole_recipe import whole_recipe_cell

    source = whole_recipe_cell(nbformat.read(paths.notebook_path("streaming-llm-notes"), as_version=4))[1]
    for old, new in substitutions.items():
        assert old in source, f"the whole recipe no longer holds {old!r}"
        source = source.replace(old, new)
    return source


def _run_alone(source: str, faults=None):
    from tools.emulator import Emulator
    from tools.emulator.faults import FaultPlan
    from tools.whole_recipe import as_script, real_origins, run_script, script_env

    with Emulator(api_key="whole-recipe-key", notebook="streaming-llm-notes", faults=FaultPlan(faults)) as emulator:
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator))
        heard = sum(m.get("audio_ms", 0) for who, m in emulator.streaming.traffic if who == "client")
        assert not emulator.streaming.violations
    return run, heard


FAST = {"pace: float = 1.0": "pace: float = 0.2"}  # the emulator takes audio faster than real time


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_retries_a_gateway_429_and_keeps_its_turns():
    from tools.emulator.faults import Fault

    run, _ = _run_alone(_whole_recipe(**FAST), [Fault("429", method="POST", path="/v1/chat/completions", nth=[1])])
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[1].startswith("Failed, turns kept: 2 turns, try 1: 429"), lines
    assert "Updates: 2; turns not in the notes: 0" in lines  # the retry took the same two turns


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_stops_on_a_400_and_raises_it_after_the_worker():
    source = _whole_recipe(**FAST, **{'LLM_MODEL = "claude-sonnet-4-6"': 'LLM_MODEL = "claude-retired-2023"'})
    run, heard = _run_alone(source)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "The notes stopped, as no retry can help: 2 turns, try 1: 400" in run.stderr
    assert "claude-retired-2023 is not supported" in run.stderr
    assert "LLMGatewayError" in run.stderr  # raised from the gateway's error, kept as its cause
    assert heard < 22_000, "the stream went on after no update could succeed"


def test_a_turn_the_stream_could_not_place_is_sent_as_unknown_not_as_a_letter(worker):
    """The spec labels a turn under about a second ``UNKNOWN``: the worker gets "Speaker unknown",
    which the prompt explains, never "Speaker UNKNOWN" as if it were a person's letter."""
    word = types.SimpleNamespace(end=2500)
    for label in ("UNKNOWN", None, "B"):
        event = types.SimpleNamespace(
            end_of_turn=True, turn_is_formatted=True, speaker_label=label, transcript="Yes.", words=[word]
        )
        worker["on_turn"](None, event)
    said = [worker["final_turns"].get_nowait()[0] for _ in range(3)]
    assert said == ["Speaker unknown: Yes.", "Speaker unknown: Yes.", "Speaker B: Yes."]
