"""Streaming: the emulator's WebSocket and token endpoint against the AsyncAPI specs, its refusals,
and the record/replay of streaming sessions (data/streams) that the streaming notebooks use."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tools import asyncapi
from tools.emulator import agents, tts, tts_ws
from tools.spec import SpecViolation

pytestmark = pytest.mark.skipif(not asyncapi.available(), reason="the official streaming specs are not available")

ROOT = Path(__file__).resolve().parents[3]
KEY = "test-streaming-key-0123456789abcdef"
FIXTURE_DIR = ROOT / "data" / "streams"
FIXTURES = sorted(FIXTURE_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as emu:
        yield emu


@pytest.fixture(scope="module")
def pcm() -> bytes:
    from cookbook_utils.audio import load_audio

    samples = load_audio(ROOT / "data" / "audio" / "support-call.mp3")
    return (samples[: 16_000 * 12] * 32767).astype("<i2").tobytes()


def _sdk_session(host: str, key: str, pcm: bytes, seconds: float, **params) -> dict:
    """Stream ``seconds`` of ``pcm`` as fast as possible with the SDK; returns what the handlers saw."""
    from assemblyai.streaming.v3 import StreamingClient, StreamingClientOptions, StreamingEvents, StreamingParameters

    seen: dict = {"turns": [], "errors": []}
    client = StreamingClient(StreamingClientOptions(api_host=host, api_key=key, terminate_timeout=60))
    client.on(StreamingEvents.Begin, lambda c, e: seen.update(begin=e))
    client.on(StreamingEvents.Turn, lambda c, e: seen["turns"].append(e))
    client.on(StreamingEvents.Termination, lambda c, e: seen.update(termination=e))
    client.on(StreamingEvents.Error, lambda c, e: seen["errors"].append((e.code, str(e))))
    client.connect(StreamingParameters(sample_rate=16_000, **params))
    for start in range(0, int(seconds * 32_000), 3_200):
        client.stream(pcm[start : start + 3_200])
    client.disconnect(terminate=True)
    return seen


def _raw_session(url: str, frames: list, headers: dict | None = None) -> tuple[list[dict], int | None]:
    """Send frames over a plain WebSocket; returns the server's messages and its close code."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    received = []
    with connect(url, additional_headers=headers or {}) as websocket:
        try:
            for frame in frames:
                websocket.send(frame)
        except ConnectionClosed:
            pass  # the server closed first; what it sent before is still to be read
        try:
            while True:
                received.append(json.loads(websocket.recv(timeout=10)))
        except ConnectionClosed:
            pass
        return received, websocket.close_code


# --- the validator -----------------------------------------------------------------------------


def test_validator_accepts_a_turn_and_refuses_a_broken_one():
    turn = {
        "type": "Turn",
        "turn_order": 0,
        "turn_is_formatted": False,
        "end_of_turn": False,
        "transcript": "hello",
        "end_of_turn_confidence": 0.1,
        "words": [{"text": "hello", "start": 0, "end": 300, "confidence": 0.9, "word_is_final": True}],
    }
    assert asyncapi.validate_message(turn, sender="server") == "Turn"
    with pytest.raises(SpecViolation, match="word_is_final"):
        asyncapi.validate_message(
            {**turn, "words": [{"text": "x", "start": 0, "end": 1, "confidence": 1}]}, sender="server"
        )
    with pytest.raises(SpecViolation, match="not in the"):
        asyncapi.validate_message({"type": "Turn"}, sender="client")
    with pytest.raises(SpecViolation):
        asyncapi.validate_message({"type": "UpdateConfiguration", "min_turn_silence": "long"}, sender="client")
    assert asyncapi.validate_message({"type": "Terminate"}, sender="client") == "SessionTermination"


# --- the emulator ------------------------------------------------------------------------------


def test_emulator_streams_turns_from_the_script(emulator, pcm):
    script = json.loads((ROOT / "data" / "scripts" / "support-call.timing.json").read_text())
    seen = _sdk_session(
        emulator.streaming_url,
        KEY,
        pcm,
        10,
        speech_model="universal-streaming-english",
        format_turns=True,
        min_turn_silence=380,
    )
    assert not seen["errors"] and not emulator.streaming.violations
    finals = [t for t in seen["turns"] if t.end_of_turn and t.turn_is_formatted]
    assert finals[0].transcript == script["turns"][0]["text"]
    assert any(not t.end_of_turn for t in seen["turns"]), "no partial turns"
    heard = [w.text for t in finals for w in t.words]
    assert heard == [w["text"] for w in script["words"] if w["end"] <= 10_000][: len(heard)]
    assert seen["termination"].audio_duration_seconds == 10
    for sender, message in emulator.streaming.traffic:
        if "type" in message:
            asyncapi.validate_message(message, sender=sender, speech_model="universal-streaming-english")


