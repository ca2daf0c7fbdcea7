"""Speaker embeddings: a fixed-length vector per stretch of speech, close for the same voice.

:class:`ResemblyzerEmbedder` is a speaker encoder whose weights ship inside the ``resemblyzer``
package on PyPI, so it runs anywhere with no download; tests, replay and the local diarizer use it.
A recipe that brings its own model (``nemo-async-chunking`` writes NVIDIA NeMo's TitaNet out itself)
hands it to :func:`load_embedder`, which uses it when it loads and otherwise falls back to
resemblyzer, saying which ran and why. The packaged model is loaded once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .audio import SAMPLE_RATE
from .errors import CookbookError
from .vectors import unit_rows


class Embedder(Protocol):
    """What the local diarizer needs from a speaker-embedding model (:class:`ResemblyzerEmbedder` is one)."""

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
        raise CookbookError(
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


@dataclass(frozen=True)
class EmbedderChoice:
    """What :func:`load_embedder` picked: a name, a function from a clip of 16 kHz mono samples to
    an L2-normalised vector, the cosine similarity above which two clips are the same voice, and
    why it was picked."""

    name: str
    embed: Callable[[Any], Any]
    same_speaker_threshold: float
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def load_embedder(
    make: Callable[[], Callable[[Any], Any]] | None = None,
    *,
    name: str = "custom",
    same_speaker_threshold: float | None = None,
) -> EmbedderChoice:
    """The caller's embedder, ``make()`` (named ``name``, with its model's threshold), when it
    loads; else, or without ``make``, resemblyzer's packaged model. A package that ``make`` cannot
    import, weights it cannot fetch: any error it raises means the fallback, and the reason says so."""
    if make is not None:
        if same_speaker_threshold is None:
            raise ValueError(f"give the same-speaker threshold of {name}'s model (same_speaker_threshold=...)")
        try:
            return EmbedderChoice(name, make(), same_speaker_threshold, f"{name} loaded")
        except ImportError as error:
            reason = f"{error.name or name} is not installed, so {name} is unavailable"
        except Exception as error:  # no network, no cached weights, a version mismatch...
            reason = f"{name} could not be loaded ({type(error).__name__}: {error})"
        reason += "; resemblyzer's model ships in its package"
    else:
        reason = "resemblyzer's model ships in its package"
    packaged = ResemblyzerEmbedder()
    return EmbedderChoice(packaged.name, packaged.embed, packaged.same_speaker_threshold, reason)
