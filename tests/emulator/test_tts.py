"""The text-to-speech host (tools/emulator/tts.py) driven by the SDK, the openai package and requests."""

from __future__ import annotations

import base64
import json
import struct
import subprocess

import assemblyai as aai
import openai
import pytest
import requests

from tools.emulator.tts import TTSServer

KEY = "tts-test-key"
TEXT = "Hello there, friend."


@pytest.fixture(scope="module")
def server():
    with TTSServer(api_key=KEY) as tts:
        yield tts
        assert tts.violations == []


@pytest.fixture
def sdk(server, monkeypatch):
    monkeypatch.setattr(aai.settings, "tts_base_url", server.base_url)
    monkeypatch.setattr(aai.settings, "api_key", KEY)
    return aai.TextToSpeech()  # the default client reads the patched settings


def post(server, body, path="/v1/speech", key=KEY):
    return requests.post(server.base_url + path, json=body, headers={"authorization": key} if key else {}, timeout=30)


def wav_fields(data: bytes) -> dict:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and data[12:16] == b"fmt "
    tag, channels, rate, byte_rate, block, bits = struct.unpack("<HHIIHH", data[20:36])
    data_at = data.index(b"data")
    size = struct.unpack("<I", data[data_at + 4 : data_at + 8])[0]
    return {"tag": tag, "channels": channels, "rate": rate, "byte_rate": byte_rate, "bits": bits, "size": size,
            "riff": struct.unpack("<I", data[4:8])[0], "payload": data[data_at + 8 :]}  # fmt: skip


def events(response) -> list[tuple[str, dict]]:
    out = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_buffered_and_streamed_give_the_same_audio_and_consistent_headers(sdk):
    buffered = sdk.synthesize(TEXT)
    with sdk.stream(TEXT) as stream:
        streamed = stream.read()
        info = stream.info
    assert buffered.audio == streamed and len(streamed) > 24000  # over half a second of 16-bit speech
    assert buffered.billed_characters == info.billed_characters == len(TEXT)
    assert (buffered.model, buffered.voice_id, buffered.language) == ("assemblyai-tts-1", "aai-jane", "english")
    assert (buffered.encoding, buffered.sample_rate, buffered.container) == ("pcm_s16le", 24000, "raw")
    assert buffered.content_type == "audio/pcm;rate=24000;channels=1" and buffered.region == "us-east-1"
    assert buffered.audio_duration_ms == len(buffered.audio) // 2 * 1000 // 24000
    assert info.audio_duration_ms is None and info.request_id and info.request_id != buffered.request_id


def test_a_streamed_answer_is_chunked_and_a_buffered_one_has_its_length(server):
    streamed = post(server, {"text": TEXT})
    buffered = post(server, {"text": TEXT, "stream": False})
    assert streamed.headers["transfer-encoding"] == "chunked" and "content-length" not in streamed.headers
    assert "x-tts-audio-duration-ms" not in streamed.headers
    assert int(buffered.headers["content-length"]) == len(buffered.content) == len(streamed.content)
    assert buffered.headers["x-tts-billed-characters"] == str(len(TEXT))


def test_wav_headers_name_the_rate_and_encoding(sdk):
    pcm = sdk.synthesize(TEXT, aai.TTSConfig(container="wav", sample_rate=16000))
    fields = wav_fields(pcm.audio)
    assert (fields["tag"], fields["channels"], fields["rate"], fields["bits"]) == (1, 1, 16000, 16)
    assert fields["size"] == len(fields["payload"]) and fields["riff"] == len(pcm.audio) - 8
    assert pcm.content_type == "audio/wav" and abs(len(fields["payload"]) / 32 - pcm.audio_duration_ms) <= 1
    with sdk.stream(TEXT, aai.TTSConfig(container="wav", sample_rate=16000)) as stream:
        streamed = wav_fields(stream.read())
    assert streamed["size"] == streamed["riff"] == 0xFFFFFFFF and streamed["payload"] == fields["payload"]


def test_mulaw_at_8khz(sdk):
    raw = sdk.synthesize(TEXT, aai.TTSConfig(encoding="mulaw", sample_rate=8000))
    assert raw.encoding == "pcm_mulaw" and raw.content_type == "audio/pcmu;rate=8000;channels=1"
    assert raw.audio_duration_ms == len(raw.audio) * 1000 // 8000 > 500  # one byte per sample
    wav = wav_fields(sdk.synthesize(TEXT, aai.TTSConfig(encoding="pcm_mulaw", sample_rate=8000, container="wav")).audio)
    assert (wav["tag"], wav["rate"], wav["bits"], wav["payload"]) == (7, 8000, 8, raw.audio)