def test_min_turn_silence_changes_where_turns_end(emulator, pcm):
    def finals(**params) -> int:
        seen = _sdk_session(emulator.streaming_url, KEY, pcm, 12, **params)
        return len([t for t in seen["turns"] if t.end_of_turn])

    assert finals(min_turn_silence=300) > finals(min_turn_silence=1000, max_turn_silence=1000)


def test_unknown_audio_is_refused(emulator):
    import numpy as np

    noise = (np.random.default_rng(0).normal(0, 3000, 16_000 * 7)).astype("<i2").tobytes()
    frames = [noise[i : i + 32_000] for i in range(0, len(noise), 32_000)]
    received, code = _raw_session(emulator.streaming_url + "/v3/ws?sample_rate=16000", frames, {"Authorization": KEY})
    assert code == 3005 and "does not recognise this audio" in received[-1]["error"]


@pytest.mark.parametrize(
    ("query", "frames", "headers", "code", "text"),
    [
        ("sample_rate=16000", [b"\0" * 640], {"Authorization": KEY}, 3007, "Input duration violation: 20 ms"),
        ("sample_rate=16000", [b"\0" * 64_000], {"Authorization": KEY}, 3007, "2000 ms. Expected between 50"),
        ("sample_rate=16000", [], {"Authorization": "wrong"}, 1008, "Unauthorized Connection"),
        ("sample_rate=16000", [], {}, 1008, "Missing Authorization header"),
        ("sample_rate=16000&speech_model=nano", [], {"Authorization": KEY}, 3006, "speech_model 'nano'"),
        ("sample_rate=16000&keyterms_prompt=%5B%5D", [], {"Authorization": KEY}, 3006, "does not emulate"),
        ("sample_rate=8000", [], {"Authorization": KEY}, 3006, "sample_rate=16000"),
        ("sample_rate=16000", ["{not json"], {"Authorization": KEY}, 3006, "Invalid JSON"),
        ("sample_rate=16000", ['{"type": "Dance"}'], {"Authorization": KEY}, 3006, "Invalid Message Type: Dance"),
        (
            "sample_rate=16000",
            ['{"type": "UpdateConfiguration", "min_turn_silence": "x"}'],
            {"Authorization": KEY},
            3006,
            "Invalid Message",
        ),
        (
            "sample_rate=16000",
            ['{"type": "UpdateConfiguration", "vad_threshold": 0.5}'],
            {"Authorization": KEY},
            3006,
            "does not emulate updating",
        ),
    ],
)
def test_emulator_refuses_as_the_api_does(emulator, query, frames, headers, code, text):
    received, close_code = _raw_session(f"{emulator.streaming_url}/v3/ws?{query}", frames, headers)
    assert close_code == code
    error = received[-1]
    assert error["type"] == "Error" and error["error_code"] == code and text in error["error"]
    asyncapi.validate_message(error, sender="server")


def test_token_endpoint_and_one_use_tokens(emulator, pcm):
    import requests

    base = emulator.streaming_url.replace("ws://", "http://")
    assert (
        requests.get(
            f"{base}/v3/token", params={"expires_in_seconds": 60}, headers={"Authorization": "bad"}
        ).status_code
        == 401
    )
    for bad in ({"expires_in_seconds": 0}, {"expires_in_seconds": 601}, {}, {"expires_in_seconds": 60, "ttl": 1}):
        answer = requests.get(f"{base}/v3/token", params=bad, headers={"Authorization": KEY})
        assert answer.status_code == 400 and answer.json()["error"]
    answer = requests.get(f"{base}/v3/token", params={"expires_in_seconds": 60}, headers={"Authorization": KEY})
    assert answer.status_code == 200 and answer.json()["expires_in_seconds"] == 60
    asyncapi.validate_token_response(200, answer.json())
    url = f"{emulator.streaming_url}/v3/ws?sample_rate=16000&token={answer.json()['token']}"
    received, code = _raw_session(url, [pcm[:3200], '{"type": "Terminate"}'])
    assert received[0]["type"] == "Begin" and received[-1]["type"] == "Termination" and code == 1000
    received, code = _raw_session(url, [])  # a token is good for one session
    assert code == 1008 and "expired temporary token" in received[-1]["error"]


def test_expired_token_is_refused(emulator):
    import requests

    base = emulator.streaming_url.replace("ws://", "http://")
    token = requests.get(f"{base}/v3/token", params={"expires_in_seconds": 1}, headers={"Authorization": KEY}).json()[
        "token"
    ]
    time.sleep(1.2)
    received, code = _raw_session(f"{emulator.streaming_url}/v3/ws?sample_rate=16000&token={token}", [])
    assert code == 1008 and "Invalid or expired temporary token" in received[-1]["error"]


