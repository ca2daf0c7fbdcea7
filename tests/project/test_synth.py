"""The synthesiser: real word timings from espeak-ng's events, deterministic output, and shipped
audio that still matches its scripts."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "data" / "scripts").glob("*.yaml"))

needs_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="espeak-ng and ffmpeg are not installed"
)

TINY = {
    "title": "tiny",
    "language_code": "en",
    "speakers": {
        "A": {"name": "Ann", "voice": "en-us+f3", "pitch": 70, "speed": 170},
        "B": {"name": "Bob", "voice": "en-gb-x-rp+m3", "pitch": 30, "speed": 160},
    },
    "turns": [
        {"speaker": "A", "text": "Hello, this is Ann. Can you confirm the name on the order?"},
        {"speaker": "B", "text": "Sure, it's Bob, order 4417. Thanks, it is."},
    ],
}


@pytest.fixture
def tiny(tmp_path):
    script = tmp_path / "tiny.yaml"
    script.write_text(yaml.safe_dump(TINY))
    return script


@needs_tools
def test_tiny_script_round_trip(tiny, tmp_path):
    from tools.synth import decoded_duration_ms, synthesise

    timing = synthesise(tiny, audio_dir=tmp_path / "audio", timing_dir=tmp_path)
    mp3 = tmp_path / "audio" / "tiny.mp3"
    assert timing["duration_ms"] == decoded_duration_ms(mp3)
    assert timing["sha256"] == hashlib.sha256(mp3.read_bytes()).hexdigest()
    words = timing["words"]
    assert [w["text"] for w in words] == " ".join(t["text"] for t in TINY["turns"]).split()
    assert [w["speaker"] for w in words] == ["A"] * 12 + ["B"] * 8
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(w["start"] < w["end"] <= timing["duration_ms"] for w in words)
    # The second turn starts after the pause that follows the first.
    assert timing["turns"][1]["start"] - timing["turns"][0]["end"] >= 300
    assert json.loads((tmp_path / "tiny.timing.json").read_text()) == timing


@needs_tools
def test_output_is_deterministic(tiny, tmp_path):
    # libespeak-ng carries state from one utterance to the next, so the guarantee is per run of the
    # tool: the same script, synthesised by two fresh processes, gives the same bytes.
    code = "import sys; from pathlib import Path; from tools.synth import synthesise; "
    code += "synthesise(Path(sys.argv[1]), audio_dir=Path(sys.argv[2]), timing_dir=Path(sys.argv[2]))"
    for name in ("one", "two"):
        subprocess.run([sys.executable, "-c", code, str(tiny), str(tmp_path / name)], check=True, cwd=ROOT)
    assert (tmp_path / "one" / "tiny.mp3").read_bytes() == (tmp_path / "two" / "tiny.mp3").read_bytes()
    one, two = (json.loads((tmp_path / name / "tiny.timing.json").read_text()) for name in ("one", "two"))
    assert {**one, "audio": None} == {**two, "audio": None}


@needs_tools
def test_unknown_voice_is_a_clear_error(tiny, tmp_path):
    from tools.synth import SynthError, synthesise

    bad = dict(TINY, speakers={**TINY["speakers"], "A": {"voice": "xx-nowhere"}})
    tiny.write_text(yaml.safe_dump(bad))
    with pytest.raises(SynthError, match="no voice 'xx-nowhere'"):
        synthesise(tiny, audio_dir=tmp_path, timing_dir=tmp_path)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_shipped_audio_matches_its_script(script):
    timing = json.loads(script.with_suffix(".timing.json").read_text())
    mp3 = ROOT / timing["audio"]
    assert hashlib.sha256(mp3.read_bytes()).hexdigest() == timing["sha256"], "re-run: python -m tools.synth --all"
    source = load_yaml(script.read_text())
    assert [w["text"] for w in timing["words"]] == " ".join(t["text"] for t in source["turns"]).split()
    assert [t["speaker"] for t in timing["turns"]] == [t["speaker"] for t in source["turns"]]
    assert mp3.stat().st_size < 1_000_000


# --- annotations: entities and written forms ------------------------------------------------------

ANNOTATED = dict(
    TINY,
    turns=[
        {
            **TINY["turns"][0],
            "entities": [{"person_name": "Ann"}],
            "written": [{"said": "Ann", "heard": "Anne", "confidence": 0.4}],
        },
        {
            **TINY["turns"][1],
            "entities": [{"person_name": "Bob"}, {"number_sequence": "4417"}],
            "written": [{"said": "order 4417", "as": "order #4417", "confidence": 0.8}],
        },
    ],
)


def test_annotations_become_word_spans():
    from tools.synth import annotate

    words = [
        {"text": token, "turn": number}
        for number, turn in enumerate(ANNOTATED["turns"])
        for token in turn["text"].split()
    ]
    spans = annotate(ANNOTATED, words)
    assert [(e["type"], e["first"], e["last"]) for e in spans["entities"]] == [
        ("person_name", 3, 3),
        ("person_name", 14, 14),
        ("number_sequence", 16, 16),
    ]
    assert spans["written"][0] == {"first": 3, "last": 3, "text": "Anne", "formatting": False, "confidence": 0.4}
    assert spans["written"][1]["formatting"] and (spans["written"][1]["first"], spans["written"][1]["last"]) == (15, 16)


@pytest.mark.parametrize(
    ("turn", "message"),
    [
        ({"entities": [{"nickname": "Ann"}]}, "not an entity type"),
        ({"entities": [{"person_name": "Zed"}]}, "does not say 'Zed'"),
        ({"written": [{"said": "Ann"}]}, "one of `as`"),
        ({"written": [{"said": "Ann", "heard": "An", "confidence": 3}]}, "between 0 and 1"),
        ({"written": [{"said": "this is", "as": "x"}, {"said": "is Ann", "as": "y"}]}, "overlap"),
    ],
)
def test_bad_annotations_are_clear_errors(turn, message):
    from tools.synth import SynthError, annotate

    script = dict(TINY, turns=[{**TINY["turns"][0], **turn}])
    words = [{"text": token, "turn": 0} for token in TINY["turns"][0]["text"].split()]
    with pytest.raises(SynthError, match=message):
        annotate(script, words)


def test_shipped_timing_files_hold_the_scripts_annotations(tmp_path):
    """Rewriting the annotations from the scripts changes nothing: the shipped files are current,
    and the audio is not touched (no synthesis)."""
    from tools.synth import rewrite_annotations

    folder = tmp_path / "scripts"
    shutil.copytree(ROOT / "data" / "scripts", folder)
    before = {p.name: p.read_text() for p in folder.glob("*.timing.json")}
    for script in sorted(folder.glob("*.yaml")):
        rewrite_annotations(script, folder)
    after = {p.name: p.read_text() for p in folder.glob("*.timing.json")}
    assert after == before, "re-run: python -m tools.synth --all --annotations-only"


def test_parts_carry_the_wholes_annotations():
    whole = json.loads((ROOT / "data" / "scripts" / "bakery-planning.timing.json").read_text())
    spoken = [(whole["words"][e["first"]]["text"], e["type"]) for e in whole["entities"]]
    in_parts = []
    for number in (1, 2, 3):
        part = json.loads((ROOT / "data" / "scripts" / f"bakery-planning-part{number}.timing.json").read_text())
        in_parts += [(part["words"][e["first"]]["text"], e["type"]) for e in part["entities"]]
        for span in part["written"]:
            assert span["last"] < len(part["words"])
    assert in_parts == spoken


def test_every_conversation_is_annotated():
    for name in (
        "support-call",
        "team-meeting",
        "podcast-clip",
        "bakery-planning",
        "interview-freelancer",
        "interview-operations-manager",
        "interview-studio-owner",
    ):
        timing = json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())
        assert len(timing["entities"]) >= 4, name
        assert any(not w["formatting"] for w in timing["written"]), f"{name} has no misheard word"
        assert any(w["formatting"] for w in timing["written"]), f"{name} has no formatted number"


def test_entity_types_are_the_specs():
    from tools import spec
    from tools.synth import ENTITY_TYPES

    if not spec.spec_available():
        pytest.skip("../shared/reference/ is absent")
    schemas = spec.load("api")["components"]["schemas"]
    assert ENTITY_TYPES == schemas["EntityType"]["enum"]
    # Every entity type is a redaction policy too; the policies add finer location types (2026).
    assert set(ENTITY_TYPES) <= set(schemas["PiiPolicy"]["enum"])


@needs_tools
def test_two_channel_script_puts_each_speaker_on_a_channel(tiny, tmp_path):
    """``channels`` writes a two-channel file, each speaker alone on theirs; ``overlap_ms`` starts a
    turn before the previous one's sound ends (both talk at once, on their own channels)."""
    import numpy as np

    from tools.synth import SynthError, synthesise

    turns = [TINY["turns"][0], {**TINY["turns"][1], "overlap_ms": 800}]
    tiny.write_text(yaml.safe_dump(dict(TINY, turns=turns, channels={"A": 1, "B": 2})))
    timing = synthesise(tiny, audio_dir=tmp_path / "audio", timing_dir=tmp_path)
    assert timing["channels"] == {"A": 1, "B": 2}
    first, second = timing["turns"]
    assert first["end"] - 900 <= second["start"] < first["end"]
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tmp_path / "audio" / "tiny.mp3"), "-f", "s16le", "-ac", "2", "-"],
        check=True,
        capture_output=True,
    ).stdout
    samples = np.abs(np.frombuffer(raw, dtype=np.int16).reshape(-1, 2).astype(float))
    alone_a, alone_b = samples[: second["start"] * 16], samples[first["end"] * 16 :]
    assert alone_a[:, 0].mean() > 20 * max(alone_a[:, 1].mean(), 1.0)
    assert alone_b[:, 1].mean() > 20 * max(alone_b[:, 0].mean(), 1.0)
    tiny.write_text(yaml.safe_dump(dict(TINY, channels={"A": 1, "B": 1})))
    with pytest.raises(SynthError, match="channel 1 or 2, and uses both"):
        synthesise(tiny, audio_dir=tmp_path, timing_dir=tmp_path)
