"""Speakers for words by largest overlap: the vectorised tool's rules (ties, gaps, zero-length
words, empty inputs), and its labels against the per-word rule written out in the
pyannote-speaker-labels notebook (``speaker_for``) on random data."""

import numpy as np
import pytest

from cookbook_utils import alignment
from cookbook_utils.alignment import Segment, assign_speakers, group_turns, label_words
from tools.notebook_code import load_definitions


def _spans(words):
    return [w[0] for w in words], [w[1] for w in words]


def test_largest_overlap_wins():
    segments = [Segment(0, 1000, "A"), Segment(1000, 3000, "B")]
    # 900-1300 overlaps A by 100 and B by 300; 200-900 lies inside A.
    assert assign_speakers(*_spans([(900, 1300), (200, 900), (2500, 2900)]), segments) == ["B", "A", "B"]


def test_ties_go_to_the_earliest_segment():
    # 800-1200 overlaps both by 200: the segment that starts first wins, whatever the input order.
    segments = [Segment(1000, 2000, "B"), Segment(0, 1000, "A")]
    assert assign_speakers([800], [1200], segments) == ["A"]
    # Two segments that start together: the one listed first wins.
    assert assign_speakers([0], [500], [Segment(0, 1000, "X"), Segment(0, 800, "Y")]) == ["X"]
    assert assign_speakers([0], [500], [Segment(0, 800, "Y"), Segment(0, 1000, "X")]) == ["Y"]


def test_a_word_outside_every_segment_takes_the_nearest():
    segments = [Segment(0, 1000, "A"), Segment(5000, 6000, "B")]
    # 1200-1400 is 200 ms after A and 3600 ms before B; 4500-4800 is 200 ms before B.
    assert assign_speakers(*_spans([(1200, 1400), (4500, 4800), (9000, 9100)]), segments) == ["A", "B", "B"]
    # Equally far from both: the earlier segment.
    assert assign_speakers([2900], [3100], segments) == ["A"]


def test_max_gap_leaves_far_words_unlabelled():
    segments = [Segment(0, 1000, "A")]
    assert assign_speakers(*_spans([(1100, 1200), (3000, 3100), (500, 600)]), segments, max_gap_ms=500) == [
        "A",
        None,
        "A",
    ]
    assert assign_speakers([1000], [1000], segments, max_gap_ms=0) == ["A"]  # touching counts as distance 0


def test_zero_length_words():
    segments = [Segment(0, 1000, "A"), Segment(1000, 2000, "B"), Segment(2500, 3000, "C")]
    # Inside B; on the A/B boundary (touches both: the earlier wins); in the B/C gap, nearer C.
    assert assign_speakers(*_spans([(1500, 1500), (1000, 1000), (2400, 2400)]), segments) == ["B", "A", "C"]


def test_zero_length_segments_are_only_ever_nearest():
    segments = [Segment(500, 500, "Z"), Segment(0, 400, "A")]
    assert assign_speakers([450], [550], segments) == ["Z"]  # overlaps nothing; Z is at distance 0
    assert assign_speakers([100], [550], segments) == ["A"]


def test_one_speaker():
    segments = [Segment(0, 1000, "A"), Segment(2000, 3000, "A")]
    assert assign_speakers(*_spans([(0, 10), (1400, 1500), (5000, 6000)]), segments) == ["A", "A", "A"]


def test_empty_inputs():
    assert assign_speakers([], [], [Segment(0, 1, "A")]) == []
    assert assign_speakers([], [], []) == []
    assert assign_speakers([0, 10], [5, 20], []) == [None, None]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        assign_speakers([10], [5], [Segment(0, 100, "A")])
    with pytest.raises(ValueError, match="2 start times but 1 end times"):
        assign_speakers([0, 1], [5], [Segment(0, 100, "A")])


def test_segments_must_not_end_before_they_start():
    with pytest.raises(ValueError, match="cannot end before it starts"):
        Segment(10, 5, "A")


def _random_case(rng, words, segments, grid):
    """Random words and (possibly overlapping) segments; on a coarse grid, ties are frequent."""
    length = 60_000
    ws = rng.integers(0, length, words) // grid * grid
    we = ws + rng.integers(0, 2000, words) // grid * grid
    ss = rng.integers(0, length, segments) // grid * grid
    se = ss + rng.integers(0, 6000, segments) // grid * grid
    speakers = rng.choice(list("ABCD"), segments)
    return ws.tolist(), we.tolist(), [Segment(int(a), int(b), str(s)) for a, b, s in zip(ss, se, speakers, strict=True)]


@pytest.fixture(scope="module")
def speaker_for():
    return load_definitions("pyannote-speaker-labels", ["speaker_for"], whole_recipe=False)["speaker_for"]


@pytest.mark.parametrize("seed", range(40))
def test_the_tool_labels_as_the_notebooks_per_word_rule(seed, monkeypatch, speaker_for):
    """Random words and segments, on a grid that makes ties frequent or on float times; every
    fifth case adds a segment spanning everything. The labels must be identical."""
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(alignment, "BLOCK", int(rng.integers(1, 64)))  # exercise block edges
    words, segments = int(rng.integers(0, 300)), int(rng.integers(0, 60))
    grid = [1, 100, 500, None][seed % 4]
    if grid is None:
        ws = rng.uniform(0, 10_000, words)
        we = ws + rng.uniform(0, 500, words)
        ss = rng.uniform(0, 10_000, segments)
        segs = [
            Segment(a, a + d, str(s))
            for a, d, s in zip(ss, rng.uniform(0, 800, segments), rng.choice(list("AB"), segments), strict=True)
        ]
        ws, we = ws.tolist(), we.tolist()
    else:
        ws, we, segs = _random_case(rng, words, segments, grid)
    if seed % 5 == 4:
        segs.append(Segment(0, 70_000, "LONG"))
    gap = [None, 0, 250][seed % 3]
    expected = [speaker_for(a, b, segs, max_gap_ms=gap) for a, b in zip(ws, we, strict=True)]
    assert assign_speakers(ws, we, segs, max_gap_ms=gap) == expected


class _SdkWord:
    """Stands in for the SDK's word objects: attributes, not keys."""

    def __init__(self, text, start, end):
        self.text, self.start, self.end, self.speaker = text, start, end, None


def test_label_words_accepts_dicts_and_objects_and_copies():
    segments = [Segment(0, 1000, "A"), Segment(1000, 2000, "B")]
    words = [{"text": "hi", "start": 100, "end": 400, "speaker": None}, _SdkWord("there", 1200, 1500)]
    labelled = label_words(words, segments)
    assert [(w["text"], w["speaker"]) for w in labelled] == [("hi", "A"), ("there", "B")]
    assert words[0]["speaker"] is None  # the input is left alone


def test_group_turns():
    words = [
        {"text": "a", "start": 0, "end": 1, "speaker": "A"},
        {"text": "b", "start": 2, "end": 3, "speaker": "A"},
        {"text": "c", "start": 4, "end": 5, "speaker": "B"},
        {"text": "d", "start": 6, "end": 7, "speaker": "A"},
    ]
    turns = group_turns(words)
    assert [(t["speaker"], t["text"], t["start"], t["end"]) for t in turns] == [
        ("A", "a b", 0, 3),
        ("B", "c", 4, 5),
        ("A", "d", 6, 7),
    ]
    assert group_turns([]) == []