# --- record and replay -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(emulator, pcm, tmp_path_factory) -> Path:
    """A fixture recorded through the proxy against the emulator: a token, then a session with it."""
    import asyncio

    from cookbook_utils.recording.streams import RecordingProxy, _http_get

    path = tmp_path_factory.mktemp("streams") / "demo.json"
    proxy = RecordingProxy(emulator.streaming_url, path, "emulator", [KEY]).start()
    try:
        base = proxy.url.replace("ws://", "http://")
        status, body = asyncio.run(_http_get(f"{base}/v3/token?expires_in_seconds=60", {"Authorization": KEY}))
        assert status == 200
        frames = [pcm[i : i + 3200] for i in range(0, 32_000 * 3, 3200)] + [
            '{"type": "ForceEndpoint"}',
            '{"type": "Terminate"}',
        ]
        received, code = _raw_session(f"{proxy.url}/v3/ws?sample_rate=16000&token={body['token']}", frames)
        assert code == 1000 and received[-1]["type"] == "Termination"
        deadline = time.monotonic() + 5
        while len(json.loads(path.read_text())["exchanges"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        path.with_suffix(".token").write_text(body["token"])
    finally:
        proxy.stop()
    return path


def test_a_recording_is_scrubbed_and_valid(recorded):
    text = recorded.read_text()
    token = recorded.with_suffix(".token").read_text()
    assert KEY not in text and token not in text
    data = json.loads(text)
    assert data["provenance"]["source"] == "emulator" and data["provenance"]["notebook"] == "demo"
    token_exchange, session = data["exchanges"]
    assert token_exchange["body"]["token"] == "REDACTED" and session["query"]["token"] == "REDACTED"
    check_fixture(data)


def _frames_of(session: dict, pcm: bytes) -> list:
    frames, offset = [], 0
    for event in session["events"]:
        if event["from"] != "client":
            continue
        if "audio" in event:
            frames.append(pcm[offset : offset + event["audio"]["bytes"]])
            offset += event["audio"]["bytes"]
        else:
            frames.append(json.dumps(event["message"]))
    return frames


def test_replay_plays_the_session_back(recorded, pcm):
    from cookbook_utils.recording.streams import ReplayServer

    data = json.loads(recorded.read_text())
    server = ReplayServer(data).start()
    try:
        import requests

        token = requests.get(f"{server.url.replace('ws://', 'http://')}/v3/token?expires_in_seconds=60").json()["token"]
        assert token == "replay-token-1"
        received, code = _raw_session(
            f"{server.url}/v3/ws?sample_rate=16000&token={token}", _frames_of(data["exchanges"][1], pcm)
        )
    finally:
        server.stop()
    recorded_messages = [
        e["message"] for e in data["exchanges"][1]["events"] if e["from"] == "server" and "message" in e
    ]
    assert received == recorded_messages and code == 1000 and not server.failures


def test_replay_fails_clearly_on_an_unexpected_client_message(recorded, pcm):
    from cookbook_utils.recording.streams import MISMATCH_CODE, ReplayServer

    data = json.loads(recorded.read_text())
    data["exchanges"] = data["exchanges"][1:]  # the session alone
    frames = _frames_of(data["exchanges"][0], pcm)
    frames[-2] = '{"type": "UpdateConfiguration", "min_turn_silence": 500}'  # instead of ForceEndpoint
    server = ReplayServer(data, name="data/streams/demo.json").start()
    try:
        received, code = _raw_session(f"{server.url}/v3/ws?sample_rate=16000&token=x", frames)
    finally:
        server.stop()
    assert code == MISMATCH_CODE
    assert "UpdateConfiguration" in received[-1]["error"] and "ForceEndpoint" in received[-1]["error"]
    assert "Re-record" in received[-1]["error"] and server.failures


def test_replay_refuses_other_audio_and_other_parameters(recorded, pcm):
    from cookbook_utils.recording.streams import MISMATCH_CODE, ReplayServer

    data = json.loads(recorded.read_text())
    data["exchanges"] = data["exchanges"][1:]
    silence = [b"\x01\x00" * 1600 if isinstance(f, bytes) else f for f in _frames_of(data["exchanges"][0], pcm)]
    for query, frames, words in [
        ("sample_rate=16000&token=x", silence, "other audio"),
        ("sample_rate=16000&format_turns=true&token=x", [], "session parameters"),
    ]:
        server = ReplayServer(data).start()
        try:
            received, code = _raw_session(f"{server.url}/v3/ws?{query}", frames)
        finally:
            server.stop()
        assert code == MISMATCH_CODE and words in received[-1]["error"]


# --- shipped fixtures ----------------------------------------------------------------------------


def check_fixture(data: dict) -> None:
    """Every message of every session validates against its spec; chunks are 50-1000 ms."""
    assert {"notebook", "source", "recorded_on", "sdk_version"} <= set(data["provenance"])
    for exchange in data["exchanges"]:
        if exchange["kind"] == "token":
            if exchange["status"] == 200:
                assert exchange["body"]["token"] == "REDACTED"
            asyncapi.validate_token_response(exchange["status"], exchange["body"])
            continue
        assert exchange["query"].get("token") in (None, "REDACTED")
        if exchange.get("host", "streaming.assemblyai.com") in tts.HOSTS:  # text to speech: no spec, the SDK's models
            assert "audio_body" not in exchange or (FIXTURE_DIR / exchange["audio_body"]["file"]).is_file()
            for event in exchange["events"]:
                if "message" in event:
                    tts_ws.validate_message(event["message"], event["from"])
            continue
        if exchange.get("host") in ("agents.assemblyai.com", "agents.eu.assemblyai.com"):  # the documented events
            for event in exchange["events"]:
                if "message" in event:
                    agents.validate_message(event["message"], event["from"])
            continue
        model = exchange["query"].get("speech_model")
        for event in exchange["events"]:
            if "audio" in event:
                assert 50 <= event["audio"]["ms"] <= 1000 or any(
                    e.get("message", {}).get("error_code") == 3007 for e in exchange["events"]
                )
            elif "message" in event:
                asyncapi.validate_message(event["message"], sender=event["from"], speech_model=model)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_shipped_fixture_validates_against_the_specs(path):
    data = json.loads(path.read_text())
    assert data["provenance"]["notebook"] == path.stem
    assert (ROOT / "notebooks").glob(f"*/{path.stem}.ipynb"), "a fixture without its notebook"
    check_fixture(data)


def test_replay_without_a_fixture_says_how_to_record():
    from types import SimpleNamespace

    from cookbook_utils.modes import Mode
    from cookbook_utils.recording.streams import StreamReplayError, endpoint

    with pytest.raises(StreamReplayError, match="make record-emulator NOTEBOOK=no-such-notebook"):
        endpoint(SimpleNamespace(slug="no-such-notebook", mode=Mode.REPLAY))


def test_live_mode_streams_to_the_real_host(monkeypatch):
    from types import SimpleNamespace

    from cookbook_utils.modes import Mode
    from cookbook_utils.recording.streams import ENV_STREAMING_HOST, endpoint

    monkeypatch.delenv(ENV_STREAMING_HOST, raising=False)
    host, pace, clock = endpoint(SimpleNamespace(slug="streaming-transcription", mode=Mode.LIVE))
    assert (host, pace) == ("streaming.assemblyai.com", 1.0) and clock() > 0


def test_the_sdk_streams_with_a_temporary_token_in_its_header(emulator, pcm):
    import requests
    from assemblyai.streaming.v3 import StreamingClient, StreamingClientOptions, StreamingEvents, StreamingParameters

    base = emulator.streaming_url.replace("ws://", "http://")
    token = requests.get(f"{base}/v3/token", params={"expires_in_seconds": 60}, headers={"Authorization": KEY})
    seen: list = []
    for _ in range(2):  # the second use of the same token is refused
        client = StreamingClient(StreamingClientOptions(api_host=emulator.streaming_url, token=token.json()["token"]))
        client.on(StreamingEvents.Begin, lambda c, e: seen.append("Begin"))
        client.on(StreamingEvents.Error, lambda c, e: seen.append(e.code))
        client.connect(StreamingParameters(sample_rate=16_000))
        client.stream(pcm[:3200])
        client.disconnect(terminate=True)
    assert seen == ["Begin", 1008]


def test_u3_rt_pro_sessions_follow_their_own_spec(emulator, pcm):
    frames = [pcm[i : i + 3200] for i in range(0, 32_000 * 6, 3200)] + ['{"type": "Terminate"}']
    url = f"{emulator.streaming_url}/v3/ws?sample_rate=16000&speech_model=u3-rt-pro"
    received, code = _raw_session(url, frames, {"Authorization": KEY})
    turns = [m for m in received if m["type"] == "Turn"]
    assert code == 1000 and turns and all(t["turn_is_formatted"] == t["end_of_turn"] for t in turns)
    for message in received:
        asyncapi.validate_message(message, sender="server", speech_model="u3-rt-pro")
    assert received[0]["configuration"]["model"] == "universal-3-5-pro"  # redirected, and Begin says so


def test_every_session_audio_beside_the_fixtures_is_one_a_fixture_names():
    """Audio kept beside the streaming fixtures (``data/streams/bodies``): each named and present, none
    left over from an earlier recording."""
    named = {
        e["audio_body"]["file"] for p in FIXTURES for e in json.loads(p.read_text())["exchanges"] if "audio_body" in e
    }
    kept = {f"bodies/{p.name}" for p in (FIXTURE_DIR / "bodies").glob("*")}
    assert kept == named, f"left over: {sorted(kept - named)}; missing: {sorted(named - kept)}"
