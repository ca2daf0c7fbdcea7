"""cookbook_utils.search with a bag-of-words embedder whose cosine scores are known exactly."""

import math

import numpy as np
import pytest

from cookbook_utils.search import Hit, Passage, PassageIndex, passages_from, sliding_windows


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


PASSAGES = [
    Passage("call-1", "the timer stops offline", 1_000, 4_000, "B"),
    Passage("call-1", "the export writes wrong dates", 65_000, 69_500, "B"),
    Passage("call-2", "offline the timer loses hours", 3_723_000, 3_730_000, "B"),
    Passage("call-3", "seats cost too much", 10_000, 12_000, "B"),
]


@pytest.fixture
def index():
    return PassageIndex(PASSAGES, WordsEmbedder())


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


def test_passages_from_sdk_objects_and_dicts():
    import assemblyai as aai

    sentence = aai.types.Sentence(
        text="The timer stops.", start=100, end=900, confidence=0.9, words=[], speaker="B", channel=None
    )
    items = [
        sentence,
        {"text": "  ", "start": 900, "end": 950},
        {"text": "Sure.", "start": 1_000, "end": 1_300, "speaker": "A"},
        {"text": "Tell me more.", "start": 1_400, "end": 2_000, "speaker": "A"},
        {"text": "Okay.", "start": 2_100, "end": 2_400, "speaker": "B"},
        {"text": "It happens every week.", "start": 2_500, "end": 4_000, "speaker": "A"},
        {"text": "Right.", "start": 4_100, "end": 4_300, "speaker": "B"},
    ]
    passages = passages_from("t1", items, min_words=2)
    assert passages == [
        Passage("t1", "The timer stops.", 100, 900, "B"),
        Passage("t1", "Sure. Tell me more.", 1_000, 2_000, "A"),  # joined to the same speaker's next
        Passage("t1", "Okay.", 2_100, 2_400, "B"),  # the next is another speaker's: kept alone
        Passage("t1", "It happens every week.", 2_500, 4_000, "A"),
        Passage("t1", "Right.", 4_100, 4_300, "B"),  # last one kept
    ]
    assert passages_from("t1", items) == [p for p in passages_from("t1", items, min_words=1)]
    assert len(passages_from("t1", items)) == 6


def test_sliding_windows_stay_within_one_speaker_and_transcript():
    passages = [
        Passage("t1", "One.", 0, 1_000, "B"),
        Passage("t1", "Two.", 1_000, 2_000, "B"),
        Passage("t1", "Three.", 2_000, 3_000, "B"),
        Passage("t1", "Question?", 3_000, 4_000, "A"),
        Passage("t2", "Four.", 0, 500, "A"),
    ]
    assert [(w.text, w.start, w.end) for w in sliding_windows(passages, 2)] == [
        ("One. Two.", 0, 2_000),
        ("Two. Three.", 1_000, 3_000),
        ("Three.", 2_000, 3_000),
        ("Question?", 3_000, 4_000),
        ("Four.", 0, 500),
    ]
    assert sliding_windows(passages, 1) == passages
    assert sliding_windows(passages, 3)[0].text == "One. Two. Three."
    with pytest.raises(ValueError, match="at least one passage"):
        sliding_windows(passages, 0)
