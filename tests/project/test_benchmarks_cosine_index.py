"""benchmarks/cosine_index.py, the exact search the benchmarks measure: CosineIndex gives exactly the
brute-force top k, pruned or not, and PassageIndex finds passages by it (with a bag-of-words embedder
whose cosine scores are known exactly, and over a large corpus against brute force)."""

import functools
import math

import numpy as np
import pytest

from benchmarks.cosine_index import CosineIndex, Hit, PassageIndex
from cookbook_utils.vectors import unit_rows
from tools.notebook_code import load_definitions


@functools.cache
def passage_type() -> type:
    """The transcript-citations recipe's own ``Passage``, which the benchmarks index. Loading the
    notebook's definitions imports its embedding library (seconds), so this runs when a test first
    needs it, not when pytest collects the file."""
    return load_definitions("transcript-citations", ["Passage"], whole_recipe=False)["Passage"]


DIMS = 384


def brute_force(vectors, query, k):
    """The reference: every row scored (float64 dot of the float32 rows, rounded to float32),
    best first, equal scores in row order."""
    rows = np.asarray(vectors)
    query = unit_rows(np.atleast_2d(query), rows.dtype)[0]  # normalised as the index does
    scores = (rows.astype(np.float64) @ query.astype(np.float64)).astype(rows.dtype)
    order = np.lexsort((np.arange(len(rows)), -scores))[:k]
    return scores[order], order


def clustered(rng, rows, clusters=40, spread=0.3):
    """Rows near a few directions (the same ones for a given ``rng`` seed and ``clusters``): what
    sentence embeddings look like, and where the bounds prune."""
    centres = unit_rows(np.random.default_rng(clusters).standard_normal((clusters, DIMS)))
    noise = unit_rows(rng.standard_normal((rows, DIMS))) * spread
    return unit_rows(centres[rng.integers(0, clusters, rows)] + noise)


def assert_exact(index, vectors, queries, k):
    """The index's answers are the brute-force ones over its rows, which are ``vectors`` normalised."""
    assert np.allclose(index.vectors, unit_rows(vectors), atol=1e-6)
    scores, rows = index.search(queries, k)
    for query, got_scores, got_rows in zip(queries, scores, rows, strict=True):
        want_scores, want_rows = brute_force(index.vectors, query, k)
        assert got_rows.tolist() == want_rows.tolist()
        if index.vectors.dtype == np.float32:  # equal after the rounding to float32
            assert got_scores.tolist() == want_scores.tolist()
        else:  # float64 sums in another order may differ in the last bit
            assert got_scores.tolist() == pytest.approx(want_scores.tolist(), rel=0, abs=1e-12)


@pytest.mark.parametrize("k", [1, 5, 10, 37])
def test_pruned_search_on_clustered_rows_is_exact_and_prunes(k):
    rng = np.random.default_rng(1)
    vectors = clustered(rng, 6_000)
    index = CosineIndex(vectors, brute_force_below=1_000)
    assert index.pruned
    queries = np.vstack([clustered(rng, 20), vectors[rng.integers(0, 6_000, 5)]])
    assert_exact(index, vectors, queries, k)
    index.search(queries[0], k)
    total, after_first, *_, scored = index.last_alive
    assert total == 6_000 and after_first < 6_000 / 5 and scored < 6_000 / 20  # the bounds did skip rows


def test_pruned_search_is_exact_where_nothing_can_be_pruned():
    """Isotropic random rows and queries: each row's length is spread over every axis, the bound
    on the rest of a row never drops it; the answer is still the brute-force one."""
    rng = np.random.default_rng(2)
    vectors = unit_rows(rng.standard_normal((3_000, DIMS)))
    index = CosineIndex(vectors, brute_force_below=1_000)
    queries = unit_rows(rng.standard_normal((10, DIMS)))
    assert_exact(index, vectors, queries, 5)
    assert_exact(index, vectors, queries, 10)
    assert index.last_alive[1] > 3_000 * 0.9  # the first bound kept almost every row


def test_queries_far_from_clustered_rows_are_exact():
    """Clustered rows, but queries off every cluster (most of their length after the first axes)."""
    rng = np.random.default_rng(3)
    vectors = clustered(rng, 4_000, clusters=8, spread=0.1)
    index = CosineIndex(vectors, brute_force_below=1_000)
    assert_exact(index, vectors, unit_rows(rng.standard_normal((10, DIMS))), 10)


