"""Formatting the API's millisecond times for people."""

from __future__ import annotations


def format_timestamp(ms: int | float, *, millis: bool = False) -> str:
    """``83_456`` -> ``"0:01:23"`` (or ``"0:01:23.456"`` with ``millis=True``)."""
    if ms < 0:
        raise ValueError(f"a timestamp cannot be negative, got {ms}")
    total_ms = int(round(ms))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, milliseconds = divmod(rest, 1000)
    text = f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{milliseconds:03d}" if millis else text
