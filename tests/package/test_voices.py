"""Speaker embeddings: the packaged model tells voices apart, and load_embedder uses a caller's
model when it loads and falls back to resemblyzer, saying why. (The notebook's own TitaNet code is
tested in tests/recipes/test_nemo_async_chunking.py.)"""

import json
from pathlib import Path

import numpy as np
import pytest

from cookbook_utils import voices
from cookbook_utils.audio import clip, load_audio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resemblyzer():
    return voices.ResemblyzerEmbedder()


def test_same_voice_is_closer_than_another(resemblyzer):
    timing = json.loads((ROOT / "data" / "scripts" / "support-call.timing.json").read_text())
    samples = load_audio(ROOT / timing["audio"])
    turns = [t for t in timing["turns"] if t["end"] - t["start"] > 3000]
    a = [t for t in turns if t["speaker"] == "A"][:2]
    b = [t for t in turns if t["speaker"] == "B"][:1]
    ea1, ea2, eb = (resemblyzer.embed(clip(samples, t["start"], t["end"])) for t in (*a, *b))
    assert ea1.shape == (256,) and np.linalg.norm(ea1) == pytest.approx(1, abs=1e-5)
    same, other = float(ea1 @ ea2), float(ea1 @ eb)
    assert same >= resemblyzer.same_speaker_threshold > other


def test_spans_are_embedded_in_one_batch_like_clips(resemblyzer):
    timing = json.loads((ROOT / "data" / "scripts" / "clip-fr.timing.json").read_text())
    samples = load_audio(ROOT / timing["audio"])
    a, b = timing["turns"][0], timing["turns"][1]
    spans = [(a["start"], a["start"] + 1600), (a["start"] + 800, a["start"] + 2400), (b["start"], b["start"] + 1600)]
    vectors = resemblyzer.embed_spans(samples, spans)
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # two windows of A, then one of B
    # A window past the end of the clip is padded, not refused; no window gives no rows.
    assert resemblyzer.embed_spans(samples, [(timing["duration_ms"] - 500, timing["duration_ms"] + 1100)]).shape == (
        1,
        256,
    )
    assert resemblyzer.embed_spans(samples, []).shape == (0, 256)
    with pytest.raises(ValueError, match="empty"):
        resemblyzer.embed(samples[:0])


def test_threads_are_restored(resemblyzer):
    import torch

    before = torch.get_num_threads()
    resemblyzer.embed(load_audio(ROOT / "data" / "audio" / "clip-fr.mp3")[:16_000])
    assert torch.get_num_threads() == before


def test_resemblyzer_when_the_caller_brings_no_model(resemblyzer):
    choice = voices.load_embedder()
    assert (choice.name, choice.same_speaker_threshold) == ("resemblyzer", resemblyzer.same_speaker_threshold)
    assert "ships in its package" in choice.reason
    vector = choice.embed(load_audio(ROOT / "data" / "audio" / "clip-fr.mp3"))
    assert vector.shape == (256,) and np.linalg.norm(vector) == pytest.approx(1, abs=1e-5)


def test_the_callers_model_when_it_loads():
    def embed(samples):
        return samples[:2]

    choice = voices.load_embedder(lambda: embed, name="mine", same_speaker_threshold=0.6)
    assert (choice.name, choice.embed, choice.same_speaker_threshold) == ("mine", embed, 0.6)
    assert str(choice) == "mine (mine loaded)"
    with pytest.raises(ValueError, match="same-speaker threshold"):
        voices.load_embedder(lambda: embed, name="mine")


def test_falls_back_when_the_callers_package_is_missing():
    def needs_nemo():
        import nemo_that_is_not_installed  # noqa: F401

    choice = voices.load_embedder(needs_nemo, name="titanet", same_speaker_threshold=0.7)
    assert (choice.name, choice.same_speaker_threshold) == ("resemblyzer", 0.85)
    assert choice.reason.startswith("nemo_that_is_not_installed is not installed, so titanet is unavailable")


def test_falls_back_when_the_callers_model_cannot_load():
    def no_weights():
        raise OSError("no network")

    choice = voices.load_embedder(no_weights, name="titanet", same_speaker_threshold=0.7)
    assert choice.name == "resemblyzer" and "titanet could not be loaded (OSError: no network)" in choice.reason


@pytest.mark.end_to_end
def test_the_local_models_need_no_network(tmp_path):
    """Diarize and embed in a fresh interpreter whose sockets refuse to connect: the weights come
    from the installed packages, never from a hub."""
    import os
    import subprocess
    import sys

    code = f"""
import socket

def refuse(*args, **kwargs):
    raise OSError("network access attempted")

socket.socket.connect = refuse
socket.create_connection = refuse
from cookbook_utils import diarization, voices
from cookbook_utils.audio import load_audio
samples = load_audio({str(ROOT / "data" / "audio" / "clip-fr.mp3")!r})
segments = diarization.diarize_local(samples)
choice = voices.load_embedder()
vector = choice.embed(samples)
print(len({{s.speaker for s in segments}}), choice.name, vector.shape[0])
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["2", "resemblyzer", "256"]
