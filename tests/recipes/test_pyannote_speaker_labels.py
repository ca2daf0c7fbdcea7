"""The lesson code of pyannote-speaker-labels: the overlap rule ``speaker_for`` on hand-made cases
whose answers are worked out by hand and on the shipped meeting's script, and
``load_pyannote`` and ``diarize_with_pyannote`` against a stand-in for pyannote's pipeline (loaded,
refused by the hub, not installed)."""

import importlib.machinery
import json
import random
import sys
import types
from pathlib import Path

import pytest

from cookbook_utils.alignment import Segment
from cookbook_utils.audio import load_audio
from tests.recipes.whole_recipe_alone import audio_literal, not_audio, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "data" / "audio" / "clip-fr.mp3"


@pytest.fixture(scope="module")
def lesson():
    return load_definitions(
        "pyannote-speaker-labels", ["speaker_for", "load_pyannote", "diarize_with_pyannote"], whole_recipe=False
    )


def _labels(lesson, spans, segments, max_gap_ms=None):
    return [lesson["speaker_for"](start, end, segments, max_gap_ms=max_gap_ms) for start, end in spans]


# --- the overlap rule -------------------------------------------------------------------------------


def test_the_notebooks_toy_words(lesson):
    """The three made-up words of the notebook's table, with the answers it shows."""
    segments = [Segment(0, 1000, "A"), Segment(1000, 3000, "B"), Segment(5000, 6000, "C")]
    words = [(900, 1300), (800, 1200), (3200, 3400)]
    assert _labels(lesson, words, segments) == ["B", "A", "B"]
    assert _labels(lesson, words, segments, max_gap_ms=100) == ["B", "A", None]


def test_largest_overlap_wins(lesson):
    segments = [Segment(0, 1000, "A"), Segment(1000, 3000, "B")]
    # 900-1300 overlaps A by 100 and B by 300; 200-900 lies inside A; 2500-2900 inside B.
    assert _labels(lesson, [(900, 1300), (200, 900), (2500, 2900)], segments) == ["B", "A", "B"]


def test_ties_go_to_the_segment_that_starts_first(lesson):
    # 800-1200 overlaps both by 200 ms: A starts first, wherever it is in the list.
    assert lesson["speaker_for"](800, 1200, [Segment(1000, 2000, "B"), Segment(0, 1000, "A")]) == "A"
    # Two segments that start together and overlap the word equally: the one listed first.
    assert lesson["speaker_for"](0, 500, [Segment(0, 1000, "X"), Segment(0, 800, "Y")]) == "X"
    assert lesson["speaker_for"](0, 500, [Segment(0, 800, "Y"), Segment(0, 1000, "X")]) == "Y"


def test_a_word_in_a_gap_takes_the_nearest_segment(lesson):
    segments = [Segment(0, 1000, "A"), Segment(5000, 6000, "B")]
    # 200 ms after A; 200 ms before B; past the end, nearest B; 1900 ms from both: the earlier, A.
    spans = [(1200, 1400), (4500, 4800), (9000, 9100), (2900, 3100)]
    assert _labels(lesson, spans, segments) == ["A", "B", "B", "A"]


def test_max_gap_leaves_far_words_without_a_speaker(lesson):
    segments = [Segment(0, 1000, "A")]
    spans = [(1100, 1200), (3000, 3100), (500, 600)]  # 100 ms away, 2000 ms away, inside
    assert _labels(lesson, spans, segments, max_gap_ms=500) == ["A", None, "A"]
    assert _labels(lesson, spans, segments) == ["A", "A", "A"]  # without it, the nearest
    assert lesson["speaker_for"](1000, 1000, segments, max_gap_ms=0) == "A"  # touching: distance 0