@pytest.mark.parametrize("below", [1, 10**9])  # pruned, and brute force
def test_ties_come_in_row_order(below):
    rng = np.random.default_rng(4)
    vectors = clustered(rng, 2_500)
    twin = vectors[7].copy()
    copies = np.sort(rng.choice(np.arange(100, 2_500), 30, replace=False))
    vectors[copies] = twin  # 31 equal rows
    index = CosineIndex(vectors, brute_force_below=below)
    scores, rows = index.search(twin + 0.05 * unit_rows(rng.standard_normal(DIMS)), 10)
    assert rows[0].tolist() == [7, *copies[:9]]
    assert len(set(scores[0].tolist())) == 1
    assert_exact(index, vectors, np.vstack([twin, -twin, vectors[copies[3]] + vectors[11]]), 12)
    # only equal rows: the first k rows
    same = np.repeat(twin[None, :], 1_200, axis=0)
    assert CosineIndex(same, brute_force_below=below).search(twin, 5)[1][0].tolist() == [0, 1, 2, 3, 4]


def test_near_ties_at_the_kth_place_are_exact():
    """Rows whose scores differ in the last bits of a float32, around the k-th place."""
    rng = np.random.default_rng(5)
    vectors = clustered(rng, 2_000)
    query = vectors[0].copy()
    near = unit_rows(query[None, :] + 1e-4 * rng.standard_normal((40, DIMS)))
    vectors[rng.choice(np.arange(1, 2_000), 40, replace=False)] = near
    assert_exact(CosineIndex(vectors, brute_force_below=1_000), vectors, query[None, :], 20)


@pytest.mark.parametrize("below", [1, 10**9])
def test_k_larger_than_the_rows_and_bad_input(below):
    rng = np.random.default_rng(6)
    vectors = clustered(rng, 50)
    index = CosineIndex(vectors, brute_force_below=below)
    scores, rows = index.search(vectors[:2], 500)
    assert rows.shape == (2, 50) and sorted(rows[0].tolist()) == list(range(50))
    assert np.all(np.diff(scores, axis=1) <= 0)
    with pytest.raises(ValueError, match="at least 1"):
        index.search(vectors[0], 0)
    with pytest.raises(ValueError, match="384 columns"):
        index.search(np.ones(10), 3)
    with pytest.raises(ValueError, match="at least one row"):
        CosineIndex(np.zeros((0, DIMS)))


def test_rows_not_of_unit_length_and_zero_rows_score_as_cosine():
    rng = np.random.default_rng(7)
    vectors = (clustered(rng, 1_500) * rng.uniform(0.5, 3.0, (1_500, 1))).astype(np.float32)
    vectors[3] = 0
    index = CosineIndex(vectors, brute_force_below=1_000)
    assert index.pruned
    queries = np.vstack([vectors[10] * 5, rng.standard_normal(DIMS)])
    assert_exact(index, vectors, queries, 8)
    scores, rows = index.search(vectors[10], 1)
    assert rows[0, 0] == 10 and scores[0, 0] == pytest.approx(1.0, abs=1e-6)


def test_float64_rows_stay_float64():
    rng = np.random.default_rng(10)
    vectors = clustered(rng, 1_500).astype(np.float64)
    index = CosineIndex(vectors, brute_force_below=1_000)
    assert index.vectors.dtype == np.float64 and index.pruned
    assert_exact(index, vectors, vectors[:3] + 0.1, 6)


def test_small_indexes_are_scanned_and_build_nothing():
    index = CosineIndex(unit_rows(np.random.default_rng(8).standard_normal((5_000, DIMS))))
    assert not index.pruned and index.nbytes == 5_000 * DIMS * 4


class TableEmbedder:
    """Vectors looked up by text: a large index without a model."""

    name = "table"

    def __init__(self, table):
        self.table = table

    def embed(self, texts):
        return np.stack([self.table[t] for t in texts])


