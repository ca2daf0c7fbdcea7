"""The text-to-speech WebSocket API (tools/emulator/tts_ws.py), driven by SDK 1.8.2's TTSSession and by
a raw websockets client."""

from __future__ import annotations

import json
import time

import assemblyai as aai
import pytest
from websockets.sync.client import connect

from tools.emulator import tts_ws
from tools.emulator.tts import TTSServer

KEY = "tts-ws-test-key"
FIRST = "Thanks for calling Larkspur Books. "
SECOND = "Your order shipped on Monday and arrives tomorrow morning. "


@pytest.fixture
def server():
    with TTSServer(api_key=KEY) as tts:
        yield tts
        assert tts.violations == []


@pytest.fixture
def settings(server, monkeypatch):
    monkeypatch.setattr(aai.settings, "tts_base_url", server.base_url)
    monkeypatch.setattr(aai.settings, "api_key", KEY)


def ws_url(server, query: str = "") -> str:
    return server.base_url.replace("http://", "ws://") + "/v1/ws" + (f"?{query}" if query else "")


def frames_until_close(ws) -> list[dict]:
    out = []
    try:
        while True:
            out.append(json.loads(ws.recv(timeout=30)))
    except Exception:  # closed
        return out


def test_two_requests_on_one_session_with_timings_on_the_session_timeline(server, settings):
    boundaries = []
    config = aai.TTSConfig(voice_id="aai-jane", sample_rate=16000)
    with aai.TTSSession(config=config, word_boundaries=True) as session:
        session.on(aai.TTSEvents.WordBoundaries, boundaries.append)
        assert session.begin.configuration["sample_rate"] == 16000
        assert session.begin.configuration["limits"]["max_generate_text_length"] == 2000
        first = b"".join(session.speak(FIRST))
        second = b"".join(session.speak(SECOND))
    first_ms, second_ms = len(first) // 32, len(second) // 32  # 16 kHz, 2 bytes a sample
    assert session.termination.total_input_char_length == len(FIRST) + len(SECOND)
    assert session.termination.audio_duration_seconds == pytest.approx((first_ms + second_ms) / 1000, abs=0.01)
    time.sleep(0.1)  # WordBoundaries follows FlushDone on the reader thread
    assert [b.flush_id for b in boundaries] == [0, 1]
    assert boundaries[0].audio_start_ms == 0 and boundaries[1].audio_start_ms == pytest.approx(first_ms, abs=2)
    assert [w.word for w in boundaries[0].words] == FIRST.split()
    assert [w.word for w in boundaries[1].words] == SECOND.split()
    starts = [w.start for b in boundaries for w in b.words]
    assert starts == sorted(starts) and boundaries[1].words[-1].end <= first_ms + second_ms + 2


def test_complete_sentences_start_speaking_before_flush(server):
    with connect(ws_url(server), additional_headers={"Authorization": KEY}) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "Begin"
        ws.send(json.dumps({"type": "Generate", "text": SECOND}))  # one complete sentence, 58 characters
        audio = json.loads(ws.recv(timeout=30))
        assert audio["type"] == "Audio" and audio["flush_id"] == 0
        ws.send(json.dumps({"type": "Generate", "text": "And then"}))  # no sentence yet: waits for Flush
        ws.send(json.dumps({"type": "Terminate"}))
        rest = frames_until_close(ws)
    assert [f["type"] for f in rest][-3:] == ["FlushDone", "WordBoundaries", "Termination"]
    assert rest[-2]["words"][-2:] == [rest[-2]["words"][-2], rest[-2]["words"][-1]]
    assert [w["word"] for w in rest[-2]["words"]][-2:] == ["And", "then"]  # unflushed text spoken at Terminate


