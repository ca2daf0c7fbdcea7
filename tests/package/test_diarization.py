"""The diarizer: backend choice, and the local backend on the shipped conversations, scored
against their scripts. (The pyannote call is the pyannote-speaker-labels notebook's own:
tests/recipes/test_pyannote_speaker_labels.py.)"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from cookbook_utils import diarization
from cookbook_utils.alignment import Segment, assign_speakers
from cookbook_utils.audio import load_audio
from cookbook_utils.diarization import (
    cluster_speakers,
    diarize_local,
    merge_adjacent,
    relabel_in_order,
    speaker_accuracy,
    speaker_letters,
)
from cookbook_utils.errors import CookbookError

ROOT = Path(__file__).resolve().parents[2]


def _timing(name):
    return json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())


def _accuracy(name, segments):
    words = _timing(name)["words"]
    predicted = assign_speakers([w["start"] for w in words], [w["end"] for w in words], segments)
    return speaker_accuracy([w["speaker"] for w in words], predicted)[0]


# --- choosing a backend ------------------------------------------------------------------------


@pytest.fixture
def no_token(monkeypatch):
    for name in diarization.HF_TOKEN_VARS:
        monkeypatch.delenv(name, raising=False)


def _pretend_pyannote_installed(monkeypatch, installed):
    real = importlib.util.find_spec

    def find_spec(name, *args):
        if name.startswith("pyannote"):
            return object() if installed else None
        return real(name, *args)

    monkeypatch.setattr(diarization.importlib.util, "find_spec", find_spec)


def test_local_without_pyannote(monkeypatch, no_token):
    _pretend_pyannote_installed(monkeypatch, False)
    monkeypatch.setenv("HF_TOKEN", "made-up-" + "token")
    choice = diarization.choose_backend()
    assert choice.name == "local" and "not installed" in choice.reason
    with pytest.raises(CookbookError, match="pip install"):
        diarization.choose_backend("pyannote")


def test_local_without_a_token(monkeypatch, no_token):
    _pretend_pyannote_installed(monkeypatch, True)
    choice = diarization.choose_backend()
    assert choice.name == "local" and "HF_TOKEN" in choice.reason


def test_pyannote_when_installed_and_authorised(monkeypatch, no_token):
    _pretend_pyannote_installed(monkeypatch, True)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "made-up-" + "token")
    assert diarization.choose_backend().name == "pyannote"
    assert diarization.choose_backend("local").name == "local"
    with pytest.raises(ValueError, match="unknown diarization backend"):
        diarization.choose_backend("whisperx")


def test_bad_counts_are_refused():
    samples = np.zeros(16_000, dtype=np.float32)
    with pytest.raises(ValueError, match="num_speakers"):
        diarize_local(samples, num_speakers=0)
    with pytest.raises(ValueError, match="min_speakers"):
        diarize_local(samples, min_speakers=3, max_speakers=2)


# --- helpers -----------------------------------------------------------------------------------


def test_speaker_letters():
    assert speaker_letters(3) == ["A", "B", "C"]
    assert speaker_letters(28)[25:] == ["Z", "AA", "AB"]


def test_relabel_in_order_and_merge():
    raw = [Segment(500, 900, "x"), Segment(0, 400, "y"), Segment(900, 1000, "x"), Segment(1200, 1300, "z")]
    assert relabel_in_order(raw) == [
        Segment(0, 400, "A"),
        Segment(500, 900, "B"),
        Segment(900, 1000, "B"),
        Segment(1200, 1300, "C"),
    ]
    assert merge_adjacent(raw) == [Segment(0, 400, "y"), Segment(500, 1000, "x"), Segment(1200, 1300, "z")]


def test_speaker_accuracy_uses_the_best_mapping():
    reference = ["A", "A", "B", "B", "C"]
    assert speaker_accuracy(reference, ["2", "2", "1", "1", "0"]) == (1.0, {"2": "A", "1": "B", "0": "C"})
    accuracy, mapping = speaker_accuracy(reference, ["x", "x", "x", "y", "y"])
    assert accuracy == pytest.approx(3 / 5) and mapping == {"x": "A", "y": "B"}
    assert speaker_accuracy([], []) == (1.0, {})
    with pytest.raises(ValueError):
        speaker_accuracy(["A"], [])


def _blobs(rng, centres, per_centre, spread=0.05):
    rows = [rng.normal(c, spread, (per_centre, len(c))) for c in centres]
    return np.concatenate(rows), np.repeat(np.arange(len(centres)), per_centre)


def test_clustering_finds_the_number_of_speakers():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3]  # three orthogonal "voices"
    vectors, truth = _blobs(rng, centres, 30)
    labels = cluster_speakers(vectors)
    assert len(set(labels)) == 3
    assert speaker_accuracy(truth.tolist(), labels.tolist())[0] == 1.0
    assert len(set(cluster_speakers(vectors, 2))) == 2  # a given count wins
    assert len(set(cluster_speakers(vectors, max_speakers=2))) == 2
    assert len(set(cluster_speakers(vectors[:30]))) == 1  # one voice
    assert len(set(cluster_speakers(vectors[:30], min_speakers=2))) == 2
    assert cluster_speakers(np.zeros((0, 8))).shape == (0,)
    assert cluster_speakers(vectors[:1]).tolist() == [0]


# --- the local backend on real audio -----------------------------------------------------------


def test_window_spans():
    regions = [(0, 1000), (2000, 5000), (9500, 10_000)]
    windows = diarization.window_spans(regions, duration_ms=10_200, window_ms=1600, hop_ms=800)
    by_region = [[w for w in windows if w[0] == index] for index in range(3)]
    # A short region: one window centred on it, pushed inside the audio at the start and the end.
    assert by_region[0] == [(0, 0.0, 1600.0, 500.0)]
    assert by_region[2] == [(2, 8600.0, 10_200.0, 9750.0)]
    # A long one: windows inside it, the first at its start and the last at its end, <= 800 ms apart.
    starts = [w[1] for w in by_region[1]]
    assert starts[0] == 2000 and by_region[1][-1][2] == 5000 and len(starts) == 3
    assert all(0 < b - a <= 800 for a, b in zip(starts, starts[1:], strict=False))
    assert all(w[2] - w[1] == 1600 for w in windows)
    assert diarization.window_spans([], 1000, 1600) == []


def test_voiced_regions_cover_the_words_and_find_the_pauses():
    timing = _timing("support-call")
    regions = diarization.voiced_regions(load_audio(ROOT / timing["audio"]))
    starts, ends = np.array(regions).T
    mids = np.array([(w["start"] + w["end"]) / 2 for w in timing["words"]])
    inside = ((mids[:, None] >= starts - 100) & (mids[:, None] <= ends + 100)).any(axis=1)
    assert inside.mean() > 0.98
    voiced = (ends - starts).sum() / timing["duration_ms"]
    assert 0.5 < voiced < 0.95
    assert len(regions) >= len(timing["turns"])  # every change of speaker has a pause here


def test_team_meeting_without_the_number_of_speakers():
    segments = diarize_local(load_audio(ROOT / "data" / "audio" / "team-meeting.mp3"))
    assert {s.speaker for s in segments} == {"A", "B", "C", "D"}
    assert segments[0].speaker == "A" and segments == sorted(segments, key=lambda s: s.start_ms)
    assert _accuracy("team-meeting", segments) >= 0.9


def test_two_speakers_with_the_number_given():
    samples = load_audio(ROOT / "data" / "audio" / "clip-de.mp3")
    segments = diarize_local(samples, num_speakers=2)
    assert {s.speaker for s in segments} == {"A", "B"}
    assert _accuracy("clip-de", segments) >= 0.9


def test_a_single_speaker_is_found_alone():
    segments = diarize_local(load_audio(ROOT / "data" / "audio" / "clip-es.mp3"))
    assert segments and {s.speaker for s in segments} == {"A"}


def test_silence_gives_no_segments():
    assert diarize_local(np.zeros(16_000 * 2, dtype=np.float32)) == []
