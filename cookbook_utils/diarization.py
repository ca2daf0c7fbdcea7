"""Speaker diarization run locally: "who spoke when" for an audio file, as :class:`Segment` s.

:func:`diarize_local` needs no download. It finds voiced stretches with WebRTC's voice activity
detector, embeds overlapping 1.6 s windows of them with resemblyzer's speaker encoder (its weights
ship inside the PyPI package) and clusters the windows with scikit-learn's agglomerative clustering:
into ``num_speakers`` clusters when you know the number, else into as many as a cosine-distance
threshold gives, within ``min_speakers..max_speakers`` (see :func:`cluster_speakers`). Segments come
sorted by time, with speakers named ``A``, ``B``, ... in order of first appearance (AssemblyAI's
letters look the same but promise no order: a real transcript can open with ``B``).

pyannote.audio's pretrained pipeline is the stronger choice when it is installed (``pip install
'cookbook-utils[pyannote]'``) and a Hugging Face token is set (``HF_TOKEN``), since its weights are
gated on the hub; the ``pyannote-speaker-labels`` notebook writes that call out itself.
:func:`choose_backend` says which of the two can run here and why; :func:`speaker_accuracy` scores
labels against a reference after the best label mapping.
"""

from __future__ import annotations

import importlib.util
import os
import string
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .alignment import Segment
from .audio import SAMPLE_RATE
from .errors import CookbookError
from .vectors import unit_rows

#: pyannote's open pretrained pipeline (gated: accept its conditions on the hub first).
PYANNOTE_PIPELINE = "pyannote/speaker-diarization-community-1"
#: Where :func:`hf_token` looks for a Hugging Face token, in order.
HF_TOKEN_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")

#: Voice activity detection: 30 ms frames; silences shorter than this are bridged, voiced runs
#: shorter than the minimum are dropped.
VAD_FRAME_MS = 30
VAD_BRIDGE_MS = 210
VAD_MIN_VOICED_MS = 90
#: Cosine distance at which two clusters of windows stop merging, when the count is not given.
DISTANCE_THRESHOLD = 0.35
#: Clusters holding less than this share of the windows are outliers when counting speakers.
MIN_CLUSTER_SHARE = 0.03
#: Segments of one speaker closer than this are joined into one (a pause within a turn).
JOIN_GAP_MS = 1000
#: Distance between the starts of consecutive embedding windows within a voiced region.
WINDOW_HOP_MS = 800


