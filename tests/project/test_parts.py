"""Conversations recorded in parts: each part's timing file agrees with the whole conversation's,
and the emulator transcribes a part as a file of its own (its own times, its own speaker letters)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "data" / "scripts"
CHUNKED = [p for p in sorted(SCRIPTS.glob("*.yaml")) if load_yaml(p.read_text()).get("chunks")]


def _parts(name):
    return [json.loads(p.read_text()) for p in sorted(SCRIPTS.glob(f"{name}-part*.timing.json"))]


def test_a_chunked_conversation_ships():
    assert CHUNKED, "no script with chunks"


@pytest.mark.parametrize("script", CHUNKED, ids=lambda p: p.stem)
def test_parts_agree_with_the_whole(script):
    source = load_yaml(script.read_text())
    whole = json.loads(script.with_suffix(".timing.json").read_text())
    parts = _parts(whole["name"])
    assert len(parts) == len(source["chunks"]) + 1 >= 3
    offset = 0
    rebuilt = []
    for number, part in enumerate(parts, start=1):
        meta = part["part_of"]
        assert (meta["name"], meta["part"], meta["parts"], meta["offset_ms"]) == (
            whole["name"],
            number,
            len(parts),
            offset,
        )
        mp3 = ROOT / part["audio"]
        assert hashlib.sha256(mp3.read_bytes()).hexdigest() == part["sha256"]
        # The API's letters: A, B... in order of first turn within the part.
        letters = list(dict.fromkeys(t["speaker"] for t in part["turns"]))
        assert letters == [chr(ord("A") + i) for i in range(len(letters))] == list(meta["speakers"])
        assert all(0 <= w["start"] < w["end"] <= part["duration_ms"] for w in part["words"])
        rebuilt += [
            {**w, "start": w["start"] + offset, "end": w["end"] + offset, "speaker": meta["speakers"][w["speaker"]]}
            for w in part["words"]
        ]
        offset += part["duration_ms"]
    assert offset == whole["duration_ms"]
    assert [(w["text"], w["start"], w["end"], w["speaker"]) for w in rebuilt] == [
        (w["text"], w["start"], w["end"], w["speaker"]) for w in whole["words"]
    ]


def test_bad_chunks_are_refused(tmp_path):
    from tools.synth import SynthError, write_parts

    timing = {"name": "x", "turns": [{"start": 0, "end": 10, "speaker": "A"}, {"start": 20, "end": 30, "speaker": "B"}]}
    for chunks in ([0], [2], [1, 1]):
        with pytest.raises(SynthError, match="increasing turn numbers"):
            write_parts(timing, chunks, np.zeros(10, dtype=np.int16), 16_000, tmp_path, tmp_path)


def test_the_emulator_transcribes_a_part_on_its_own(tmp_path):
    import assemblyai as aai

    from tools import spec

    if not spec.spec_available():
        pytest.skip("../shared/reference/ (the official specs) is absent")
    from tools.emulator import Emulator

    key = "emulator-test-key-" + "parts"
    part = _parts(CHUNKED[0].stem)[1]
    with Emulator(api_key=key) as emulator:
        settings = {"api_key": key, "base_url": emulator.base_url, "polling_interval": 0.01}
        saved = {name: getattr(aai.settings, name) for name in settings}
        try:
            for name, value in settings.items():
                setattr(aai.settings, name, value)
            config = aai.TranscriptionConfig(speech_models=["universal-3-5-pro"], speaker_labels=True)
            transcript = aai.Transcriber(config=config).transcribe(str(ROOT / part["audio"]))
        finally:
            for name, value in saved.items():
                setattr(aai.settings, name, value)
        assert emulator.violations == []
    assert transcript.status == aai.TranscriptStatus.completed, transcript.error
    assert [u.start for u in transcript.utterances] == [t["start"] for t in part["turns"]]
    assert transcript.words[-1].end == part["words"][-1]["end"]
    assert [u.speaker for u in transcript.utterances] == [t["speaker"] for t in part["turns"]]
    assert transcript.utterances[0].speaker == "A"
