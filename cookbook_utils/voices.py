"""Speaker embeddings: a fixed-length vector per stretch of speech, close for the same voice.

Two embedders behind one small interface (:class:`Embedder`):

- ``resemblyzer``: a speaker encoder whose weights ship inside the ``resemblyzer`` package on PyPI,
  so it runs anywhere with no download. It is the one tests and replay use.
- ``titanet``: NVIDIA NeMo's TitaNet-Large, used when NeMo is installed (``pip install
  nemo_toolkit[asr]``) and its weights can be fetched or are cached.

:func:`load_embedder` picks one and says why. Models are loaded once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .audio import SAMPLE_RATE
from .errors import CookbookError

#: NeMo's speaker-verification model (TitaNet-Large).
TITANET_MODEL = "nvidia/speakerverification_en_titanet_large"


class EmbedderUnavailableError(CookbookError):
    """The requested speaker-embedding model is not installed or could not be loaded."""


class Embedder(Protocol):
    """What the recipes need from a speaker-embedding model."""

    name: str
    #: Cosine similarity above which two clips are taken for the same voice (model-specific).
    same_speaker_threshold: float

    def embed(self, samples: Any) -> Any:
        """One L2-normalised vector for a clip of 16 kHz mono float samples."""

    def embed_windows(self, samples: Any, windows_per_second: float) -> tuple[Any, list[tuple[float, float]]]:
        """Vectors for overlapping windows over the clip, with each window's (start_ms, end_ms)."""


def _normalised(vectors: Any) -> Any:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch on ``count`` threads inside the block. The speaker encoders here are small: one
    thread is about as fast as several, and it stays fast when other processes share the CPU
    (several threads then spin-wait for each other and can be ten times slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.cache
def _voice_encoder() -> Any:
    """resemblyzer's VoiceEncoder on the CPU, with the weights from its own package."""
    if importlib.util.find_spec("resemblyzer") is None:
        raise EmbedderUnavailableError(
            "resemblyzer is not installed: `pip install 'cookbook-utils[diarization]'` (or `pip install resemblyzer`)"
        )
    with warnings.catch_warnings():
        # webrtcvad, which resemblyzer imports, still uses the deprecated pkg_resources.
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder

        return VoiceEncoder("cpu", verbose=False)


@dataclass
class ResemblyzerEmbedder:
    """Speaker embeddings from resemblyzer (256 dimensions, 1.6 s windows)."""

    name: str = "resemblyzer"
    same_speaker_threshold: float = 0.85
    encoder: Any = field(default=None, repr=False)
    threads: int = 1

    def __post_init__(self) -> None:
        self.encoder = self.encoder or _voice_encoder()

    @staticmethod
    def _prepare(samples: Any) -> Any:
        """Quiet audio raised to -30 dBFS, the level resemblyzer's encoder was trained at."""
        import numpy as np

        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
        if rms == 0.0:
            return samples
        gain = 10 ** ((-30 - 20 * np.log10(rms)) / 20)
        return (samples * gain).astype(np.float32) if gain > 1 else samples

    def embed(self, samples: Any) -> Any:
        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        with torch_threads(self.threads):
            return _normalised(self.encoder.embed_utterance(self._prepare(samples)))

    def embed_windows(self, samples: Any, windows_per_second: float = 1.25) -> tuple[Any, list[tuple[float, float]]]:
        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        with torch_threads(self.threads):
            _, partials, slices = self.encoder.embed_utterance(
                self._prepare(samples), return_partials=True, rate=windows_per_second, min_coverage=0.5
            )
        duration_ms = len(samples) * 1000 / SAMPLE_RATE
        spans = [(s.start * 1000 / SAMPLE_RATE, min(duration_ms, s.stop * 1000 / SAMPLE_RATE)) for s in slices]
        return _normalised(partials), spans


@functools.cache
def _titanet(model_name: str) -> Any:
    from nemo.collections.asr.models import EncDecSpeakerLabelModel

    model = EncDecSpeakerLabelModel.from_pretrained(model_name, map_location="cpu")
    model.eval()
    return model


@dataclass
class TitaNetEmbedder:
    """Speaker embeddings from NeMo's TitaNet-Large (192 dimensions)."""

    name: str = "titanet"
    same_speaker_threshold: float = 0.7
    model_name: str = TITANET_MODEL
    model: Any = field(default=None, repr=False)
    window_ms: float = 1500.0
    threads: int = 1

    def __post_init__(self) -> None:
        self.model = self.model or _titanet(self.model_name)

    def _forward(self, batch: Any, lengths: Any) -> Any:
        import numpy as np
        import torch

        batch = np.asarray(batch, dtype=np.float32)  # one array: the list-of-arrays path is slow

        with torch.no_grad(), torch_threads(self.threads):
            _, embeddings = self.model.forward(
                input_signal=torch.as_tensor(batch, dtype=torch.float32),
                input_signal_length=torch.as_tensor(lengths, dtype=torch.int64),
            )
        return _normalised(embeddings.cpu().numpy())

    def embed(self, samples: Any) -> Any:
        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        return self._forward([samples], [len(samples)])[0]

    def embed_windows(self, samples: Any, windows_per_second: float = 1.25) -> tuple[Any, list[tuple[float, float]]]:
        import numpy as np

        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        size = int(self.window_ms * SAMPLE_RATE / 1000)
        step = max(1, int(SAMPLE_RATE / windows_per_second))
        starts = list(range(0, max(1, len(samples) - size + step), step))
        batch = np.zeros((len(starts), size), dtype=np.float32)
        lengths = []
        for row, start in enumerate(starts):
            piece = samples[start : start + size]
            batch[row, : len(piece)] = piece
            lengths.append(max(len(piece), 1))
        spans = [(s * 1000 / SAMPLE_RATE, (s + n) * 1000 / SAMPLE_RATE) for s, n in zip(starts, lengths, strict=True)]
        return self._forward(batch, lengths), spans


@dataclass(frozen=True)
class EmbedderChoice:
    """The embedder :func:`load_embedder` picked, and why."""

    embedder: Embedder
    reason: str

    def __str__(self) -> str:
        return f"{self.embedder.name} ({self.reason})"


def load_embedder(prefer: str = "auto") -> EmbedderChoice:
    """A speaker-embedding model: ``"titanet"`` when NeMo is installed and the model loads,
    else ``"resemblyzer"``; ``prefer`` forces one (an error if it is unavailable)."""
    if prefer not in {"auto", "titanet", "resemblyzer"}:
        raise ValueError(f"unknown embedder {prefer!r}: choose 'auto', 'titanet' or 'resemblyzer'")
    if prefer in {"auto", "titanet"}:
        if importlib.util.find_spec("nemo") is None:
            if prefer == "titanet":
                raise EmbedderUnavailableError("NeMo is not installed: `pip install 'nemo_toolkit[asr]'`")
            reason = "NeMo is not installed, so TitaNet is unavailable; resemblyzer's model ships in its package"
        else:
            try:
                return EmbedderChoice(TitaNetEmbedder(), f"NeMo is installed and {TITANET_MODEL} loaded")
            except Exception as error:  # no network, no cached weights, a NeMo version mismatch...
                if prefer == "titanet":
                    raise EmbedderUnavailableError(f"TitaNet could not be loaded: {error}") from error
                reason = f"NeMo is installed but TitaNet could not be loaded ({type(error).__name__})"
        return EmbedderChoice(ResemblyzerEmbedder(), reason)
    return EmbedderChoice(ResemblyzerEmbedder(), "asked for resemblyzer")
