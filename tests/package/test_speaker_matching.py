"""Consistent speakers across chunks: longest monologues, matching by cosine similarity with a
threshold (one speaker per chunk, a speaker who appears late, one who skips a chunk), merging, and
the whole chain on the shipped three-part conversation with the real embedding model."""

import json
from pathlib import Path

import numpy as np
import pytest

from cookbook_utils.speaker_matching import (
    Monologue,
    longest_monologues,
    match_chunks,
    match_speakers,
    merge_chunks,
)

ROOT = Path(__file__).resolve().parents[2]
PARTS = [
    json.loads((ROOT / "data" / "scripts" / f"bakery-planning-part{n}.timing.json").read_text()) for n in (1, 2, 3)
]


def _voice(index, noise=0.0, seed=0):
    """A unit vector per "voice" (orthogonal ones), plus a little noise."""
    vector = np.zeros(16)
    vector[index] = 1.0
    return vector + np.random.default_rng(seed).normal(0, noise, 16)


def _word(speaker, start, end, text="w"):
    return {"text": text, "start": start, "end": end, "speaker": speaker}


def test_longest_monologue_per_speaker():
    words = [
        _word("A", 0, 500),
        _word("A", 600, 1000),  # A: 0-1000
        _word("B", 1100, 1500),  # B: 1100-1500
        _word("A", 1600, 4000),  # A: 1600-4000, the longer run
        _word(None, 4100, 4200),  # no speaker: skipped, and does not break a run
        _word("B", 4300, 4400),
        _word("B", 4500, 6000),  # B: 4300-6000
    ]
    found = longest_monologues(words)
    assert list(found) == ["A", "B"]
    assert found["A"] == Monologue("A", 1600, 4000, 1)
    assert found["B"] == Monologue("B", 4300, 6000, 2)
    assert longest_monologues([]) == {}


def test_first_chunk_sets_the_labels_and_later_chunks_follow():
    chunks = [
        {"A": _voice(0), "B": _voice(1)},
        {"A": _voice(1, 0.05, 1), "B": _voice(0, 0.05, 2)},  # the same two, in the other order
    ]
    match = match_speakers(chunks, threshold=0.8)
    assert match.relabel == [{"A": "A", "B": "B"}, {"A": "B", "B": "A"}]
    assert match.new_speakers == [["A", "B"], []]
    assert match.similarities[0] == {"A": {}, "B": {}}
    assert match.similarities[1]["A"]["B"] > 0.9 > 0.2 > match.similarities[1]["A"]["A"]


def test_a_new_speaker_in_a_later_chunk_gets_a_new_label():
    chunks = [
        {"A": _voice(0), "B": _voice(1)},
        {"A": _voice(1, 0.05, 3)},  # a chunk with one speaker
        {"A": _voice(2), "B": _voice(0, 0.05, 4), "C": _voice(1, 0.05, 5)},  # C skipped chunk 2
    ]
    match = match_speakers(chunks, threshold=0.8)
    assert match.relabel == [{"A": "A", "B": "B"}, {"A": "B"}, {"A": "C", "B": "A", "C": "B"}]
    assert match.new_speakers == [["A", "B"], [], ["C"]]
    assert match.speakers == ["A", "B", "C"]


def test_a_chunk_with_one_speaker_first():
    match = match_speakers([{"A": _voice(3)}, {"A": _voice(4), "B": _voice(3, 0.05)}], threshold=0.8)
    assert match.relabel == [{"A": "A"}, {"A": "B", "B": "A"}]


def test_threshold_decides_between_same_and_new():
    similar = _voice(0) + 0.6 * _voice(1)  # cosine similarity 0.857 with voice 0
    chunks = [{"A": _voice(0)}, {"A": similar}]
    assert match_speakers(chunks, threshold=0.8).relabel[1] == {"A": "A"}
    assert match_speakers(chunks, threshold=0.9).relabel[1] == {"A": "B"}
    # Exactly at the threshold counts as a match.
    cosine = float(similar @ _voice(0) / np.linalg.norm(similar))
    assert match_speakers(chunks, threshold=cosine).relabel[1] == {"A": "A"}
    with pytest.raises(ValueError, match="between -1 and 1"):
        match_speakers(chunks, threshold=1.5)


def test_two_speakers_of_one_chunk_never_share_a_label():
    # Both resemble A more than anyone else, but they are two people: one is A, the other is new.
    chunks = [{"A": _voice(0), "B": _voice(1)}, {"A": _voice(0) + 0.1 * _voice(2), "B": _voice(0) + 0.5 * _voice(3)}]
    match = match_speakers(chunks, threshold=0.7)
    assert match.relabel[1] == {"A": "A", "B": "C"}


def test_matches_refine_the_known_voice():
    # Chunk 2's A drifts from chunk 1's; the known voice becomes their mean, so chunk 3, which
    # drifts further, still matches.
    a1, a2, a3 = _voice(0), _voice(0) + 0.7 * _voice(1), _voice(0) + 1.2 * _voice(1)
    match = match_speakers([{"A": a1}, {"A": a2}, {"A": a3}], threshold=0.8)
    assert match.relabel == [{"A": "A"}, {"A": "A"}, {"A": "A"}]
    assert match_speakers([{"A": a1}, {"A": a3}], threshold=0.8).relabel[1] == {"A": "B"}


def test_zero_embeddings_are_refused():
    with pytest.raises(ValueError, match="all zeros"):
        match_speakers([{"A": np.zeros(4)}], threshold=0.5)


def test_merge_shifts_and_relabels():
    chunks = [[_word("A", 0, 100, "hi")], [_word("A", 50, 80, "yes"), _word(None, 90, 95, "um")]]
    merged = merge_chunks(chunks, [0, 1000], [{"A": "A"}, {"A": "B"}])
    assert [(w["text"], w["start"], w["end"], w["speaker"], w["chunk"]) for w in merged] == [
        ("hi", 0, 100, "A", 0),
        ("yes", 1050, 1080, "B", 1),
        ("um", 1090, 1095, None, 1),
    ]
    assert chunks[1][0]["start"] == 50  # inputs untouched
    with pytest.raises(ValueError, match="one of each per chunk"):
        merge_chunks(chunks, [0], [{}, {}])


def test_the_shipped_conversation_is_relabelled_like_its_script():
    """The three parts' own labels (as the API gives them) become the full script's labels."""
    from cookbook_utils.voices import ResemblyzerEmbedder

    result = match_chunks(
        [ROOT / part["audio"] for part in PARTS], [part["words"] for part in PARTS], embedder=ResemblyzerEmbedder()
    )
    assert result.embedder == "resemblyzer"
    assert result.match.relabel == [part["part_of"]["speakers"] for part in PARTS]
    assert result.match.new_speakers == [["A", "B", "C"], [], ["D"]]
    full = json.loads((ROOT / "data" / "scripts" / "bakery-planning.timing.json").read_text())
    assert [(w["text"], w["start"], w["speaker"]) for w in result.words] == [
        (w["text"], w["start"], w["speaker"]) for w in full["words"]
    ]
    for monologues, part in zip(result.monologues, PARTS, strict=True):
        assert set(monologues) == set(part["speakers"])