@dataclass(frozen=True)
class BackendChoice:
    """The backend :func:`choose_backend` picked, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def hf_token() -> str | None:
    """The Hugging Face token from the environment, if one is set."""
    for name in HF_TOKEN_VARS:
        if os.environ.get(name):
            return os.environ[name]
    return None


def choose_backend(prefer: str = "auto") -> BackendChoice:
    """Which diarizer can run: ``pyannote`` when it is installed and a Hugging Face token is set,
    else ``local``; ``prefer="pyannote"`` or ``"local"`` asks for one (an error if pyannote cannot
    run). The caller runs the one chosen."""
    if prefer not in {"auto", "pyannote", "local"}:
        raise ValueError(f"unknown diarization backend {prefer!r}: choose 'auto', 'pyannote' or 'local'")
    if prefer == "local":
        return BackendChoice("local", "asked for the local diarizer")
    installed = importlib.util.find_spec("pyannote") is not None and importlib.util.find_spec("pyannote.audio")
    if installed and hf_token():
        return BackendChoice(
            "pyannote", f"pyannote.audio is installed and a Hugging Face token is set ({PYANNOTE_PIPELINE})"
        )
    missing = "pyannote.audio is not installed" if not installed else "no Hugging Face token is set (HF_TOKEN)"
    if prefer == "pyannote":
        raise CookbookError(
            f"pyannote cannot run: {missing}. Install it with `pip install 'cookbook-utils[pyannote]'`, accept the "
            f"conditions of {PYANNOTE_PIPELINE} on Hugging Face and set HF_TOKEN; or use the local diarizer."
        )
    return BackendChoice("local", f"{missing}; the local diarizer needs no download")


def _check_counts(num_speakers: int | None, min_speakers: int, max_speakers: int) -> None:
    if num_speakers is not None and num_speakers < 1:
        raise ValueError(f"num_speakers must be at least 1, got {num_speakers}")
    if not 1 <= min_speakers <= max_speakers:
        raise ValueError(f"need 1 <= min_speakers <= max_speakers, got {min_speakers} and {max_speakers}")


# --- the local backend ---------------------------------------------------------------------------


def voiced_regions(
    samples: Any, *, bridge_ms: float = VAD_BRIDGE_MS, min_voiced_ms: float = VAD_MIN_VOICED_MS, aggressiveness: int = 2
) -> list[tuple[int, int]]:
    """Stretches of speech as ``(start_ms, end_ms)``, from WebRTC's voice activity detector on
    30 ms frames: pauses shorter than ``bridge_ms`` are bridged, runs shorter than
    ``min_voiced_ms`` dropped."""
    import numpy as np

    with warnings.catch_warnings():  # webrtcvad still imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    frame = SAMPLE_RATE * VAD_FRAME_MS // 1000
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    count = len(pcm) // frame
    voiced = np.array([vad.is_speech(pcm[i * frame : (i + 1) * frame].tobytes(), SAMPLE_RATE) for i in range(count)])
    voiced = np.asarray(voiced, dtype=bool).reshape(-1)
    for first, last in _runs(~voiced):
        if first > 0 and last < count and (last - first) * VAD_FRAME_MS < bridge_ms:
            voiced[first:last] = True
    return [
        (first * VAD_FRAME_MS, last * VAD_FRAME_MS)
        for first, last in _runs(voiced)
        if (last - first) * VAD_FRAME_MS >= min_voiced_ms
    ]


def _runs(mask: Any) -> list[tuple[int, int]]:
    """``[first, last)`` index ranges where a boolean array is True."""
    import numpy as np

    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def cluster_speakers(
    embeddings: Any,
    num_speakers: int | None = None,
    *,
    min_speakers: int = 1,
    max_speakers: int = 8,
    distance_threshold: float = DISTANCE_THRESHOLD,
) -> Any:
    """A cluster number per embedding (one row each).

    The number of clusters is ``num_speakers`` when given. Otherwise it is estimated: average-linkage
    clustering on cosine distance stops merging at ``distance_threshold``, clusters holding under 3%
    of the rows count as outliers, and the count is kept within ``min_speakers..max_speakers``.
    The rows are then split into that many clusters by Ward's method on the L2-normalised rows
    (balanced clusters, no singletons from a stray window), and each row finally goes to the
    cluster whose mean it is closest to, by cosine similarity."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    embeddings = np.asarray(embeddings, dtype=np.float64)
    rows = len(embeddings)
    if rows == 0:
        return np.zeros(0, dtype=np.int64)
    embeddings = unit_rows(embeddings, np.float64)
    if num_speakers is not None:
        count = min(num_speakers, rows)
    else:
        count = 1
        if rows > 1:
            found = AgglomerativeClustering(
                n_clusters=None, distance_threshold=distance_threshold, metric="cosine", linkage="average"
            ).fit_predict(embeddings)
            count = int((np.bincount(found) >= max(2, MIN_CLUSTER_SHARE * rows)).sum())
        count = min(max(count, min_speakers), max_speakers, rows)
    if count <= 1:
        return np.zeros(rows, dtype=np.int64)
    labels = AgglomerativeClustering(n_clusters=count, linkage="ward").fit_predict(embeddings)
    clusters = np.unique(labels)
    centroids = unit_rows(np.stack([embeddings[labels == k].mean(axis=0) for k in clusters]), np.float64)
    return clusters[np.argmax(embeddings @ centroids.T, axis=1)]


def window_spans(
    regions: Sequence[tuple[float, float]], duration_ms: float, window_ms: float, hop_ms: float = WINDOW_HOP_MS
) -> list[tuple[int, float, float, float]]:
    """Windows of ``window_ms`` over voiced regions, as ``(region, start_ms, end_ms, centre_ms)``.

    A region longer than a window is covered by windows about ``hop_ms`` apart, the first at its
    start and the last at its end, all inside it. A shorter region gets one window centred on it,
    reaching into the audio around it (rather than padded with silence), and its centre is the
    region's."""
    import math

    windows = []
    for index, (start, end) in enumerate(regions):
        if end - start <= window_ms:
            first = min(max(0.0, (start + end) / 2 - window_ms / 2), max(0.0, duration_ms - window_ms))
            windows.append((index, first, first + window_ms, (start + end) / 2))
            continue
        count = math.ceil((end - start - window_ms) / hop_ms) + 1
        for number in range(count):
            first = start + (end - start - window_ms) * number / (count - 1)
            windows.append((index, first, first + window_ms, first + window_ms / 2))
    return windows


