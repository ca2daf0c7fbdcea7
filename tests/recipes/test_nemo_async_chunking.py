"""The lesson code of nemo-async-chunking: ``longest_monologues`` and ``match_speakers`` on hand-made
cases whose answers are known (one speaker per chunk, a speaker who appears late, one who skips a
chunk, the threshold, the one-to-one pairing), the whole chain on the shipped three-part call, and
``titanet_embedder`` against a stand-in for NeMo."""

import importlib.util
import json
import sys
import types
from pathlib import Path

import assemblyai as aai
import numpy as np
import pytest

from cookbook_utils.audio import clip, load_audio
from cookbook_utils.voices import ResemblyzerEmbedder, load_embedder
from tests.recipes.whole_recipe_alone import audio_literal, not_audio, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

ROOT = Path(__file__).resolve().parents[2]
PARTS = [
    json.loads((ROOT / "data" / "scripts" / f"bakery-planning-part{n}.timing.json").read_text()) for n in (1, 2, 3)
]


@pytest.fixture(scope="module")
def lesson():
    return load_definitions(
        "nemo-async-chunking",
        ["longest_monologues", "match_speakers", "titanet_embedder", "fingerprints"],
        ("MIN_MONOLOGUE_MS",),
    )


def _word(speaker, start, end, text="w"):
    """A word as the SDK gives it."""
    return aai.types.Word(text=text, start=start, end=end, confidence=0.9, speaker=speaker)


def _voice(index, noise=0.0, seed=0):
    """A unit vector per "voice" (orthogonal ones), plus a little noise."""
    vector = np.zeros(16)
    vector[index] = 1.0
    return vector + np.random.default_rng(seed).normal(0, noise, 16)


# --- Step 3: each speaker's longest monologue -------------------------------------------------------


def test_longest_monologue_per_speaker(lesson):
    words = [
        _word("A", 0, 500),
        _word("A", 600, 1000),  # A: 0-1000
        _word("B", 1100, 1500),  # B: 1100-1500
        _word("A", 1600, 4000),  # A: 1600-4000, the longer run
        _word(None, 4100, 4200),  # no speaker: skipped, and does not break a run
        _word("B", 4300, 4400),
        _word("B", 4500, 6000),  # B: 4300-6000
    ]
    found = lesson["longest_monologues"](words)
    assert list(found) == ["A", "B"]
    assert found == {"A": {"start": 1600, "end": 4000, "words": 1}, "B": {"start": 4300, "end": 6000, "words": 2}}
    assert lesson["longest_monologues"]([]) == {}


def test_a_word_without_a_speaker_does_not_break_a_run(lesson):
    words = [_word("A", 0, 1000), _word(None, 1100, 1200), _word("A", 1300, 2000), _word("B", 2100, 3000)]
    assert lesson["longest_monologues"](words)["A"] == {"start": 0, "end": 2000, "words": 2}


def test_on_a_tie_the_earlier_run_stays(lesson):
    words = [_word("A", 0, 1000), _word("B", 1000, 1500), _word("A", 2000, 3000)]
    assert lesson["longest_monologues"](words)["A"] == {"start": 0, "end": 1000, "words": 1}


# --- Step 5: matching the voices across chunks ------------------------------------------------------


def test_first_chunk_sets_the_labels_and_later_chunks_follow(lesson):
    chunks = [
        {"A": _voice(0), "B": _voice(1)},
        {"A": _voice(1, 0.05, 1), "B": _voice(0, 0.05, 2)},  # the same two, in the other order
    ]
    assert lesson["match_speakers"](chunks, threshold=0.8) == [{"A": "A", "B": "B"}, {"A": "B", "B": "A"}]


def test_a_new_speaker_in_a_later_chunk_gets_a_new_label(lesson):
    chunks = [
        {"A": _voice(0), "B": _voice(1)},
        {"A": _voice(1, 0.05, 3)},  # a chunk with one speaker
        {"A": _voice(2), "B": _voice(0, 0.05, 4), "C": _voice(1, 0.05, 5)},  # C skipped chunk 2
    ]
    relabel = lesson["match_speakers"](chunks, threshold=0.8)
    assert relabel == [{"A": "A", "B": "B"}, {"A": "B"}, {"A": "C", "B": "A", "C": "B"}]


