"""Semantic search over transcript passages: "where in the recordings was this said?"

Passages (sentences or paragraphs, with their transcript id and times) are embedded once by an
:class:`~cookbook_utils.embeddings.Embedder`; queries are embedded the same way and matched by
cosine similarity, exactly (the same hits as a brute-force scan), with
:class:`~cookbook_utils.vectors.CosineIndex`: a plain scan for a few thousand passages, bounds that
skip most of the memory traffic for a hundred thousand. Each :class:`Hit` carries the
transcript id, the text, start and end (ms) and the score, and prints its time as ``h:mm:ss``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .items import item_field
from .timestamps import format_timestamp

if TYPE_CHECKING:
    import numpy as np

    from .embeddings import Embedder
    from .vectors import CosineIndex


@dataclass(frozen=True)
class Passage:
    """A stretch of one transcript: a sentence, a paragraph or an utterance."""

    transcript_id: str
    text: str
    start: int  # ms
    end: int  # ms
    speaker: str | None = None


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its cosine similarity (1 is identical)."""

    passage: Passage
    score: float
    rank: int  # 1 for the best hit of its query

    @property
    def transcript_id(self) -> str:
        return self.passage.transcript_id

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    @property
    def speaker(self) -> str | None:
        return self.passage.speaker

    @property
    def timestamp(self) -> str:
        """Where the passage starts, as ``h:mm:ss``."""
        return format_timestamp(self.start)

    def cite(self) -> str:
        """``[<transcript id> h:mm:ss-h:mm:ss]``: where to find the passage."""
        return f"[{self.transcript_id} {self.timestamp}-{format_timestamp(self.end)}]"


def passages_from(transcript_id: str, items: Iterable[Any], *, min_words: int = 1) -> list[Passage]:
    """Passages from a transcript's sentences, paragraphs or utterances (SDK objects or dicts with
    ``text``, ``start``, ``end`` and optionally ``speaker``).

    Blank items are skipped. An item of fewer than ``min_words`` words ("Sure.", "Thanks.") is joined
    to the next one when the same speaker says it, so it does not become a hit on its own.
    """
    passages: list[Passage] = []
    pending: Passage | None = None
    for item in items:
        text = (item_field(item, "text") or "").strip()
        if not text:
            continue
        speaker = item_field(item, "speaker")
        passage = Passage(transcript_id, text, int(item_field(item, "start")), int(item_field(item, "end")), speaker)
        if pending is not None:
            if pending.speaker == speaker:
                passage = Passage(transcript_id, f"{pending.text} {text}", pending.start, passage.end, speaker)
            else:
                passages.append(pending)
            pending = None
        if len(passage.text.split()) < min_words:
            pending = passage
        else:
            passages.append(passage)
    if pending is not None:
        passages.append(pending)
    return passages


def sliding_windows(passages: Sequence[Passage], size: int = 2) -> list[Passage]:
    """Each passage joined with up to ``size - 1`` passages after it, as long as they come from the
    same transcript and speaker: a sentence keeps a little of its context, and a hit still points
    at where it starts."""
    if size < 1:
        raise ValueError("a window holds at least one passage")
    windows = []
    for first, passage in enumerate(passages):
        group = [passage]
        for following in passages[first + 1 : first + size]:
            if (following.transcript_id, following.speaker) != (passage.transcript_id, passage.speaker):
                break
            group.append(following)
        text = " ".join(p.text for p in group)
        windows.append(Passage(passage.transcript_id, text, passage.start, group[-1].end, passage.speaker))
    return windows


class PassageIndex:
    """Passages embedded once and searched by cosine similarity (exact nearest neighbours)."""

    def __init__(self, passages: Sequence[Passage], embedder: Embedder):
        if not passages:
            raise ValueError("an index needs at least one passage")
        self.passages = list(passages)
        self.embedder = embedder
        self.vectors = embedder.embed([p.text for p in self.passages])
        self._indexes: dict[str | None, tuple[list[int], CosineIndex]] = {}

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def transcript_ids(self) -> list[str]:
        """The transcripts in the index, in the order their first passage was added."""
        return list(dict.fromkeys(p.transcript_id for p in self.passages))

    def _index(self, transcript_id: str | None) -> tuple[list[int], CosineIndex]:
        """A :class:`CosineIndex` over every passage, or over one transcript's (built on first use)."""
        if transcript_id not in self._indexes:
            from .vectors import CosineIndex

            if transcript_id is None:
                rows = list(range(len(self.passages)))
                index = CosineIndex(self.vectors)
            else:
                rows = [i for i, p in enumerate(self.passages) if p.transcript_id == transcript_id]
                if not rows:
                    raise KeyError(
                        f"no passages of transcript {transcript_id!r}; the index holds {self.transcript_ids}"
                    )
                index = CosineIndex(self.vectors[rows])
            self._indexes[transcript_id] = (rows, index)
        return self._indexes[transcript_id]

    def search_vectors(
        self, vectors: np.ndarray, k: int = 3, *, transcript_id: str | None = None, min_score: float | None = None
    ) -> list[list[Hit]]:
        """The ``k`` nearest passages of each query vector, best first (equal scores in the order
        the passages were added)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        rows, index = self._index(transcript_id)
        scores, indices = index.search(vectors, k)
        results = []
        for row_scores, row_indices in zip(scores, indices, strict=True):
            hits = []
            for rank, (score, position) in enumerate(zip(row_scores, row_indices, strict=True), start=1):
                if min_score is None or score >= min_score:
                    hits.append(Hit(self.passages[rows[position]], float(score), rank))
            results.append(hits)
        return results

    def search_many(
        self, queries: Sequence[str], k: int = 3, *, transcript_id: str | None = None, min_score: float | None = None
    ) -> list[list[Hit]]:
        """:meth:`search` for several queries, embedded in one batch."""
        return self.search_vectors(self.embedder.embed(queries), k, transcript_id=transcript_id, min_score=min_score)

    def search(
        self, query: str, k: int = 3, *, transcript_id: str | None = None, min_score: float | None = None
    ) -> list[Hit]:
        """The ``k`` passages closest in meaning to ``query``, best first; only those of
        ``transcript_id`` when given, and only those scoring at least ``min_score`` when given."""
        return self.search_many([query], k, transcript_id=transcript_id, min_score=min_score)[0]

    def best_per_transcript(self, query: str, *, min_score: float | None = None) -> list[Hit]:
        """The best passage of each transcript for ``query``, best first (transcripts whose best
        passage scores under ``min_score`` are left out)."""
        vector = self.embedder.embed([query])
        hits = []
        for transcript_id in self.transcript_ids:
            found = self.search_vectors(vector, 1, transcript_id=transcript_id, min_score=min_score)[0]
            hits += found
        return sorted(hits, key=lambda hit: -hit.score)