def test_mp3_decodes_to_the_duration(sdk, tmp_path):
    mp3 = sdk.synthesize(TEXT, aai.TTSConfig(encoding="mp3", sample_rate=22050, bit_rate=32000))
    assert (mp3.content_type, mp3.bit_rate, mp3.container) == ("audio/mpeg", 32000, None)
    path = tmp_path / "speech.mp3"
    path.write_bytes(mp3.audio)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate,bit_rate:format=duration", "-of", "json", path],
        capture_output=True,
        check=True,
        text=True,
    )
    found = json.loads(probe.stdout)
    assert found["streams"][0]["sample_rate"] == "22050"
    assert abs(float(found["format"]["duration"]) * 1000 - mp3.audio_duration_ms) < 120


def test_events_give_the_texts_words_in_order_within_the_audio(server):
    answer = post(server, {"text": TEXT, "sample_rate": 16000}, path="/v1/speech/events")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/event-stream; charset=utf-8"
    found = events(answer)
    kinds = [kind for kind, _ in found]
    assert kinds[0] == "Begin" and kinds[-3:] == ["FlushDone", "WordBoundaries", "Termination"]
    assert set(kinds[1:-3]) == {"Audio"}
    audio = b"".join(base64.b64decode(data["audio"]) for kind, data in found if kind == "Audio")
    duration = dict(found)["FlushDone"]["audio_duration_ms"]
    assert duration == len(audio) // 2 * 1000 // 16000
    words = dict(found)["WordBoundaries"]["words"]
    assert [w["word"] for w in words] == TEXT.split()
    starts = [w["start"] for w in words]
    assert starts == sorted(set(starts)) and all(w["start"] < w["end"] <= duration for w in words)
    assert dict(found)["Termination"]["total_input_char_length"] == len(TEXT)


def test_voices_differ_and_one_voice_repeats_its_bytes(server):
    jane = post(server, {"text": TEXT, "stream": False}).content
    assert post(server, {"text": TEXT, "voice_id": "aai-george", "stream": False}).content != jane
    assert post(server, {"text": TEXT, "voice_id": "aai-jane", "stream": False}).content == jane


def test_the_openai_package_speaks_and_tts_1_is_model_not_found(server):
    client = openai.OpenAI(base_url=server.base_url + "/v1/openai", api_key=KEY, max_retries=0)
    wav = client.audio.speech.create(model="assemblyai-tts-1", input=TEXT, voice="nova", response_format="wav")
    assert wav_fields(wav.content)["rate"] == 24000 and wav.response.headers["x-tts-voice-id"] == "aai-eve"
    with pytest.raises(openai.BadRequestError) as refused:
        client.audio.speech.create(model="tts-1", input=TEXT, voice="alloy")
    assert refused.value.body["code"] == "model_not_found" and refused.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as opus:
        client.audio.speech.create(model="assemblyai-tts-1", input=TEXT, voice="alloy", response_format="opus")
    assert opus.value.body["param"] == "response_format"


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"text": TEXT, "speed": 1.2}, 400, "invalid_parameter", "speed"),
        ({"text": TEXT, "pitch": 3}, 400, "invalid_parameter", "pitch"),
        ({"text": ""}, 400, "invalid_parameter", "text"),
        ({"text": "a" * 5001}, 400, "invalid_parameter", "text"),
        ({"text": TEXT, "sample_rate": 12000}, 400, "invalid_parameter", "sample_rate"),
        ({"text": TEXT, "encoding": "opus"}, 400, "invalid_parameter", "encoding"),
        ({"text": TEXT, "container": "ogg"}, 400, "invalid_parameter", "container"),
        ({"text": TEXT, "encoding": "mp3", "container": "wav"}, 400, "invalid_parameter", "container"),
        ({"text": TEXT, "encoding": "mp3", "bit_rate": 40000}, 400, "invalid_parameter", "bit_rate"),
        (
            {"text": TEXT, "encoding": "mp3", "sample_rate": 8000, "bit_rate": 96000},
            400,
            "invalid_parameter",
            "bit_rate",
        ),  # noqa: E501
        ({"text": TEXT, "bit_rate": 64000}, 400, "invalid_parameter", "bit_rate"),
        ({"text": TEXT, "language": "klingon"}, 400, "invalid_parameter", "language"),
        ({"text": TEXT, "voice_id": "aai-nobody"}, 404, "voice_not_found", "voice_id"),
        ({"text": TEXT, "voice_id": "49c443a4-8a1d-5f7e-b70b-98bdbd9823c3"}, 404, "voice_not_found", "voice_id"),
        ({"text": TEXT, "model_id": "tts-1"}, 400, "model_not_found", "model_id"),
        (
            {"text": TEXT, "extend_biometric_consent": True},
            403,
            "biometric_terms_not_accepted",
            "extend_biometric_consent",
        ),  # noqa: E501
    ],
)
def test_each_refusal_has_its_envelope(server, body, status, code, param):
    answer = post(server, body)
    envelope = answer.json()
    assert answer.status_code == status and (envelope["code"], envelope["param"]) == (code, param)
    assert set(envelope) == {"code", "message", "param", "request_id", "errors", "retryable", "retry_after_seconds"}
    assert envelope["request_id"] == answer.headers["x-request-id"] and envelope["retryable"] is False


