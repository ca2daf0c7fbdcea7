"""Exact nearest-neighbour search by cosine similarity, for the benchmarks that measure it.

No recipe runs this code: the recipes search with scikit-learn's ``NearestNeighbors`` or a matrix
product, written in the notebook. It answers a latency question (how far exact search goes on a
small machine) for ``benchmarks/nearest_neighbours.py``, ``embeddings.py`` and ``quote_location.py``.

:class:`CosineIndex` returns exactly the top ``k`` rows a brute-force scan returns (highest score
first, equal scores in row order), but reads far less memory per query on a large index: a
brute-force query over 100,000 rows of 384 ``float32`` reads 153 MB, and on a small machine memory
bandwidth, not arithmetic, is what it waits for. Below ``brute_force_below`` rows it simply scans.
Above, it keeps the rows rotated onto their principal axes (PCA of the rows, not centred), so that
most of each row's length sits in the first coordinates, cut into blocks at ``splits`` (by default
coordinates 0-64 and 64-192: half the memory of the vectors again), and for each query:

1. scores every row on the first block (a sixth of the memory of a scan) and bounds the rest by
   Cauchy-Schwarz: ``|q_r . x_r| <= |q_r| |x_r|``, with ``|x_r|`` stored per row, so that
   ``block score + |q_r| |x_r|`` is an upper bound of the row's score;
2. takes a lower bound ``tau`` of the k-th best score from the exact scores of about a hundred rows
   whose first-block score is high, and drops every row whose upper bound is under ``tau``;
3. adds the next block's score to the rows left and bounds them again, then scores the rows still
   left from the original vectors (``float32``), and the few near the k-th in ``float64``.

On 100,000 MiniLM embeddings about a tenth of the rows survive the first bound and a few hundred
the second (``benchmarks/nearest_neighbours.py``). No row that could be in the top ``k`` is dropped:
the bounds hold for any vectors, and a margin of ``1e-4`` covers ``float32`` rounding. So the result
is the brute-force one whatever the data; on data without structure the bounds prune nothing and a
query costs about a scan.

:class:`PassageIndex` puts transcript passages (anything with ``transcript_id``, ``text``, ``start``,
``end`` and ``speaker``, such as the ``Passage`` of the transcript-citations recipe) on top of it, embedded
once by an :class:`Embedder`; :class:`ModelEmbedder` is the packaged local model as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

from cookbook_utils.timestamps import format_timestamp
from cookbook_utils.vectors import unit_rows

#: Rows under which :class:`CosineIndex` scans them all (a scan is then cheap, and nothing is built).
BRUTE_FORCE_BELOW = 20_000
#: Scores are rounded in ``float32``; every bound is loosened by this much so that rounding never
#: drops a row that belongs in the top k (the rounding of 384-term dot products of unit vectors is
#: under 3e-5).
MARGIN = 1e-4


def _rounded_up(values: Any) -> Any:
    """``float64`` values as the ``float32`` just above them, so a bound stays a bound."""
    import numpy as np

    down = values.astype(np.float32)
    return np.where(down < values, np.nextafter(down, np.float32(np.inf)), down).astype(np.float32)


def _at_least_kth(scores: Any, k: int) -> Any:
    """Positions of the ``float32`` scores within :data:`MARGIN` of the k-th best or above: a
    superset of the top ``k`` whatever the rounding."""
    import numpy as np

    if k >= len(scores):
        return np.arange(len(scores))
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    return np.flatnonzero(scores >= kth - MARGIN)


class CosineIndex:
    """Exact top-k by dot product over unit rows (cosine similarity), brute force or pruned.

    ``vectors`` are normalised (rows of zeros score 0) and kept as ``float32`` (``float64`` if they
    come as ``float64``). :meth:`search` returns, per query, the ``min(k, rows)`` best rows and
    their scores; equal scores come in row order. Scores are the ``float64`` dot product of the rows,
    rounded to ``float32`` for ``float32`` rows, so equal rows score exactly the same.

    ``splits`` are where the rotated coordinates are cut into the blocks scanned one after the
    other (the first block for every row, the next ones for the rows left).
    """

    def __init__(
        self,
        vectors: Any,
        *,
        brute_force_below: int = BRUTE_FORCE_BELOW,
        splits: tuple[int, ...] = (64, 192),
    ):
        import numpy as np

        array = np.asarray(vectors)
        self.dtype = np.float64 if array.dtype == np.float64 else np.float32
        array = array.astype(self.dtype, copy=False)
        if array.ndim != 2 or not array.shape[0] or not array.shape[1]:
            raise ValueError(f"an index needs a 2-D array of at least one row, got shape {array.shape}")
        norms = np.linalg.norm(array, axis=1)
        if not np.all(np.abs(norms[norms > 0] - 1) < 1e-5):
            array = unit_rows(array, self.dtype)
        self.vectors = np.ascontiguousarray(array)
        rows, dims = self.vectors.shape
        if list(splits) != sorted(set(splits)) or not splits or splits[0] < 1:
            raise ValueError(f"splits must be increasing positive numbers, got {splits}")
        self.splits = tuple(s for s in splits if s < dims)
        self.pruned = rows >= brute_force_below and bool(self.splits)
        #: For the last pruned query: all rows, the rows left after each block's bound, and the
        #: rows finally scored in float64 (what the bounds saved).
        self.last_alive: tuple[int, ...] = ()
        if self.pruned:
            self._build()

    def _build(self) -> None:
        """The rotation, the blocks of rotated coordinates, and each row's length after each block."""
        import numpy as np

        rows, dims = self.vectors.shape
        moment = np.zeros((dims, dims))
        chunks = [slice(first, first + 8192) for first in range(0, rows, 8192)]
        for chunk in chunks:
            part = self.vectors[chunk].astype(np.float64)
            moment += part.T @ part
        _, axes = np.linalg.eigh(moment)
        self.axes = np.ascontiguousarray(axes[:, ::-1])  # float64, largest share of the length first
        edges = (0, *self.splits)
        self.blocks = [np.empty((rows, end - start), np.float32) for start, end in pairwise(edges)]
        tails = np.empty((len(self.splits), rows))
        for chunk in chunks:
            rotated = self.vectors[chunk].astype(np.float64) @ self.axes
            squares = np.cumsum((rotated**2)[:, ::-1], axis=1)[:, ::-1]  # squares[:, d]: length after d, squared
            for number, (start, end) in enumerate(pairwise(edges)):
                self.blocks[number][chunk] = rotated[:, start:end]
                tails[number, chunk] = np.sqrt(squares[:, end]) if end < dims else 0.0
        self.tails = [_rounded_up(tail) for tail in tails]

    def __len__(self) -> int:
        return self.vectors.shape[0]

    @property
    def nbytes(self) -> int:
        """Memory of the index: the vectors, plus the rotation, the blocks and lengths when pruned."""
        extra = 0
        if self.pruned:
            extra = self.axes.nbytes + sum(a.nbytes for a in (*self.blocks, *self.tails))
        return self.vectors.nbytes + extra

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        """``(scores, rows)``, each of shape ``(queries, min(k, rows))``: the best rows of each
        query, best first."""
        import numpy as np

        if k < 1:
            raise ValueError("k must be at least 1")
        matrix = np.asarray(queries, dtype=self.dtype)
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.ndim != 2 or matrix.shape[1] != self.vectors.shape[1]:
            raise ValueError(f"queries must have {self.vectors.shape[1]} columns, got shape {matrix.shape}")
        matrix = unit_rows(matrix, self.dtype)
        k = min(k, len(self))
        scores = np.empty((len(matrix), k), self.dtype)
        rows = np.empty((len(matrix), k), np.int64)
        for first in range(0, len(matrix), 64):
            chunk = matrix[first : first + 64]
            if self.pruned:
                rotated = (chunk.astype(np.float64) @ self.axes).astype(np.float32)
                heads = np.ascontiguousarray(rotated[:, : self.splits[0]])
                if len(chunk) == 1:  # a matrix-vector product: gemm with one column is slower
                    head_scores = (self.blocks[0] @ heads[0])[None, :]
                else:
                    head_scores = heads @ self.blocks[0].T  # queries x rows
                for i, query in enumerate(chunk):
                    candidates = self._pruned(query, rotated[i], head_scores[i], k)
                    scores[first + i], rows[first + i] = self._best(query, candidates, k)
            else:
                scores[first : first + 64], rows[first : first + 64] = self._scanned(chunk, k)
        return scores, rows

    def _scanned(self, queries: Any, k: int) -> tuple[Any, Any]:
        """The top ``k`` of each query by a scan of every row, without a loop over the queries."""
        import numpy as np

        scanned = queries @ self.vectors.T
        total = scanned.shape[1]
        if k < total:
            kth = np.partition(scanned, total - k, axis=1)[:, total - k]
            near = scanned >= (kth - MARGIN)[:, None]
        else:
            near = np.ones(scanned.shape, bool)
        which, candidates = np.nonzero(near)  # grouped by query, a superset of each one's top k
        exact = np.einsum(
            "ij,ij->i", self.vectors[candidates].astype(np.float64), queries[which].astype(np.float64)
        ).astype(self.dtype)
        order = np.lexsort((candidates, -exact, which))
        starts = np.searchsorted(which[order], np.arange(len(queries)))
        picked = order[starts[:, None] + np.arange(k)]
        return exact[picked], candidates[picked]

    def _exact(self, query: Any, rows: Any) -> Any:
        """Scores of ``rows``: the ``float64`` dot product (rounded to ``float32`` for ``float32`` rows)."""
        import numpy as np

        subset = self.vectors[rows].astype(np.float64)
        return np.einsum("ij,ij->i", subset, np.broadcast_to(query.astype(np.float64), subset.shape)).astype(self.dtype)

    def _best(self, query: Any, candidates: Any, k: int) -> tuple[Any, Any]:
        """The ``k`` best of ``candidates`` (a superset of the top k), ties in row order."""
        import numpy as np

        exact = self._exact(query, candidates)
        order = np.lexsort((candidates, -exact))[:k]
        return exact[order], candidates[order]

    def _pruned(self, query: Any, rotated: Any, head_scores: Any, k: int) -> Any:
        """Rows that may be in the top ``k``: those whose upper bound reaches ``tau`` after each
        block, then those whose ``float32`` score is near the k-th best."""
        import numpy as np

        total = len(head_scores)
        few = 4 * k + 64
        edges = (*self.splits, len(rotated))
        rest = [float(np.linalg.norm(rotated[end:].astype(np.float64))) for end in self.splits]
        tau = self._lower_bound(query, head_scores, k) - MARGIN
        alive = np.flatnonzero(head_scores + rest[0] * self.tails[0] >= tau)
        partial = head_scores[alive]
        counts = [total, len(alive)]
        for number in range(1, len(self.blocks)):
            if len(alive) > few:
                part = rotated[edges[number - 1] : edges[number]]
                if len(alive) > total // 4:  # most rows left: a scan of the block beats gathering rows
                    partial += (self.blocks[number] @ part)[alive]
                else:
                    partial += self.blocks[number][alive] @ part
                keep = partial + rest[number] * self.tails[number][alive] >= tau
                alive, partial = alive[keep], partial[keep]
            counts.append(len(alive))
        if len(alive) > few:  # scored in float32 first: the float64 scores are for the few
            exact = (self.vectors @ query)[alive] if len(alive) > total // 4 else self.vectors[alive] @ query
            alive = alive[_at_least_kth(exact, k)]
        self.last_alive = (*counts, len(alive))
        return alive

    def _lower_bound(self, query: Any, head_scores: Any, k: int) -> float:
        """A score at most the k-th best: the k-th best exact score of rows with high first-block
        scores (about 100 of them, found from a sample of the scores rather than a full sort)."""
        import numpy as np

        sample = head_scores[:: max(1, len(head_scores) // 2048)]
        for rank in (2, 8, 32, len(sample)):
            rank = min(rank, len(sample))
            threshold = np.partition(sample, len(sample) - rank)[len(sample) - rank]
            picked = np.flatnonzero(head_scores >= threshold)
            if len(picked) >= k:
                break
        exact = self._exact(query, picked)
        return float(np.partition(exact, len(exact) - k)[len(exact) - k])


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its cosine similarity (1 is identical)."""

    passage: Any  # a passage: transcript_id, text, start, end, speaker
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


class PassageIndex:
    """Passages embedded once and searched by cosine similarity (exact nearest neighbours)."""

    def __init__(self, passages: Sequence[Any], embedder: Embedder):
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
        self, vectors: Any, k: int = 3, *, transcript_id: str | None = None, min_score: float | None = None
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


class Embedder(Protocol):
    """Anything that turns texts into normalised vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> Any: ...


class ModelEmbedder:
    """The packaged local model (``cookbook_utils.embeddings.local_model()``) as an :class:`Embedder`."""

    name = "all-MiniLM-L6-v2 (local)"

    def __init__(self, batch_size: int = 64):
        from cookbook_utils.embeddings import local_model

        self.model = local_model()
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Any:
        """One ``float32`` row of length 1 per text."""
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return unit_rows(vectors)
