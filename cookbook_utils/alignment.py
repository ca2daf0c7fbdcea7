"""Giving transcript words (or any timed items) the speakers of a diarization, by time overlap.

A diarization model answers "who spoke when" as segments ``(start_ms, end_ms, speaker)``; a
transcript says what was said, word by word, with times. Joining the two gives every word the
speaker of the segment it overlaps most. The rule:

1. **Largest overlap wins.** The overlap of a word ``[ws, we]`` and a segment ``[ss, se]`` is
   ``min(we, se) - max(ws, ss)``, in milliseconds.
2. **Ties go to the earliest segment**: the one that starts first, and among segments that start
   together, the one listed first.
3. **A word that overlaps no segment** (it falls in a gap, or has no duration) takes the speaker
   of the **nearest** segment: the smallest gap ``max(ss - we, ws - se, 0)``, ties again to the
   earliest. A zero-length word inside a segment is at distance 0 from it. With ``max_gap_ms``
   set, a word further than that from every segment gets ``None``. With no segments at all, every
   word gets ``None``.

:func:`assign_speakers` is vectorised with numpy: words and segments are sorted by time, and each
block of words is compared (by broadcasting) only with the segments its time range can reach. The
per-word reference is the overlap rule written out in the ``pyannote-speaker-labels`` notebook
(``speaker_for``); ``tests/package/test_alignment.py`` and ``benchmarks/diarization.py`` load it from
there and check that both give identical labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Words compared with their candidate segments at once, in :func:`assign_speakers`.
BLOCK = 512


def item_field(item: Any, name: str, default: Any = None) -> Any:
    """``item[name]`` for a dict (the REST API's JSON), ``item.name`` for an object (the SDK's);
    ``default`` when it has none."""
    return item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)


def item_as_dict(item: Any) -> dict:
    """A new dict with the item's fields (the SDK's pydantic models are dumped)."""
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "model_dump"):
        return item.model_dump()
    return dict(vars(item))


@dataclass(frozen=True)
class Segment:
    """One stretch of a diarization: ``speaker`` talks from ``start_ms`` to ``end_ms``."""

    start_ms: float
    end_ms: float
    speaker: str

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"a segment cannot end before it starts: {self}")

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


def _spans(starts: Sequence[float], ends: Sequence[float]) -> tuple[Any, Any]:
    import numpy as np

    ws = np.asarray(starts, dtype=np.float64).reshape(-1)
    we = np.asarray(ends, dtype=np.float64).reshape(-1)
    if ws.shape != we.shape:
        raise ValueError(f"{len(ws)} start times but {len(we)} end times")
    if (we < ws).any():
        index = int(np.flatnonzero(we < ws)[0])
        raise ValueError(f"word {index} ends before it starts ({ws[index]} > {we[index]} ms)")
    return ws, we


def _sorted_segments(segments: Sequence[Segment]) -> list[Segment]:
    """Segments by start time, stable: the order that breaks ties."""
    return sorted(segments, key=lambda segment: segment.start_ms)


def assign_speakers(
    starts: Sequence[float], ends: Sequence[float], segments: Sequence[Segment], *, max_gap_ms: float | None = None
) -> list[str | None]:
    """The speaker of each span ``[starts[i], ends[i]]`` (ms) by largest overlap with ``segments``
    (rules in the module's docstring), vectorised."""
    import numpy as np

    ws, we = _spans(starts, ends)
    ordered = _sorted_segments(segments)
    if len(ws) == 0:
        return []
    if not ordered:
        return [None] * len(ws)
    ss = np.array([s.start_ms for s in ordered], dtype=np.float64)
    se = np.array([s.end_ms for s in ordered], dtype=np.float64)
    speakers = np.array([s.speaker for s in ordered], dtype=object)
    # Segments that can overlap a span: those starting before it ends (a prefix of the sorted
    # starts) and ending after it starts (past the point where the running maximum of the ends
    # first exceeds its start). Blocks of words sorted by start then share one candidate range.
    reach = np.maximum.accumulate(se)
    word_order = np.argsort(ws, kind="stable")
    best = np.full(len(ws), -1, dtype=np.int64)
    for first in range(0, len(ws), BLOCK):
        rows = word_order[first : first + BLOCK]
        bs, be = ws[rows], we[rows]
        lo = int(np.searchsorted(reach, bs.min(), side="right"))
        hi = int(np.searchsorted(ss, be.max(), side="left"))
        if hi <= lo:
            continue
        overlap = np.minimum(be[:, None], se[None, lo:hi]) - np.maximum(bs[:, None], ss[None, lo:hi])
        column = overlap.argmax(axis=1)  # the first maximum: the earliest segment wins ties
        hit = overlap[np.arange(len(rows)), column] > 0
        best[rows[hit]] = lo + column[hit]
    # Words that overlap nothing: the nearest segment, compared with all of them.
    lonely = np.flatnonzero(best < 0)
    for first in range(0, len(lonely), BLOCK):
        rows = lonely[first : first + BLOCK]
        gap = np.maximum(np.maximum(ss[None, :] - we[rows, None], ws[rows, None] - se[None, :]), 0.0)
        column = gap.argmin(axis=1)
        nearest = gap[np.arange(len(rows)), column]
        keep = np.ones(len(rows), dtype=bool) if max_gap_ms is None else nearest <= max_gap_ms
        best[rows[keep]] = column[keep]
    return [speakers[i] if i >= 0 else None for i in best.tolist()]


def label_words(words: Iterable[Any], segments: Sequence[Segment], *, max_gap_ms: float | None = None) -> list[dict]:
    """Copies of ``words`` (dicts or the SDK's ``Word`` objects, with ``start`` and ``end`` in ms)
    as dicts whose ``speaker`` comes from ``segments``."""
    items = list(words)
    speakers = assign_speakers(
        [item_field(w, "start") for w in items], [item_field(w, "end") for w in items], segments, max_gap_ms=max_gap_ms
    )
    return [{**item_as_dict(item), "speaker": speaker} for item, speaker in zip(items, speakers, strict=True)]


def group_turns(words: Iterable[dict]) -> list[dict]:
    """Consecutive words of one speaker joined into turns: ``speaker``, ``start``, ``end``,
    ``text`` and ``words``."""
    turns: list[dict] = []
    for word in words:
        if turns and turns[-1]["speaker"] == word["speaker"]:
            turn = turns[-1]
            turn["words"].append(word)
            turn["end"] = word["end"]
            turn["text"] += " " + word["text"]
        else:
            turns.append(
                {
                    "speaker": word["speaker"],
                    "start": word["start"],
                    "end": word["end"],
                    "text": word["text"],
                    "words": [word],
                }
            )
    return turns
