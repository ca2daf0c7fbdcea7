"""The streaming emulator as the service answers in December 2026 (platform-2026-12.md section 4):
today's models and default, Begin.configuration, unknown parameters ignored, the new parameters
emulated or refused by name, SpeechStarted, Heartbeat, PENDING and SpeakerRevision."""

from __future__ import annotations

import json

import pytest

from tests.package.recording.test_streams import _raw_session
from tools import asyncapi

pytestmark = pytest.mark.skipif(not asyncapi.available(), reason="the official streaming specs are not available")

KEY = "test-streaming-key-0123456789abcdef"
AUTH = {"Authorization": KEY}


@pytest.fixture(scope="module")
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as emu:
        yield emu


@pytest.fixture(scope="module")
def frames() -> list:
    """Eight seconds of the support call in 100 ms chunks, then Terminate."""
    from cookbook_utils.audio import load_audio
    from tests.package.recording.test_streams import ROOT

    samples = load_audio(ROOT / "data" / "audio" / "support-call.mp3")
    pcm = (samples[: 16_000 * 8] * 32767).astype("<i2").tobytes()
    return [pcm[i : i + 3200] for i in range(0, len(pcm), 3200)] + ['{"type": "Terminate"}']


def _session(emulator, query: str, frames: list) -> tuple[list[dict], int | None]:
    received, code = _raw_session(f"{emulator.streaming_url}/v3/ws?sample_rate=16000{query}", frames, AUTH)
    model = received[0].get("configuration", {}).get("model") if received else None
    for message in received:
        asyncapi.validate_message(message, sender="server", speech_model=model)
    return received, code


def test_the_default_model_is_universal_3_6_pro_and_begin_says_so(emulator, frames):
    received, code = _session(emulator, "", frames)
    begin = received[0]
    assert code == 1000 and begin["type"] == "Begin"
    assert begin["configuration"]["model"] == "universal-3-6-pro"
    assert set(begin["configuration"]) == {
        "model",
        "mode",
        "api_version",
        "speaker_labels",
        "redact_pii",
        "filter_profanity",
        "domain",
        "voice_focus",
    }  # the keys of a real Begin (2026-09-18 capture)
    finals = [m for m in received if m["type"] == "Turn" and m["end_of_turn"]]
    assert finals and all(m["turn_is_formatted"] for m in finals)  # a Pro model: formatted finals


@pytest.mark.parametrize("legacy", ["u3-rt-pro", "u3-pro"])
def test_legacy_u3_ids_run_as_universal_3_5_pro(emulator, legacy):
    received, _ = _session(emulator, f"&speech_model={legacy}", ['{"type": "Terminate"}'])
    assert received[0]["configuration"]["model"] == "universal-3-5-pro"


def test_the_sdk_reads_begin_configuration(emulator, frames):
    from tests.package.recording.test_streams import _sdk_session

    pcm = b"".join(f for f in frames if isinstance(f, bytes))
    seen = _sdk_session(emulator.streaming_url, KEY, pcm, 2, speech_model="universal-3-5-pro")
    assert seen["begin"].configuration.model == "universal-3-5-pro"


def test_an_unknown_query_parameter_is_ignored(emulator):
    received, code = _session(emulator, "&colour=blue&speech_model=whisper-rt", ['{"type": "Terminate"}'])
    assert code == 1000 and [m["type"] for m in received] == ["Begin", "Termination"]
    assert received[0]["configuration"]["model"] == "whisper-rt"


def test_format_turns_has_no_effect_on_a_pro_model(emulator, frames):
    plain, _ = _session(emulator, "&speech_model=universal-3-6-pro", frames)
    asked, _ = _session(
        emulator, "&speech_model=universal-3-6-pro&format_turns=true&end_of_turn_confidence_threshold=0.9", frames
    )
    turns = lambda received: [(m["transcript"], m["end_of_turn"]) for m in received if m["type"] == "Turn"]  # noqa: E731
    assert turns(plain) == turns(asked)


@pytest.mark.parametrize(
    "name",
    [
        "voice_focus=near-field",
        "agent_context=hi",
        "llm_gateway=%7B%7D",
        "redact_pii=true",
        "domain=medical-v1",
        "mode=balanced",
    ],
)
def test_a_parameter_the_emulator_cannot_emulate_is_refused_by_name(emulator, name):
    received, code = _session(emulator, f"&{name}", [])
    assert code == 3006 and f"'{name.split('=')[0]}'" in received[-1]["error"]


def test_language_codes_the_model_lacks_are_refused_and_others_checked_against_the_audio(emulator, frames):
    received, code = _session(emulator, "&speech_model=universal-3-5-pro&language_codes=%5B%22pl%22%5D", [])
    assert code == 3006 and "does not transcribe pl" in received[-1]["error"]
    received, code = _session(emulator, "&language_codes=%5B%22es%22%5D", frames)
    assert code == 3005 and "cannot transcribe en audio" in received[-1]["error"]
    received, code = _session(emulator, "&language_codes=%5B%22en%22%2C%22es%22%5D", frames)
    assert code == 1000