def test_cancel_stops_the_request_in_flight_and_takes_a_flush_id(server):
    server.ws_pace = 1.0  # audio goes out at real time, so a Cancel lands mid-request
    with connect(ws_url(server), additional_headers={"Authorization": KEY}) as ws:
        ws.recv(timeout=10)
        ws.send(json.dumps({"type": "Generate", "text": SECOND * 3}))
        ws.send(json.dumps({"type": "Flush"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "Audio"
        ws.send(json.dumps({"type": "Cancel"}))
        frames = []
        while not frames or frames[-1]["type"] != "Cancelled":
            frames.append(json.loads(ws.recv(timeout=30)))
        ws.send(json.dumps({"type": "Generate", "text": "Sorry, go ahead."}))
        ws.send(json.dumps({"type": "Flush"}))
        after = []
        while not after or after[-1]["type"] != "FlushDone":
            after.append(json.loads(ws.recv(timeout=30)))
    cancelled = frames[-1]["audio_duration_seconds"]
    assert 0 < cancelled < 3.0, cancelled  # the whole request is over 10 s of audio
    assert "FlushDone" not in [f["type"] for f in frames]
    assert after[-1]["flush_id"] == 2  # Flush took 0, Cancel 1


@pytest.mark.parametrize(
    ("query", "headers", "code", "error_type", "param"),
    [
        ("", {"Authorization": "wrong"}, 1008, "unauthorized", None),
        ("token=abc", {}, 3006, "not_emulated", "token"),
        ("encoding=mp3", {"Authorization": KEY}, 3006, "invalid_parameter", "encoding"),
        ("voice_id=aai-nobody", {"Authorization": KEY}, 3006, "voice_not_found", "voice_id"),
        ("inactivity_timeout=4", {"Authorization": KEY}, 3006, "invalid_parameter", "inactivity_timeout"),
        ("extend_biometric_consent=true", {"Authorization": KEY}, 3006, "biometric_terms_not_accepted",
         "extend_biometric_consent"),
    ],
)  # fmt: skip
def test_refused_sessions_get_an_error_frame_then_its_close_code(server, query, headers, code, error_type, param):
    with connect(ws_url(server, query), additional_headers=headers) as ws:
        frames = frames_until_close(ws)
    assert [f["type"] for f in frames] == ["Error"]
    assert (frames[0]["error_code"], frames[0]["error_type"], frames[0]["param"]) == (code, error_type, param)
    assert ws.close_code == code and ws.close_reason == "See Error message for details"


@pytest.mark.parametrize(
    ("frame", "param"),
    [
        (json.dumps({"type": "Generate", "text": "x" * 2001}), "Generate.text"),
        (json.dumps({"type": "Generate"}), "Generate.text"),
        (json.dumps({"type": "Speak", "text": "hi"}), "type"),
        (b"\x00\x01", None),
        ("not json", None),
    ],
)
def test_malformed_frames_end_the_session_with_3006(server, frame, param):
    with connect(ws_url(server), additional_headers={"Authorization": KEY}) as ws:
        ws.recv(timeout=10)
        ws.send(frame)
        frames = frames_until_close(ws)
    assert frames[-1]["type"] == "Error" and frames[-1]["error_type"] == "invalid_message"
    assert frames[-1]["param"] == param and ws.close_code == 3006


def test_an_unknown_query_parameter_is_listed_not_refused(server):
    with connect(ws_url(server, "speed=1.2&voice_id=aai-paul"), additional_headers={"Authorization": KEY}) as ws:
        begin = json.loads(ws.recv(timeout=10))
    assert begin["configuration"]["unknown_params"] == ["speed"]
    assert begin["configuration"]["voice_id"] == "aai-paul"


def test_the_sdk_raises_the_refusal_with_its_code(server, settings):
    with pytest.raises(aai.TTSError) as raised:
        with aai.TTSSession(config=aai.TTSConfig(voice_id="aai-nobody")):
            pass
    assert raised.value.error_code == "voice_not_found" and raised.value.body["close_code"] == 3006


def test_an_idle_session_is_closed_after_its_inactivity_timeout(server):
    started = time.monotonic()
    with connect(ws_url(server, "inactivity_timeout=5"), additional_headers={"Authorization": KEY}) as ws:
        ws.recv(timeout=10)
        frames = frames_until_close(ws)
    assert 4.5 < time.monotonic() - started < 9
    assert frames[-1]["error_type"] == "inactivity_timeout" and ws.close_code == tts_ws.IDLE_CODE


def test_a_session_past_its_time_to_live_is_closed_with_3008(server):
    server.ws_session_ttl_s = 1
    with connect(ws_url(server), additional_headers={"Authorization": KEY}) as ws:
        begin = json.loads(ws.recv(timeout=10))
        frames = frames_until_close(ws)
    assert begin["configuration"]["session_ttl_sec"] == 1
    assert frames[-1]["error_code"] == 3008 and ws.close_code == 3008


def test_plain_http_still_answers_on_the_same_port(server):
    import requests

    response = requests.get(server.base_url + "/v1/ws", headers={"authorization": KEY}, timeout=10)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("message", "sender"),
    [
        ({"type": "Speak", "text": "hi"}, "client"),
        ({"type": "Generate", "text": "x" * 2001}, "client"),
        ({"type": "FlushDone", "flush_id": 0}, "server"),
        ({"type": "Audio", "audio": "AAAA"}, "server"),
        ({"type": "Error", "error": "bad"}, "server"),
        ({"type": "Hello"}, "server"),
    ],
)
def test_the_recorded_frame_validator_refuses_what_the_api_does_not_send(message, sender):
    from tools.spec import SpecViolation

    with pytest.raises(SpecViolation):
        tts_ws.validate_message(message, sender)
    tts_ws.validate_message({"type": "FlushDone", "flush_id": 0, "audio_duration_ms": 10}, "server")
