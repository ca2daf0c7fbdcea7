"""The Voice Agent emulator's audio: its three formats (G.711 coded here with numpy) and the energy
detector that finds where speech starts and stops in what the client sends.

The formats are the documented ones (platform-2026-12.md section 8): ``audio/pcm`` (16-bit little-endian
PCM at 24 kHz, the default), ``audio/pcmu`` and ``audio/pcma`` (G.711 mu-law and A-law at 8 kHz), mono.
The detector works on 20 ms frames: a frame is voiced when its RMS level is at least
:func:`threshold_db` of the session's ``vad_threshold``; speech starts after :data:`START_FRAMES` voiced
frames in a row (the start is the first of them). Where it stops is the session's business (the
silence it needs depends on the words heard), so the detector only reports each frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: encoding -> its (only) sample rate.
FORMATS: dict[str, int] = {"audio/pcm": 24_000, "audio/pcmu": 8_000, "audio/pcma": 8_000}
DEFAULT_ENCODING = "audio/pcm"
FRAME_MS = 20
START_FRAMES = 2


def threshold_db(vad_threshold: float) -> float:
    """The frame level (dBFS) that counts as speech: -70 dBFS at 0.0, -45 at 0.5 (the default), -20 at
    1.0. Lower is more sensitive, as documented; the mapping itself is the emulator's own."""
    return -70.0 + 50.0 * vad_threshold


# --- G.711 ---------------------------------------------------------------------------------------


def _ulaw_decode_table() -> Any:
    import numpy as np

    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign, exponent, mantissa = codes & 0x80, (codes >> 4) & 0x07, codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> Any:
    import numpy as np

    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign, exponent, mantissa = codes & 0x80, (codes >> 4) & 0x07, codes & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


def _ulaw_encode(samples: Any) -> bytes:
    import numpy as np

    x = samples.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def _alaw_encode(samples: Any) -> bytes:
    import numpy as np

    x = samples.astype(np.int32)
    sign = np.where(x >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(x < 0, -x - 1, x), 32767)
    exponent = np.clip(np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 7, 0, 7)
    mantissa = np.where(exponent == 0, magnitude >> 4, magnitude >> (exponent + 3)) & 0x0F
    return ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8).tobytes()


def decode(encoding: str, data: bytes) -> Any:
    """The int16 samples of one chunk in ``encoding``; ValueError if it is not whole samples."""
    import numpy as np

    if encoding == "audio/pcm":
        if len(data) % 2:
            raise ValueError(f"audio/pcm is 16-bit samples, and this chunk has an odd number of bytes ({len(data)})")
        return np.frombuffer(data, dtype="<i2")
    table = _ulaw_decode_table() if encoding == "audio/pcmu" else _alaw_decode_table()
    return table[np.frombuffer(data, dtype=np.uint8)]


def encode(encoding: str, samples: Any) -> bytes:
    """int16 samples as bytes of ``encoding``."""
    if encoding == "audio/pcm":
        return samples.astype("<i2").tobytes()
    return _ulaw_encode(samples) if encoding == "audio/pcmu" else _alaw_encode(samples)


def scaled(samples: Any, volume: int) -> Any:
    """Samples at ``output.volume`` (0 silent, 100 as synthesised; a linear gain of volume/100)."""
    import numpy as np

    if volume == 100:
        return samples
    return np.clip(samples.astype(np.float32) * (volume / 100), -32768, 32767).astype(np.int16)


# --- speech detection -----------------------------------------------------------------------------


@dataclass
class Framer:
    """Cuts the client's samples into 20 ms frames at ``rate`` and says which are voiced."""

    rate: int
    pending: Any = None
    levels: list[float] = field(default_factory=list)  # every frame's level, for tests and debugging

    def feed(self, samples: Any, threshold: float) -> list[tuple[Any, bool]]:
        """The whole frames now available, each with whether it is voiced."""
        import numpy as np

        data = samples if self.pending is None else np.concatenate([self.pending, samples])
        size = self.rate * FRAME_MS // 1000
        whole = len(data) // size * size
        self.pending = data[whole:]
        frames = []
        for start in range(0, whole, size):
            frame = data[start : start + size]
            rms = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2))) / 32768.0
            level = 20 * np.log10(rms + 1e-9)
            self.levels.append(level)
            frames.append((frame, level >= threshold))
        return frames