def test_zero_length_words_and_segments(lesson):
    segments = [Segment(0, 1000, "A"), Segment(1000, 2000, "B"), Segment(2500, 3000, "C")]
    # Inside B; on the A/B boundary (distance 0 from both: the earlier); in the B/C gap, nearer C.
    assert _labels(lesson, [(1500, 1500), (1000, 1000), (2400, 2400)], segments) == ["B", "A", "C"]
    # A zero-length segment overlaps nothing, but can be the nearest.
    point = [Segment(500, 500, "Z"), Segment(0, 400, "A")]
    assert _labels(lesson, [(450, 550), (100, 550)], point) == ["Z", "A"]


def test_no_segments_no_speaker(lesson):
    assert lesson["speaker_for"](0, 100, []) is None
    assert lesson["speaker_for"](0, 100, [], max_gap_ms=1000) is None


def test_the_order_of_the_segments_does_not_matter(lesson):
    rng = random.Random(7)
    segments, t = [], 0
    for _ in range(40):  # turns with gaps, touching and overlapping, on a coarse grid: ties are common
        start = max(0, t + rng.choice([-300, 0, 0, 200, 900]))
        t = start + rng.choice([200, 500, 1000, 2500])
        segments.append(Segment(start, t, rng.choice("ABCD")))
    spans = [(a, a + rng.choice([0, 100, 400, 1200])) for a in (rng.randrange(-500, t + 500, 50) for _ in range(400))]
    for gap in (None, 100):
        expected = _labels(lesson, spans, segments, max_gap_ms=gap)
        for _ in range(3):
            shuffled = rng.sample(segments, len(segments))
            assert _labels(lesson, spans, shuffled, max_gap_ms=gap) == expected


def test_the_scripts_turns_label_its_words_as_the_script_does(lesson):
    """On the shipped meeting, with turns cut short at both ends as a diarizer might cut them, the
    words left outside every turn still go to the nearest one: the script's speaker."""
    script = json.loads((ROOT / "data" / "scripts" / "team-meeting.timing.json").read_text())
    words = script["words"]
    truth = [w["speaker"] for w in words]
    turns = [Segment(t["start"], t["end"], t["speaker"]) for t in script["turns"]]
    assert _labels(lesson, [(w["start"], w["end"]) for w in words], turns) == truth
    trimmed = [Segment(s.start_ms + 150, max(s.start_ms + 150, s.end_ms - 150), s.speaker) for s in turns]
    assert _labels(lesson, [(w["start"], w["end"]) for w in words], trimmed) == truth
    strict = _labels(lesson, [(w["start"], w["end"]) for w in words], trimmed, max_gap_ms=0)
    assert None in strict and all(s in (None, t) for s, t in zip(strict, truth, strict=True))


# --- diarize_with_pyannote, with a pipeline of our own ----------------------------------------------


class _Turn:
    def __init__(self, start, end):
        self.start, self.end = start, end


class _Annotation:
    def __init__(self, tracks):
        self.tracks = tracks

    def itertracks(self, yield_label=False):
        for start, end, label in self.tracks:
            yield _Turn(start, end), "track", label


class _Pipeline:
    """Answers like pyannote.audio 4's pipeline: an object with an overlapping and an exclusive view."""

    loaded: dict = {}

    def __init__(self):
        self.calls = []

    refused = False  # as pyannote.audio 4 does when the hub refuses a gated download: None

    @classmethod
    def from_pretrained(cls, name, **kwargs):
        cls.loaded = {"name": name, **kwargs}
        cls.last = None if cls.refused else cls()
        return cls.last

    def __call__(self, audio, **counts):
        self.calls.append((audio, counts))
        overlapping = _Annotation([(0.0, 2.0, "SPEAKER_01"), (1.5, 3.0, "SPEAKER_00"), (3.5, 4.0, "SPEAKER_01")])
        exclusive = _Annotation([(0.0, 1.5, "SPEAKER_01"), (1.5, 3.0, "SPEAKER_00"), (3.5, 4.0, "SPEAKER_01")])
        return types.SimpleNamespace(speaker_diarization=overlapping, exclusive_speaker_diarization=exclusive)


