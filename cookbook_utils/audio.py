"""Reading audio for local models: decoded with ffmpeg to mono float samples."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from .errors import CookbookError

#: The rate every local speech model here works at.
SAMPLE_RATE = 16_000


class AudioDecodeError(CookbookError):
    """ffmpeg is missing or could not decode a file."""


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> Any:
    """The whole file as a mono ``float32`` numpy array in [-1, 1] at ``sample_rate`` Hz."""
    import numpy as np

    if not shutil.which("ffmpeg"):
        raise AudioDecodeError(
            "ffmpeg is needed to decode audio: install it (`apt-get install ffmpeg`, `brew install ffmpeg`, "
            "or `conda install -c conda-forge ffmpeg`)"
        )
    if not Path(path).is_file():
        raise AudioDecodeError(f"no audio file at {path}")
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1"]
    result = subprocess.run([*command, "-ar", str(sample_rate), "-"], capture_output=True)
    if result.returncode != 0:
        raise AudioDecodeError(f"ffmpeg could not decode {path}: {result.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(result.stdout, dtype=np.int16).astype(np.float32) / 32768.0


def duration_ms(path: str | Path) -> int:
    """The length of an audio file as decoded, in whole milliseconds."""
    return len(load_audio(path)) * 1000 // SAMPLE_RATE


def clip(samples: Any, start_ms: float, end_ms: float, sample_rate: int = SAMPLE_RATE) -> Any:
    """The samples between two times (ms), clamped to the audio."""
    first = max(0, int(start_ms * sample_rate // 1000))
    last = min(len(samples), int(end_ms * sample_rate // 1000))
    return samples[first : max(first, last)]
