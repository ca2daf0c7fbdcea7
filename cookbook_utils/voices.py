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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .audio import SAMPLE_RATE
from .errors import CookbookError
from .vectors import unit_rows

#: NeMo's speaker-verification model (TitaNet-Large).
TITANET_MODEL = "nvidia/speakerverification_en_titanet_large"


class EmbedderUnavailableError(CookbookError):
    """The requested speaker-embedding model is not installed or could not be loaded."""


class Embedder(Protocol):
    """What the recipes need from a speaker-embedding model."""

    name: str
    #: Cosine similarity above which two clips are taken for the same voice (model-specific).
    same_speaker_threshold: float
    #: The length of the windows :meth:`embed_spans` expects, in milliseconds.
    window_ms: float

    def embed(self, samples: Any) -> Any:
        """One L2-normalised vector for a clip of 16 kHz mono float samples."""

    def embed_spans(self, samples: Any, spans: Sequence[tuple[float, float]]) -> Any:
        """One L2-normalised vector (a row) per ``(start_ms, end_ms)`` window of ``samples``, in one
        batch. Windows are meant to be ``window_ms`` long; audio past the end counts as silence."""


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
    import numpy as np

    with warnings.catch_warnings():
        # Imports that warn about their own dependencies, not about anything the caller can fix:
        # webrtcvad uses the deprecated pkg_resources, and librosa loads pooch lazily, which loads
        # tqdm.auto, which in a notebook without ipywidgets warns (naming its own install path).
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder
        from resemblyzer.audio import wav_to_mel_spectrogram

        wav_to_mel_spectrogram(np.zeros(1600, dtype=np.float32))  # runs librosa's lazy imports now
        return VoiceEncoder("cpu", verbose=False)


@dataclass
class ResemblyzerEmbedder:
    """Speaker embeddings from resemblyzer (256 dimensions, 1.6 s windows)."""

    name: str = "resemblyzer"
    same_speaker_threshold: float = 0.85
    window_ms: float = 1600.0
    encoder: Any = field(default=None, repr=False)
    threads: int = 1

    def __post_init__(self) -> None:
        self.encoder = self.encoder or _voice_encoder()

    @staticmethod
    def _gain(speech: Any, *, increase_only: bool) -> float:
        """The factor that brings ``speech`` to -30 dBFS, the level resemblyzer's encoder was trained at."""
        import numpy as np

        rms = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64)))) if len(speech) else 0.0
        if rms == 0.0:
            return 1.0
        gain = float(10 ** ((-30 - 20 * np.log10(rms)) / 20))
        return max(gain, 1.0) if increase_only else gain

    def embed(self, samples: Any) -> Any:
        import numpy as np

        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        level = (samples * self._gain(samples, increase_only=True)).astype(np.float32)
        with torch_threads(self.threads):
            return unit_rows(self.encoder.embed_utterance(level))

    def embed_spans(self, samples: Any, spans: Sequence[tuple[float, float]]) -> Any:
        import numpy as np
        import torch
        from resemblyzer.audio import wav_to_mel_spectrogram
        from resemblyzer.hparams import mel_window_step, partials_n_frames

        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        if not spans:
            return np.zeros((0, 256), dtype=np.float32)
        # The level of the speech in the windows, then one spectrogram for the whole clip.
        speech = np.concatenate(
            [samples[int(a * SAMPLE_RATE // 1000) : int(b * SAMPLE_RATE // 1000)] for a, b in spans]
        )
        mel = wav_to_mel_spectrogram((samples * self._gain(speech, increase_only=False)).astype(np.float32))
        frames = np.zeros((len(spans), partials_n_frames, mel.shape[1]), dtype=np.float32)
        for row, (start, _) in enumerate(spans):
            first = int(round(start / mel_window_step))
            piece = mel[first : first + partials_n_frames]
            frames[row, : len(piece)] = piece
        with torch.no_grad(), torch_threads(self.threads):
            return unit_rows(self.encoder(torch.from_numpy(frames)).numpy())


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
    window_ms: float = 1500.0
    model: Any = field(default=None, repr=False)
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
        return unit_rows(embeddings.cpu().numpy())

    def embed(self, samples: Any) -> Any:
        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        return self._forward([samples], [len(samples)])[0]

    def embed_spans(self, samples: Any, spans: Sequence[tuple[float, float]]) -> Any:
        import numpy as np

        if len(samples) == 0:
            raise ValueError("cannot embed an empty clip")
        if not spans:
            return np.zeros((0, 192), dtype=np.float32)
        pieces = [samples[int(a * SAMPLE_RATE // 1000) : int(b * SAMPLE_RATE // 1000)] for a, b in spans]
        lengths = [max(1, len(piece)) for piece in pieces]
        batch = np.zeros((len(pieces), max(lengths)), dtype=np.float32)
        for row, piece in enumerate(pieces):
            batch[row, : len(piece)] = piece
        return self._forward(batch, lengths)


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