@pytest.fixture
def pyannote(monkeypatch):
    module, package = types.ModuleType("pyannote.audio"), types.ModuleType("pyannote")
    module.Pipeline = _Pipeline
    for name, stand_in in (("pyannote", package), ("pyannote.audio", module)):
        stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None)  # "installed", for find_spec
        monkeypatch.setitem(sys.modules, name, stand_in)
    monkeypatch.setattr(_Pipeline, "refused", False)
    return _Pipeline


def test_pyannote_is_loaded_with_the_token_and_given_the_decoded_audio(lesson, pyannote):
    pipeline = lesson["load_pyannote"]("made-up-" + "token")
    segments = lesson["diarize_with_pyannote"](pipeline, CLIP, num_speakers=2)
    assert pyannote.loaded == {"name": "pyannote/speaker-diarization-community-1", "token": "made-up-token"}
    # The exclusive view, one speaker at a time, in milliseconds, with pyannote's own labels.
    assert segments == [
        Segment(0, 1500, "SPEAKER_01"),
        Segment(1500, 3000, "SPEAKER_00"),
        Segment(3500, 4000, "SPEAKER_01"),
    ]
    ((audio, counts),) = pyannote.last.calls
    assert counts == {"num_speakers": 2}
    assert audio["sample_rate"] == 16_000 and tuple(audio["waveform"].shape) == (1, len(load_audio(CLIP)))


def test_pyannote_estimates_the_count_when_not_given(lesson, pyannote):
    lesson["diarize_with_pyannote"](lesson["load_pyannote"]("made-up-" + "token"), CLIP)
    assert pyannote.last.calls[0][1] == {}


def test_a_gated_pipeline_the_hub_refuses_is_a_clear_error_not_none(lesson, pyannote):
    """pyannote.audio 4 returns None when the hub refuses the download (conditions not accepted)."""
    pyannote.refused = True
    with pytest.raises(RuntimeError, match="Hugging Face refused pyannote/speaker-diarization-community-1: accept"):
        lesson["load_pyannote"]("made-up-" + "token")


def test_no_token_is_a_clear_error(lesson, pyannote):
    with pytest.raises(RuntimeError, match="no Hugging Face token: set HF_TOKEN"):
        lesson["load_pyannote"](None)


def test_pyannote_not_installed_is_a_clear_error(lesson, monkeypatch):
    for name in ("pyannote", "pyannote.audio"):
        monkeypatch.setitem(sys.modules, name, None)  # find_spec answers None, as when not installed
    with pytest.raises(RuntimeError, match=r"pyannote.audio is not installed \(pip install"):
        lesson["load_pyannote"]("made-up-" + "token")


# --- the whole recipe, run alone ------------------------------------------------------------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_stops_at_a_failed_transcript_before_diarizing(tmp_path):
    """A file that is not audio fails to transcribe: the script stops with the reason, as Step 1
    does, and never starts the diarizer."""
    run = run_alone("pyannote-speaker-labels", replaced(audio_literal("team-meeting.mp3"), not_audio(tmp_path)))
    assert run.returncode == 1
    assert "RuntimeError: Transcription failed: " in run.stderr
    assert "Diarizer" not in run.stdout


def test_the_whole_recipes_overlap_rule_labels_as_the_steps_rule_does(lesson):
    """The whole recipe's copy of the rule, on tuples, agrees with Step 3's on the script's words."""
    copy = load_definitions("pyannote-speaker-labels", ["overlap_speaker"])["overlap_speaker"]
    script = json.loads((ROOT / "data" / "scripts" / "team-meeting.timing.json").read_text())
    segments = [Segment(t["start"], t["end"] - 700, t["speaker"]) for t in script["turns"]]  # gaps
    spans = [(w["start"], w["end"]) for w in script["words"]] + [(900, 1300), (0, 0), (10**7, 10**7 + 1)]
    tuples = [(s.start_ms, s.end_ms, s.speaker) for s in segments]
    assert [copy(a, b, tuples) for a, b in spans] == _labels(lesson, spans, segments)
