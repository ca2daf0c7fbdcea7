"""Exact nearest-neighbour search over passage embeddings: the old way and CosineIndex, side by side.

    .venv/bin/python benchmarks/nearest_neighbours.py [--rows 100000] [--threads 1] [--batch 1000]

Compared, on the same vectors and queries:

- **old**: scikit-learn's ``NearestNeighbors(metric="cosine", algorithm="brute")``, what
  ``PassageIndex`` used before;
- **scan**: a plain numpy scan (``vectors @ query``, then the top k);
- **new**: :class:`benchmarks.cosine_index.CosineIndex`, what ``PassageIndex`` uses now (a scan under
  20,000 rows; above, PCA blocks with Cauchy-Schwarz bounds, then exact scores of the rows left).

For each: one query at a time (median and 95th percentile), a batch of ``--batch`` queries at once
(queries per second), the memory the index holds, the build time, and whether the top 5 and top 10
of EVERY query are the brute-force ones (the reference: every row scored, float32, best first, equal
scores in row order; "ties aside" means a differing row scores within 1e-6 of the k-th score).

**How the data is made.** Realistic vectors, not uniform random ones (those have no structure, and
make any pruning look worse or better than it is):

1. *Real*: every distinct text of three words or more in the repository's own prose: the turns of
   ``data/scripts/*.yaml`` (each turn, each sentence, each run of 2 and 3 sentences), the markdown
   sentences of the notebooks, README.md and docs/. About 2,100 texts, embedded once with the local
   ``all-MiniLM-L6-v2`` (``cookbook_utils.embeddings.local_model()``), cached in
   ``build/nearest-neighbours/`` (git-ignored).
2. *Grown* to ``--rows`` rows (and to 8,300, the size the issue quotes): each row is
   ``w * a + (1 - w) * b`` for two real embeddings ``a``, ``b`` drawn at random and ``w`` uniform in
   [0.5, 1] (a text mostly about one thing, a little about another), renormalised, plus isotropic
   Gaussian noise of length 0.25, renormalised again (seeded). The noise spreads length over every
   axis, which is what the bounds find hardest: it keeps the grown set from being easier than real
   data.
3. *Queries*: the 176 real texts a recipe searches with (the 20 questions of
   ``data/retrieval/interview-questions.yaml`` and every sentence of the reference LLM answers in
   ``data/answers/*/*.json``: claims to cite), embedded the same way; on the grown sets, plus grown
   rows made the same way but not in the index, up to 300 single queries and ``--batch`` batch ones
   (on the purely real set, the batch is the real queries and mixtures of real texts with noise 0.1).
   Real queries score lower against the corpus (top-10 about 0.6) than corpus-like ones (about 0.9),
   and are the harder case for pruning; both are reported.

BLAS runs on ``--threads`` threads (default 1): on a busy 2-core machine, a multi-threaded
matrix-vector product mostly waits for its second thread (measured 40x slower under load). The load
average is printed with each set: other processes on the machine slow every figure.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks.cosine_index import CosineIndex, ModelEmbedder  # noqa: E402
from cookbook_utils.vectors import unit_rows  # noqa: E402

CACHE = ROOT / "build" / "nearest-neighbours"
SENTENCE = re.compile(r"(?<=[.?!])\s+")
MIN_WORDS = 3


def real_texts() -> list[str]:
    """Every distinct text of the repository's prose (see the module docstring), in a fixed order."""
    texts: list[str] = []

    def add(text: str) -> None:
        text = " ".join(str(text).split())
        if len(text.split()) >= MIN_WORDS:
            texts.append(text)

    for path in sorted(glob.glob(str(ROOT / "data" / "scripts" / "*.yaml"))):
        for turn in yaml.safe_load(Path(path).read_text()).get("turns", []):
            sentences = [s for s in SENTENCE.split(turn["text"]) if s.strip()]
            add(turn["text"])
            for first in range(len(sentences)):
                for size in (1, 2, 3):
                    if first + size <= len(sentences):
                        add(" ".join(sentences[first : first + size]))
    prose = []
    for path in sorted(glob.glob(str(ROOT / "notebooks" / "*" / "*.ipynb"))):
        cells = json.loads(Path(path).read_text())["cells"]
        prose += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    prose += [(ROOT / name).read_text() for name in ("README.md", "docs/style.md", "docs/contracts.md")]
    for text in prose:
        for paragraph in text.split("\n\n"):
            if not paragraph.lstrip().startswith(("#", "```", "|")):
                for sentence in SENTENCE.split(" ".join(paragraph.split())):
                    add(sentence)
    return list(dict.fromkeys(texts))