def test_speech_started_marks_speech_after_silence(emulator, frames):
    received, _ = _session(emulator, "", frames)
    started = [m for m in received if m["type"] == "SpeechStarted"]
    assert started and started[0]["timestamp"] < 2_000
    first_turn = next(i for i, m in enumerate(received) if m["type"] == "Turn")
    assert received.index(started[0]) < first_turn  # speech is detected before its words arrive
    plain, _ = _session(emulator, "&speech_model=universal-streaming-english", frames)
    assert not any(m["type"] == "SpeechStarted" for m in plain)  # not in the Universal-Streaming spec


def test_session_heartbeat_sends_heartbeats(emulator, frames):
    received, _ = _session(emulator, "&session_heartbeat=true", frames)
    beats = [m for m in received if m["type"] == "Heartbeat"]
    assert [b["total_audio_received_ms"] for b in beats] == [5_000]
    quiet, _ = _session(emulator, "", frames)
    assert not any(m["type"] == "Heartbeat" for m in quiet)


def test_a_short_pro_turn_is_pending_until_a_speaker_revision(emulator):
    from cookbook_utils.audio import load_audio
    from tests.package.recording.test_streams import ROOT

    samples = load_audio(ROOT / "data" / "audio" / "team-meeting.mp3")
    pcm = (samples[: 16_000 * 60] * 32767).astype("<i2").tobytes()
    frames = [pcm[i : i + 3200] for i in range(0, len(pcm), 3200)] + ['{"type": "Terminate"}']
    received, _ = _session(emulator, "&speaker_labels=true", frames)
    finals = [m for m in received if m["type"] == "Turn" and m["end_of_turn"]]
    pending = [m["turn_order"] for m in finals if m["speaker_label"] == "PENDING"]
    assert pending, "no short turn in the first minute of the meeting"
    revised = [r for m in received if m["type"] == "SpeakerRevision" for r in m["revisions"]]
    assert sorted(r["turn_order"] for r in revised) == pending
    assert all(r["speaker_label"] != "PENDING" and r["words"] for r in revised)


def test_max_speakers_below_the_audio_is_refused(emulator, frames):
    received, code = _session(emulator, "&speaker_labels=true&max_speakers=1", frames)
    assert code == 3006 and "max_speakers=1" in received[-1]["error"]
    _, code = _session(emulator, "&speaker_labels=true&max_speakers=2", frames)
    assert code == 1000


def test_every_model_of_the_table_opens_a_session(emulator):
    from tools.emulator.streaming import MODELS

    for name, model in MODELS.items():
        received, code = _session(emulator, f"&speech_model={name}", ['{"type": "Terminate"}'])
        assert code == 1000 and received[0]["configuration"]["model"] == (model.runs_as or name)
    assert json.dumps(sorted(MODELS))  # the table is the one source of the names


def test_the_asyncapi_overlay_has_sources_and_matches_the_model_table():
    """Each patch names its source and changes its spec (apply_overlay refuses a repeat); the Pro spec
    covers exactly the Pro models of the emulator's table."""
    from tools.emulator.streaming import MODELS
    from tools.spec import apply_overlay

    for which, patches in asyncapi.overlay().items():
        assert all(patch["source"] for patch in patches), which
        assert asyncapi.load(which)  # every pointer found, nothing repeated
        with pytest.raises(KeyError):
            apply_overlay(asyncapi.load(which), patches[:1])  # the patched spec already holds it
    for name, model in MODELS.items():
        assert asyncapi.spec_for_model(name) == ("u3-pro" if model.family == "pro" else "universal"), name
    assert asyncapi.spec_for_model(None) == "u3-pro"  # the server default is a Pro model


def test_emulators_warming_up_at_once_decode_each_conversation_once(monkeypatch, tmp_path):
    """Every emulator warms up on a thread of its own; started back to back (as the tests start them),
    they share one decoding per file, not one each."""
    import subprocess
    import threading

    from tests.package.recording.test_streams import ROOT
    from tools.emulator import streaming

    calls: list[str] = []
    run = subprocess.run

    def counted(command, **kwargs):
        source = command[command.index("-i") + 1] if "-i" in command else None
        if source and source.startswith(str(tmp_path)):  # other tests' threads may be running ffmpeg elsewhere
            calls.append(source)
        return run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    monkeypatch.setattr(streaming, "_ENVELOPES", {})  # as if no earlier test had decoded it
    audio = tmp_path / "call.mp3"
    audio.write_bytes((ROOT / "data" / "audio" / "support-call.mp3").read_bytes())
    threads = [threading.Thread(target=streaming.warm_up, args=({"call": audio},)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [str(audio)]
    assert streaming.recognise(b"\0" * 32_000, {"call": audio}) is None, "silence is no conversation"
    assert calls == [str(audio)], "recognising uses the decoded opening"
    copy = tmp_path / "copy" / "call.mp3"  # a test's copy of the data folder
    copy.parent.mkdir()
    copy.write_bytes(audio.read_bytes())
    streaming.warm_up({"call": copy})
    assert calls == [str(audio)], "the same audio elsewhere is not decoded again"