def test_the_sdk_raises_the_envelope(sdk):
    with pytest.raises(aai.TTSError) as refused:
        sdk.synthesize(TEXT, aai.TTSConfig(voice_id="my-cloned-voice"))
    assert (refused.value.status_code, refused.value.error_code) == (404, "voice_not_found")
    assert "no cloned voices" in str(refused.value)


def test_events_refuse_mp3_and_a_key_is_required(server):
    mp3 = post(server, {"text": TEXT, "encoding": "mp3"}, path="/v1/speech/events")
    assert (mp3.status_code, mp3.json()["param"]) == (400, "encoding")
    for key in (None, "wrong"):
        answer = post(server, {"text": TEXT}, key=key)
        assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"


def test_a_recorded_exchange_is_judged_without_a_published_spec():
    """tts.validate_interaction (used by the cassette conformance test): audio for a 200, the API's or
    OpenAI's error envelope with a documented code otherwise, and an unknown field never accepted."""
    from tools import spec
    from tools.emulator.tts import is_tts, validate_interaction

    route = "https://tts.us.assemblyai.com/v1/openai/audio/speech"
    assert is_tts(route) and not is_tts("https://api.assemblyai.com/v2/transcript")
    validate_interaction(route, {"model": "assemblyai-tts-1", "input": TEXT}, 200, None, "audio/mpeg")
    refused = {"error": {"message": "m", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
    validate_interaction(route, {"model": "tts-1", "input": TEXT}, 400, refused, "application/json")
    native = {"code": "voice_not_found", "message": "m", "param": "voice_id", "request_id": "r"}
    validate_interaction("https://tts.eu.assemblyai.com/v1/speech", {"text": TEXT}, 404, native, "application/json")
    for url, body, status, payload, kind in [
        (route, {"input": TEXT}, 200, None, "application/json"),  # a 200 that is not audio
        (route, {"input": TEXT, "pitch": 2}, 200, None, "audio/mpeg"),  # an unknown field accepted
        (route, {"input": TEXT}, 400, native, "application/json"),  # not OpenAI's envelope
        (route, {"input": TEXT}, 400, {"error": {**refused["error"], "code": "oops"}}, "application/json"),
    ]:
        with pytest.raises(spec.SpecViolation):
            validate_interaction(url, body, status, payload, kind)
    good = {"content-type": "audio/mpeg", "x-tts-voice-id": "aai-jane", "x-tts-billed-characters": "5"}
    speech = "https://tts.us.assemblyai.com/v1/speech"
    validate_interaction(speech, {"text": TEXT}, 200, None, "audio/mpeg", {**good, "x-tts-encoding": "mp3"})
    with pytest.raises(spec.SpecViolation, match="without x-tts-encoding"):
        validate_interaction(speech, {"text": TEXT}, 200, None, "audio/mpeg", good)


@pytest.mark.parametrize(
    ("kind", "status", "code", "retry_after"),
    [("429", 429, "rate_limited", 2), ("503", 503, "at_capacity", 2), ("500", 500, "internal_error", None),
     ("504", 504, "session_expired", None)],
)  # fmt: skip
def test_a_fault_plan_fails_the_nth_request_with_the_documented_envelope(sdk, server, kind, status, code, retry_after):
    from tools.emulator.faults import Fault, FaultPlan

    plan = FaultPlan([Fault(kind, method="POST", path="/v1/speech", nth=[1], retry_after=2)])
    server.faults_from = lambda: plan
    try:
        with pytest.raises(aai.TTSError) as raised:
            sdk.synthesize(TEXT)
        assert sdk.synthesize(TEXT).audio  # the second request is answered
    finally:
        server.faults_from = lambda: None
    error = raised.value
    assert (error.status_code, error.error_code, error.retryable, error.retry_after) == (
        status,
        code,
        True,
        retry_after,
    )
    assert plan.fired == [(kind, "POST", "/v1/speech")]


def test_a_reset_fault_drops_the_connection_and_a_kind_that_does_not_apply_is_named(sdk, server):
    from tools.emulator.faults import Fault, FaultPlan

    plan = FaultPlan([Fault("reset", nth=[1]), Fault("cut_upload", nth=[2])])
    server.faults_from = lambda: plan
    try:
        with pytest.raises(Exception) as reset:
            sdk.synthesize(TEXT)
        assert not isinstance(reset.value, aai.TTSError) or reset.value.status_code is None
        with pytest.raises(aai.TTSError, match="does not apply to text to speech"):
            sdk.synthesize(TEXT)
        assert plan.fired == [("reset", "POST", "/v1/speech"), ("cut_upload", "POST", "/v1/speech")]
    finally:
        server.faults_from = lambda: None