def test_passage_index_over_a_large_corpus_matches_brute_force_overall_and_per_transcript():
    rng = np.random.default_rng(9)
    vectors = clustered(rng, 21_000, clusters=60)
    Passage = passage_type()
    passages = [Passage(f"call-{i % 7}", f"passage {i}", i * 1_000, i * 1_000 + 900) for i in range(21_000)]
    table = {p.text: v for p, v in zip(passages, vectors, strict=True)}
    queries = clustered(rng, 4, clusters=60)
    table |= {f"query {i}": q for i, q in enumerate(queries)}
    index = PassageIndex(passages, TableEmbedder(table))
    for i, query in enumerate(queries):
        hits = index.search(f"query {i}", k=10)
        assert [h.text for h in hits] == [f"passage {r}" for r in brute_force(index.vectors, query, 10)[1]]
        assert [h.rank for h in hits] == list(range(1, 11))
        own = [r for r in range(21_000) if r % 7 == 3]
        hits = index.search(f"query {i}", k=5, transcript_id="call-3")
        assert [h.text for h in hits] == [f"passage {own[r]}" for r in brute_force(index.vectors[own], query, 5)[1]]
    assert index._index(None)[1].pruned and not index._index("call-3")[1].pruned


# --- PassageIndex with scores known exactly --------------------------------------------------------


class WordsEmbedder:
    """One dimension per known word: cosine similarity is shared words over the norms."""

    name = "bag of words"

    def __init__(self):
        self.vocabulary: dict[str, int] = {}
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        words = [t.lower().replace(".", "").split() for t in texts]
        for word in (w for ws in words for w in ws):
            self.vocabulary.setdefault(word, len(self.vocabulary))
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, ws in enumerate(words):
            for word in ws:
                vectors[row, self.vocabulary[word]] = 1
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


#: (transcript, text, start, end, speaker) of the passages the exact-score tests index.
PASSAGES = [
    ("call-1", "the timer stops offline", 1_000, 4_000, "B"),
    ("call-1", "the export writes wrong dates", 65_000, 69_500, "B"),
    ("call-2", "offline the timer loses hours", 3_723_000, 3_730_000, "B"),
    ("call-3", "seats cost too much", 10_000, 12_000, "B"),
]


@pytest.fixture
def index():
    Passage = passage_type()
    return PassageIndex([Passage(*fields) for fields in PASSAGES], WordsEmbedder())


def test_nearest_passages_with_exact_cosine_scores(index):
    hits = index.search("timer offline", k=3)
    assert [h.text for h in hits[:2]] == ["the timer stops offline", "offline the timer loses hours"]
    assert hits[0].score == pytest.approx(2 / math.sqrt(2 * 4))
    assert hits[1].score == pytest.approx(2 / math.sqrt(2 * 5))
    assert [h.rank for h in hits] == [1, 2, 3] and hits[2].score == pytest.approx(0.0, abs=1e-6)


def test_hits_carry_transcript_times_and_format_them(index):
    hit = index.search("the timer loses hours offline", k=1)[0]
    assert isinstance(hit, Hit)
    assert (hit.transcript_id, hit.start, hit.end, hit.speaker) == ("call-2", 3_723_000, 3_730_000, "B")
    assert hit.timestamp == "1:02:03"
    assert hit.cite() == "[call-2 1:02:03-1:02:10]"


def test_filters_by_transcript_and_by_score(index):
    only = index.search("timer offline", k=5, transcript_id="call-2")
    assert [h.transcript_id for h in only] == ["call-2"]
    assert [h.text for h in index.search("timer offline", k=5, min_score=0.5)] == [
        "the timer stops offline",
        "offline the timer loses hours",
    ]
    assert index.search("seats", k=4)[0].text == "seats cost too much"
    with pytest.raises(KeyError, match="no passages of transcript 'call-9'"):
        index.search("x", transcript_id="call-9")


def test_k_larger_than_the_index_and_bad_k(index):
    assert len(index.search("timer", k=50)) == len(PASSAGES)
    with pytest.raises(ValueError, match="at least 1"):
        index.search("timer", k=0)


def test_best_per_transcript(index):
    hits = index.best_per_transcript("timer offline dates", min_score=0.1)
    assert [h.transcript_id for h in hits] == ["call-1", "call-2"]  # call-3 shares no word
    assert hits[0].text == "the timer stops offline" and hits[0].score >= hits[1].score
    assert index.transcript_ids == ["call-1", "call-2", "call-3"]


def test_search_many_embeds_queries_in_one_batch(index):
    calls = index.embedder.calls
    results = index.search_many(["timer offline", "wrong dates"], k=1)
    assert index.embedder.calls == calls + 1
    assert [r[0].text for r in results] == ["the timer stops offline", "the export writes wrong dates"]


def test_empty_index_is_refused():
    with pytest.raises(ValueError, match="at least one passage"):
        PassageIndex([], WordsEmbedder())
