"""Decoding audio for the local models: ffmpeg to 16 kHz mono floats, clips clamped to the audio."""

import json
from pathlib import Path

import numpy as np
import pytest

from cookbook_utils import audio

ROOT = Path(__file__).resolve().parents[2]


def test_decodes_to_16k_mono_floats_of_the_scripted_length():
    timing = json.loads((ROOT / "data" / "scripts" / "clip-fr.timing.json").read_text())
    samples = audio.load_audio(ROOT / timing["audio"])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert np.abs(samples).max() <= 1.0 and np.abs(samples).max() > 0.05
    assert audio.duration_ms(ROOT / timing["audio"]) == timing["duration_ms"]
    assert len(audio.load_audio(ROOT / timing["audio"], sample_rate=8000)) == pytest.approx(len(samples) / 2, abs=2)


def test_clip_is_clamped():
    samples = np.arange(16_000, dtype=np.float32)  # one second
    assert len(audio.clip(samples, 250, 500)) == 4000
    assert audio.clip(samples, 250, 500)[0] == 4000
    assert len(audio.clip(samples, -100, 5000)) == 16_000
    assert len(audio.clip(samples, 900, 100)) == 0


def test_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(audio.AudioDecodeError, match="no audio file"):
        audio.load_audio(tmp_path / "missing.mp3")
    (tmp_path / "noise.mp3").write_bytes(b"not audio at all")
    with pytest.raises(audio.AudioDecodeError, match="could not decode"):
        audio.load_audio(tmp_path / "noise.mp3")
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(audio.AudioDecodeError, match="apt-get install ffmpeg"):
        audio.load_audio(tmp_path / "noise.mp3")
