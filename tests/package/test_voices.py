"""Speaker embeddings: the packaged model tells voices apart, and the choice between TitaNet and
resemblyzer falls back as documented."""

import importlib.util
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


def _pretend_nemo(monkeypatch, installed):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        voices.importlib.util,
        "find_spec",
        lambda name, *a: (object() if installed else None) if name == "nemo" else real(name, *a),
    )


def test_resemblyzer_without_nemo(monkeypatch):
    _pretend_nemo(monkeypatch, False)
    choice = voices.load_embedder()
    assert choice.embedder.name == "resemblyzer" and "NeMo is not installed" in choice.reason
    with pytest.raises(voices.EmbedderUnavailableError, match="nemo_toolkit"):
        voices.load_embedder("titanet")
    with pytest.raises(ValueError):
        voices.load_embedder("ecapa")


def test_falls_back_when_titanet_cannot_load(monkeypatch):
    _pretend_nemo(monkeypatch, True)

    def no_weights(name):
        raise OSError("no network")

    monkeypatch.setattr(voices, "_titanet", no_weights)
    choice = voices.load_embedder()
    assert choice.embedder.name == "resemblyzer" and "could not be loaded (OSError)" in choice.reason
    with pytest.raises(voices.EmbedderUnavailableError, match="no network"):
        voices.load_embedder("titanet")


class _FakeTitaNet:
    """Answers like NeMo's EncDecSpeakerLabelModel.forward: (logits, embeddings)."""

    def __init__(self):
        self.calls = []

    def forward(self, input_signal, input_signal_length):
        import torch

        self.calls.append((tuple(input_signal.shape), input_signal_length.tolist()))
        embeddings = torch.stack([input_signal.abs().mean(dim=1) + 1, input_signal_length.float()], dim=1)
        return None, embeddings


def test_titanet_adapter_batches_spans(monkeypatch):
    _pretend_nemo(monkeypatch, True)
    model = _FakeTitaNet()
    monkeypatch.setattr(voices, "_titanet", lambda name: model)
    choice = voices.load_embedder()
    assert choice.embedder.name == "titanet" and voices.TITANET_MODEL in choice.reason
    samples = np.ones(16_000 * 3, dtype=np.float32)
    vectors = choice.embedder.embed_spans(samples, [(0, 1500), (1000, 2500), (2000, 3500)])
    assert model.calls[-1] == ((3, 24_000), [24_000, 24_000, 16_000])  # the last window is cut at the end
    assert vectors.shape == (3, 2) and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert choice.embedder.embed(samples).shape == (2,)
    assert choice.embedder.embed_spans(samples, []).shape == (0, 192)


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
segments = diarization.diarize({str(ROOT / "data" / "audio" / "clip-fr.mp3")!r}, backend="local")
choice = voices.load_embedder()
vector = choice.embedder.embed(load_audio({str(ROOT / "data" / "audio" / "clip-fr.mp3")!r}))
print(len({{s.speaker for s in segments}}), choice.embedder.name, vector.shape[0])
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["2", "resemblyzer", "256"]
