"""The Voice Agent emulator, one per test module (so that the modules' real-time sessions run in parallel)."""

from __future__ import annotations

import pytest

from tests.emulator.agents.support import GRACE, KEY, ROOT, SPEED
from tools.emulator.agents import AgentServer


@pytest.fixture(scope="module")
def server():
    running = AgentServer(KEY, ROOT / "data", speed=SPEED, grace_seconds=GRACE).start()
    assert running.warmed.wait(60)  # timings are the point here: not while it decodes the recordings
    yield running
    running.stop()
    assert running.violations == []