def query_texts() -> list[str]:
    """The labelled questions, then every sentence of the reference LLM answers."""

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict | list):
            for item in value.values() if isinstance(value, dict) else value:
                yield from strings(item)

    labelled = yaml.safe_load((ROOT / "data" / "retrieval" / "interview-questions.yaml").read_text())
    texts = [q["question"] for q in labelled["questions"]]
    for path in sorted(glob.glob(str(ROOT / "data" / "answers" / "*" / "*.json"))):
        texts += [" ".join(s.split()) for s in strings(json.loads(Path(path).read_text())) if len(s.split()) >= 4]
    return list(dict.fromkeys(texts))


def embedded(texts: list[str], name: str) -> np.ndarray:
    """The texts' local embeddings, from the cache when the same texts were embedded before."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{key}.npy"
    if path.is_file():
        return np.load(path)
    started = time.perf_counter()
    vectors = ModelEmbedder().embed(texts)
    print(f"  embedded {len(texts)} {name} texts in {time.perf_counter() - started:.0f} s (cached in {path})")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def grown(real: np.ndarray, rows: int, seed: int, noise: float = 0.25) -> np.ndarray:
    """``rows`` mixtures of two real embeddings plus isotropic noise (see the module docstring)."""
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(real), rows), rng.integers(0, len(real), rows)
    weight = rng.uniform(0.5, 1.0, (rows, 1)).astype(np.float32)
    mixed = unit_rows(weight * real[first] + (1 - weight) * real[second])
    return unit_rows(mixed + noise * unit_rows(rng.standard_normal(mixed.shape).astype(np.float32)))


class Old:
    """scikit-learn's brute-force cosine NearestNeighbors, as PassageIndex used it."""

    name = "old (sklearn)"

    def __init__(self, vectors: np.ndarray):
        from sklearn.neighbors import NearestNeighbors

        self.model = NearestNeighbors(metric="cosine", algorithm="brute").fit(vectors)
        self.nbytes = self.model._fit_X.nbytes

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        return self.model.kneighbors(queries, n_neighbors=k)[1]


class Scan:
    """``vectors @ query`` and numpy's partial sort: the simplest exact search."""

    name = "scan (numpy)"

    def __init__(self, vectors: np.ndarray):
        self.vectors, self.nbytes = vectors, vectors.nbytes

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        found = []
        for first in range(0, len(queries), 64):
            scores = queries[first : first + 64] @ self.vectors.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            found.append(np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1), 1))
        return np.vstack(found)


class New:
    """benchmarks.cosine_index.CosineIndex, what PassageIndex uses now."""

    name = "new (CosineIndex)"

    def __init__(self, vectors: np.ndarray):
        self.index = CosineIndex(vectors)
        self.nbytes = self.index.nbytes

    def search(self, queries: np.ndarray, k: int) -> np.ndarray:
        return self.index.search(queries, k)[1]


def reference(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: every row's float32 score, best first, equal scores in row order."""
    scores = queries @ vectors.T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k], scores


def exact_count(found: np.ndarray, want: np.ndarray, scores: np.ndarray) -> tuple[int, int]:
    """(identical to the reference ``want``, the same ties aside): queries whose top k is the
    brute-force one; ``scores`` are every row's reference scores."""
    identical = tied = 0
    for row, (got, expected) in enumerate(zip(found, want, strict=True)):
        if got.tolist() == expected.tolist():
            identical += 1
            continue
        kth = scores[row, expected[-1]]
        differing = set(got.tolist()) ^ set(expected.tolist())
        same_set_order = set(got.tolist()) == set(expected.tolist()) and np.allclose(
            scores[row, got], scores[row, expected], atol=1e-6
        )
        if same_set_order or all(abs(scores[row, i] - kth) <= 1e-6 for i in differing):
            tied += 1
    return identical, tied