def diarize_local(
    samples: Any,
    num_speakers: int | None = None,
    *,
    min_speakers: int = 1,
    max_speakers: int = 8,
    embedder: Any = None,
    hop_ms: float = WINDOW_HOP_MS,
) -> list[Segment]:
    """The local diarizer over 16 kHz mono samples (see the module's docstring).

    Voiced regions are covered with overlapping windows (:func:`window_spans`), embedded in one
    batch; each window gets a speaker by clustering (:func:`cluster_speakers`); within a region,
    a change of speaker is placed at the quietest moment between the two windows' centres.
    Segments of one speaker less than a second apart are then joined."""
    from .voices import ResemblyzerEmbedder

    _check_counts(num_speakers, min_speakers, max_speakers)
    embedder = embedder or ResemblyzerEmbedder()
    regions = voiced_regions(samples)
    if not regions:
        return []
    windows = window_spans(regions, len(samples) * 1000 / SAMPLE_RATE, embedder.window_ms, hop_ms)
    vectors = embedder.embed_spans(samples, [(start, end) for _, start, end, _ in windows])
    labels = cluster_speakers(vectors, num_speakers, min_speakers=min_speakers, max_speakers=max_speakers)
    loudness = _frame_loudness(samples)
    segments = []
    for index, (start, end) in enumerate(regions):
        centres = sorted(
            (centre, str(label))
            for (region, _, _, centre), label in zip(windows, labels, strict=True)
            if region == index
        )
        edges = [start]
        for (before, label_before), (after, label_after) in zip(centres, centres[1:], strict=False):
            # A change of speaker goes at the quietest moment between the two windows' centres.
            edges.append(_quietest(loudness, before, after) if label_before != label_after else (before + after) / 2)
        edges.append(end)
        for number, (_, label) in enumerate(centres):
            segments.append(Segment(float(edges[number]), float(edges[number + 1]), label))
    return relabel_in_order(merge_adjacent(segments, max_gap_ms=JOIN_GAP_MS))


def _frame_loudness(samples: Any, frame_ms: int = 10, smooth_frames: int = 5) -> Any:
    """Mean energy per ``frame_ms`` frame, smoothed over ``smooth_frames`` frames."""
    import numpy as np

    size = SAMPLE_RATE * frame_ms // 1000
    count = len(samples) // size
    energy = np.square(samples[: count * size].astype(np.float64)).reshape(count, size).mean(axis=1)
    return np.convolve(energy, np.ones(smooth_frames) / smooth_frames, mode="same")


def _quietest(loudness: Any, start_ms: float, end_ms: float, frame_ms: int = 10) -> float:
    """The middle of the quietest frame between two times (the earliest, if several)."""
    import numpy as np

    first, last = int(start_ms // frame_ms), min(int(end_ms // frame_ms), len(loudness))
    if last <= first:
        return (start_ms + end_ms) / 2
    return (first + int(np.argmin(loudness[first:last])) + 0.5) * frame_ms


# --- shared helpers ----------------------------------------------------------------------------


def merge_adjacent(segments: Sequence[Segment], max_gap_ms: float = 0.0) -> list[Segment]:
    """Consecutive segments of one speaker, no more than ``max_gap_ms`` apart, joined."""
    merged: list[Segment] = []
    for segment in sorted(segments, key=lambda s: (s.start_ms, s.end_ms)):
        if merged and merged[-1].speaker == segment.speaker and segment.start_ms - merged[-1].end_ms <= max_gap_ms:
            merged[-1] = Segment(merged[-1].start_ms, max(merged[-1].end_ms, segment.end_ms), segment.speaker)
        else:
            merged.append(segment)
    return merged


def speaker_letters(count: int) -> list[str]:
    """``A``, ``B``, ... ``Z``, then ``AA``, ``AB``, ...: AssemblyAI's style of speaker names."""
    letters = list(string.ascii_uppercase)
    names = []
    for number in range(count):
        name, number = "", number + 1
        while number:
            number, rest = divmod(number - 1, 26)
            name = letters[rest] + name
        names.append(name)
    return names


def relabel_in_order(segments: Sequence[Segment]) -> list[Segment]:
    """Segments sorted by time with speakers renamed ``A``, ``B``, ... by first appearance."""
    ordered = sorted(segments, key=lambda s: (s.start_ms, s.end_ms))
    first_seen: dict[str, None] = dict.fromkeys(s.speaker for s in ordered)
    names = dict(zip(first_seen, speaker_letters(len(first_seen)), strict=True))
    return [Segment(s.start_ms, s.end_ms, names[s.speaker]) for s in ordered]


def speaker_accuracy(reference: Sequence[str | None], predicted: Sequence[str | None]) -> tuple[float, dict]:
    """The share of items whose predicted speaker matches the reference once predicted labels are
    mapped one-to-one onto reference labels in the way that matches most (the Hungarian method).
    Returns the accuracy and that mapping (predicted -> reference)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if len(reference) != len(predicted):
        raise ValueError(f"{len(reference)} reference labels but {len(predicted)} predicted ones")
    if not reference:
        return 1.0, {}
    truth = sorted({str(r) for r in reference})
    guess = sorted({str(p) for p in predicted})
    counts = np.zeros((len(guess), len(truth)))
    for r, p in zip(reference, predicted, strict=True):
        counts[guess.index(str(p)), truth.index(str(r))] += 1
    rows, cols = linear_sum_assignment(-counts)
    mapping = {guess[r]: truth[c] for r, c in zip(rows, cols, strict=True)}
    return float(counts[rows, cols].sum() / len(reference)), mapping
