"""Text-to-speech WebSocket sessions recorded and replayed (cookbook_utils.recording.streams.open_sessions):
the SDK's TTSSession names AssemblyAI's host in every mode; the audio is kept beside the fixture."""

from __future__ import annotations

import json

import assemblyai as aai
import pytest

from cookbook_utils.modes import Mode
from cookbook_utils.recording import streams
from tools.emulator.tts import TTSServer

KEY = "tts-sessions-key-0123456789"
TEXT = "Thanks for calling Larkspur Books. Your order shipped on Monday. "


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(streams, "fixture_path", lambda slug: tmp_path / f"{slug}.json")
    monkeypatch.setattr(streams, "_writers", {})
    monkeypatch.setattr(aai.settings, "api_key", KEY)
    monkeypatch.setattr(aai.settings, "tts_base_url", "https://tts.us.assemblyai.com")
    yield tmp_path
    streams._stop_sessions()


def speak(text: str = TEXT) -> tuple[bytes, list, float]:
    """One session as a notebook writes it: returns its audio, word timings and time to first audio."""
    boundaries: list = []
    firsts: list[float] = []
    with aai.TTSSession(config=aai.TTSConfig(sample_rate=16000), word_boundaries=True) as session:
        begun = streams.arrival(session.begin)
        session.on(aai.TTSEvents.WordBoundaries, boundaries.append)
        audio = b""
        for chunk in session.speak(text):
            firsts = firsts or [streams.arrival({"type": "Audio", "flush_id": 0}) - begun]
            audio += chunk
    return audio, [(w.word, w.start, w.end) for b in boundaries for w in b.words], firsts[0]


def test_recorded_then_replayed_with_the_audio_beside_the_fixture(folder):
    with TTSServer(api_key=KEY) as server:
        streams.open_sessions("demo", Mode.RECORD, {"tts.us.assemblyai.com": server.base_url}, api_key=KEY)
        recorded = speak()
        streams._stop_sessions()
    text = (folder / "demo.json").read_text()
    assert KEY not in text and '"audio": {"offset": 0' in text
    exchange = json.loads(text)["exchanges"][0]
    assert exchange["host"] == "tts.us.assemblyai.com" and exchange["path"] == "/v1/ws"
    body = folder / exchange["audio_body"]["file"]
    assert body.read_bytes() == recorded[0] and len(text) < len(recorded[0])

    streams.open_sessions("demo", Mode.REPLAY, {})
    replayed = speak()
    assert replayed[:2] == recorded[:2]
    first_audio = next(e["t"] for e in exchange["events"] if e.get("message", {}).get("type") == "Audio")
    assert replayed[2] == pytest.approx(first_audio - exchange["events"][0]["t"])  # the recording's time


def test_replay_refuses_a_session_that_sends_other_text(folder):
    with TTSServer(api_key=KEY) as server:
        streams.open_sessions("demo", Mode.RECORD, {"tts.us.assemblyai.com": server.base_url}, api_key=KEY)
        speak()
        streams._stop_sessions()
    streams.open_sessions("demo", Mode.REPLAY, {})
    with pytest.raises(aai.TTSError, match="the recording holds"):
        speak("Something the recording never heard. ")


def test_replay_refuses_audio_that_is_not_what_was_recorded(folder):
    with TTSServer(api_key=KEY) as server:
        streams.open_sessions("demo", Mode.RECORD, {"tts.us.assemblyai.com": server.base_url}, api_key=KEY)
        speak()
        streams._stop_sessions()
    exchange = json.loads((folder / "demo.json").read_text())["exchanges"][0]
    (folder / exchange["audio_body"]["file"]).write_bytes(b"other audio")
    streams.open_sessions("demo", Mode.REPLAY, {})
    with pytest.raises(aai.TTSError, match="is not the audio"):
        speak()


def test_live_mode_sends_sessions_to_a_named_stand_in_or_to_assemblyai(folder):
    streams.open_sessions("demo", Mode.LIVE, {"tts.us.assemblyai.com": "http://127.0.0.1:9"})
    assert streams.routed("wss://tts.us.assemblyai.com/v1/ws?a=1") == "ws://127.0.0.1:9/v1/ws?a=1"
    streams.open_sessions("demo", Mode.LIVE, {})
    assert streams.routed("wss://tts.us.assemblyai.com/v1/ws") == "wss://tts.us.assemblyai.com/v1/ws"


def test_a_raw_websockets_client_is_routed_too(folder):
    """Code that opens the socket with the websockets package itself (sync and asyncio) reaches the
    same local server as the SDK does."""
    import asyncio

    from websockets.asyncio.client import connect as async_connect
    from websockets.sync.client import connect

    with TTSServer(api_key=KEY) as server:
        streams.open_sessions("demo", Mode.LIVE, {"tts.us.assemblyai.com": server.base_url})
        with connect("wss://tts.us.assemblyai.com/v1/ws", additional_headers={"Authorization": KEY}) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "Begin"

        async def begin() -> str:
            async with async_connect(
                "wss://tts.us.assemblyai.com/v1/ws", additional_headers={"Authorization": KEY}
            ) as ws:
                return json.loads(await ws.recv())["type"]

        assert asyncio.run(begin()) == "Begin"
        streams.open_sessions("demo", Mode.LIVE, {})
    assert streams.routed("wss://tts.us.assemblyai.com/v1/ws") == "wss://tts.us.assemblyai.com/v1/ws"


def test_base64_audio_a_client_sends_in_json_is_matched_as_audio_not_as_text(folder):
    """A voice agent's ``input.audio`` carries its audio as base64 in JSON: the fixture describes it
    (hash, length, loudness) and replay accepts the same audio and refuses other audio."""
    import base64

    import numpy as np
    from websockets.sync.client import connect

    tone = (np.sin(np.arange(4800) / 5) * 8000).astype("<i2").tobytes()
    event = {"type": "input.audio", "audio": base64.b64encode(tone).decode()}
    described = streams._client_message(json.dumps(event))
    assert described["audio"]["bytes"] == len(tone) and "sha256" in described["audio"]
    fixture = {"provenance": {}, "exchanges": [{"kind": "session", "host": "x", "path": "/v1/ws", "query": {},
               "events": [{"t": 0, "from": "client", "message": described},
                          {"t": 0.1, "from": "server", "message": {"type": "ok"}}]}]}  # fmt: skip
    for audio, answer in ((tone, "ok"), (bytes(len(tone)), "Error")):
        server = streams.ReplayServer(fixture, host="x").start()
        try:
            with connect(server.url + "/v1/ws") as ws:
                ws.send(json.dumps({**event, "audio": base64.b64encode(audio).decode()}))
                assert json.loads(ws.recv(timeout=10))["type"] == answer
        finally:
            server.stop()