def one_at_a_time(method, queries: np.ndarray, k: int) -> list[float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        method.search(query[None, :], k)
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(title: str, vectors: np.ndarray, singles: np.ndarray, n_real: int, batch: np.ndarray) -> None:
    print(
        f"\n{title}: {len(vectors):,} rows x {vectors.shape[1]}, {len(singles)} single queries "
        f"({n_real} real), batch of {len(batch)}; load average {os.getloadavg()[0]:.1f}"
    )
    order, scores = reference(vectors, singles, 10)
    want = {k: (order[:, :k], scores) for k in (5, 10)}
    top10 = np.sort(want[10][1][:n_real], axis=1)[:, -10:]
    print(f"  real queries: mean top-1 score {top10[:, -1].mean():.2f}, top-10 {top10[:, 0].mean():.2f}")
    header = f"  {'method':18s} {'build s':>8s} {'memory MB':>10s} {'1 query median ms':>18s} {'p95 ms':>7s}"
    print(header + f" {'real med/p95 ms':>16s} {'batch q/s':>10s}  exact top-5, top-10")
    for kind in (Old, Scan, New):
        started = time.perf_counter()
        method = kind(vectors)
        build_s = time.perf_counter() - started
        method.search(singles[:3], 10)  # warm-up
        times = one_at_a_time(method, singles, 10)
        started = time.perf_counter()
        method.search(batch, 10)
        batch_qps = len(batch) / (time.perf_counter() - started)
        checks = []
        for k in (5, 10):
            identical, tied = exact_count(method.search(singles, k), *want[k])
            checks.append(f"{identical}+{tied}/{len(singles)}")
        real = times[:n_real]
        print(
            f"  {kind.name:18s} {build_s:8.2f} {method.nbytes / 1e6:10.1f} {statistics.median(times):18.2f} "
            f"{np.percentile(times, 95):7.2f} {statistics.median(real):7.2f}/{np.percentile(real, 95):<8.2f} "
            f"{batch_qps:10.0f}  {checks[0]}, {checks[1]}"
        )
        if kind is New and method.index.pruned:
            left = []
            for query in singles:
                method.index.search(query, 10)
                left.append(method.index.last_alive)
            left = np.array(left)
            print(
                "    rows left per query (mean): after the first block's bound "
                f"{left[:, 1].mean():,.0f}, after the last block {left[:, -2].mean():,.0f}, "
                f"scored in float64 {left[:, -1].mean():,.0f}; real queries: {left[:n_real, 1].mean():,.0f}, "
                f"{left[:n_real, -2].mean():,.0f}, {left[:n_real, -1].mean():,.0f}"
            )
    print(f"  (exact: identical + same ties aside / queries; load average now {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the grown set")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (0: the library's default)")
    parser.add_argument("--batch", type=int, default=1_000, help="queries searched at once")
    parser.add_argument("--singles", type=int, default=300, help="queries searched one at a time")
    args = parser.parse_args()

    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    print(f"CPU cores: {os.cpu_count()}, BLAS threads: {args.threads or 'default'}, numpy {np.__version__}")
    real = embedded(real_texts(), "real")
    queries = embedded(query_texts(), "queries")
    n_real = len(queries)
    print(f"Real texts: {len(real)}; real queries: {n_real}")
    # purely real: the real texts are the index; the real queries, and (for the batch) real texts perturbed
    batch_real = np.vstack([queries, grown(real, args.batch - n_real, seed=3, noise=0.1)])
    measure("Purely real embeddings", real, queries, n_real, batch_real)
    for rows, seed in ((8_300, 1), (args.rows, 2)):
        vectors = grown(real, rows, seed)
        singles = np.vstack([queries, grown(real, max(0, args.singles - n_real), seed=seed + 100)])
        batch = np.vstack([queries, grown(real, args.batch - n_real, seed=seed + 200)])
        measure(f"Grown from real embeddings (seed {seed})", vectors, singles, n_real, batch)


if __name__ == "__main__":
    main()
