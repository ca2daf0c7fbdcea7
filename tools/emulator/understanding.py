"""Speech understanding (``POST /v1/understanding``): not emulated yet, so refused by name."""

from __future__ import annotations

from tools.emulator.core import EmulatorError, State


def understand(state: State, body: dict) -> dict:
    """Refuse every understanding task: the emulator has no reference data for them yet."""
    raise EmulatorError(400, "Speech understanding is not available in the emulator: record this notebook live.")