def test_a_chunk_with_one_speaker_first(lesson):
    relabel = lesson["match_speakers"]([{"A": _voice(3)}, {"A": _voice(4), "B": _voice(3, 0.05)}], threshold=0.8)
    assert relabel == [{"A": "A"}, {"A": "B", "B": "A"}]


def test_threshold_decides_between_same_and_new(lesson):
    similar = _voice(0) + 0.6 * _voice(1)  # cosine similarity 0.857 with voice 0
    chunks = [{"A": _voice(0)}, {"A": similar}]
    assert lesson["match_speakers"](chunks, threshold=0.8)[1] == {"A": "A"}
    assert lesson["match_speakers"](chunks, threshold=0.9)[1] == {"A": "B"}
    # Exactly at the threshold counts as a match.
    cosine = float(similar @ _voice(0) / np.linalg.norm(similar))
    assert lesson["match_speakers"](chunks, threshold=cosine)[1] == {"A": "A"}


def test_two_speakers_of_one_chunk_never_share_a_label(lesson):
    # Both resemble A more than anyone else, but they are two people: one is A, the other is new.
    chunks = [{"A": _voice(0), "B": _voice(1)}, {"A": _voice(0) + 0.1 * _voice(2), "B": _voice(0) + 0.5 * _voice(3)}]
    assert lesson["match_speakers"](chunks, threshold=0.7)[1] == {"A": "A", "B": "C"}


def test_matches_refine_the_known_voice(lesson):
    # Chunk 2's A drifts from chunk 1's; the known voice becomes their mean, so chunk 3, which
    # drifts further, still matches. Straight after chunk 1 it would not.
    a1, a2, a3 = _voice(0), _voice(0) + 0.7 * _voice(1), _voice(0) + 1.2 * _voice(1)
    assert lesson["match_speakers"]([{"A": a1}, {"A": a2}, {"A": a3}], threshold=0.8) == [{"A": "A"}] * 3
    assert lesson["match_speakers"]([{"A": a1}, {"A": a3}], threshold=0.8)[1] == {"A": "B"}


def test_the_shipped_call_is_relabelled_like_its_script(lesson):
    """The three parts' own labels (as the API gives them) become the full script's labels, with
    the packaged model and its threshold, as in the notebook's replay."""
    embedder = ResemblyzerEmbedder()
    fingerprints = []
    for part in PARTS:
        samples = load_audio(ROOT / part["audio"])
        found = lesson["longest_monologues"]([_word(w["speaker"], w["start"], w["end"]) for w in part["words"]])
        assert list(found) == list(dict.fromkeys(w["speaker"] for w in part["words"]))
        fingerprints.append({s: embedder.embed(clip(samples, m["start"], m["end"])) for s, m in found.items()})
    relabel = lesson["match_speakers"](fingerprints, threshold=embedder.same_speaker_threshold)
    assert relabel == [part["part_of"]["speakers"] for part in PARTS]
    # The notebook's two extremes: nobody recognised at 0.99; at 0, still four people.
    assert len({v for m in lesson["match_speakers"](fingerprints, threshold=0.99) for v in m.values()}) == 9
    assert len({v for m in lesson["match_speakers"](fingerprints, threshold=0.0) for v in m.values()}) == 4


# --- Step 4: TitaNet, with a NeMo of our own --------------------------------------------------------


class _FakeTitaNet:
    """Answers like NeMo's EncDecSpeakerLabelModel: ``forward`` gives (logits, embeddings)."""

    loaded: dict = {}

    def __init__(self):
        self.calls, self.evaluating = [], False

    @classmethod
    def from_pretrained(cls, name, **kwargs):
        cls.loaded = {"name": name, **kwargs}
        cls.last = cls()
        return cls.last

    def eval(self):
        self.evaluating = True

    def forward(self, input_signal, input_signal_length):
        import torch

        self.calls.append((tuple(input_signal.shape), input_signal_length.tolist()))
        vector = torch.stack([input_signal.abs().mean(dim=1) * 3, input_signal_length.float() / 4000], dim=1)
        return None, vector


@pytest.fixture
def nemo(monkeypatch):
    names = ["nemo", "nemo.collections", "nemo.collections.asr", "nemo.collections.asr.models"]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules["nemo.collections.asr.models"].EncDecSpeakerLabelModel = _FakeTitaNet
    return _FakeTitaNet


def test_titanet_embeds_a_clip_as_one_unit_vector(lesson, nemo):
    embed = lesson["titanet_embedder"]()
    assert nemo.loaded == {"name": "nvidia/speakerverification_en_titanet_large", "map_location": "cpu"}
    assert nemo.last.evaluating
    vector = embed(np.full(8000, 0.5, dtype=np.float32))
    assert nemo.last.calls == [((1, 8000), [8000])]
    assert vector == pytest.approx([0.6, 0.8])  # (1.5, 2) scaled to length 1


def test_the_notebooks_titanet_is_used_when_nemo_loads(lesson, nemo):
    choice = load_embedder(lesson["titanet_embedder"], name="titanet", same_speaker_threshold=0.7)
    assert (choice.name, choice.same_speaker_threshold) == ("titanet", 0.7)
    assert choice.embed(np.ones(16_000, dtype=np.float32)) == pytest.approx([0.6, 0.8])  # (3, 4) scaled


@pytest.mark.skipif(importlib.util.find_spec("nemo") is not None, reason="NeMo is installed here")
def test_without_nemo_the_packaged_model_runs(lesson):
    choice = load_embedder(lesson["titanet_embedder"], name="titanet", same_speaker_threshold=0.7)
    assert (choice.name, choice.same_speaker_threshold) == ("resemblyzer", 0.85)
    assert choice.reason.startswith("nemo is not installed")


# --- the whole recipe, run alone ------------------------------------------------------------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_stops_at_a_failed_chunk_with_its_number(tmp_path):
    """A chunk that is not audio fails to transcribe: the script stops, naming the chunk and the
    reason, as Step 2 does, before any fingerprint is taken."""
    broken = replaced(audio_literal("bakery-planning-part2.mp3"), not_audio(tmp_path))
    run = run_alone("nemo-async-chunking", broken)
    assert run.returncode == 1
    assert "RuntimeError: Chunk 2 failed: " in run.stderr
    assert "Speaker embeddings" not in run.stdout


# --- Step 4/8: too little speech to fingerprint -----------------------------------------------------


def test_a_speaker_with_too_little_speech_gets_no_fingerprint(lesson):
    """Under MIN_MONOLOGUE_MS a fingerprint is not to be trusted: that speaker is left out, and named."""
    shortest = lesson["MIN_MONOLOGUE_MS"]
    found = {"A": {"start": 0, "end": 10_000, "words": 28}, "B": {"start": 10_900, "end": 10_900 + shortest - 1}}
    embedded = []
    prints, too_short = lesson["fingerprints"](
        np.zeros(16_000 * 12, np.float32), found, lambda clip: embedded.append(len(clip)) or np.ones(4)
    )
    assert list(prints) == ["A"] and too_short == ["B"]
    assert embedded == [16_000 * 10]  # only A's ten seconds were embedded
    found["B"]["end"] += 1  # exactly the minimum is enough
    assert list(lesson["fingerprints"](np.zeros(16_000 * 13, np.float32), found, lambda clip: np.ones(4))[0]) == [
        "A",
        "B",
    ]


def test_a_chunk_where_nobody_said_enough_is_left_unmatched(lesson):
    relabel = lesson["match_speakers"]([{"A": _voice(0)}, {}, {"A": _voice(0)}], threshold=0.5)
    assert relabel == [{"A": "A"}, {}, {"A": "A"}]


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_marks_speakers_with_too_little_speech():
    """With a minimum no monologue reaches, nobody is fingerprinted: every word is "?", no letter is invented."""
    run = run_alone("nemo-async-chunking", replaced("MIN_MONOLOGUE_MS = 2000", "MIN_MONOLOGUE_MS = 60_000"))
    assert run.returncode == 0, run.stderr
    assert "speakers ['?']" in run.stdout
