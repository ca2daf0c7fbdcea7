"""Sync transcription and dictation in the emulator (``tools/emulator/sync_dictation.py``): through SDK
1.8.2's own clients pointed at it, and with plain multipart requests for what the SDK cannot send.

One emulator serves the whole file, on a data folder with a dictation rewrite of its own; the WAVs are
made once from two shipped clips (clip-fr, whose transcript has no mishearing; clip-es, which mishears
"mensajería")."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import assemblyai as aai
import pytest
import requests

from tests.emulator.support import ROOT, checked_emulator, scripts_folder
from tools.emulator import Emulator, conversations, sync_dictation
from tools.emulator.faults import Fault, FaultPlan

KEY = "emulator-sync-dictation-key"
NOTEBOOK = "sync-dictation-test"
MODEL = {"X-AAI-Model": "universal-3-5-pro"}
REWRITE = "Dear courier, Thursday afternoon between four and seven suits me. Thank you."
INSTRUCTION = "Write a short reply to this voicemail."


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    data_dir = scripts_folder(tmp_path_factory)
    answers = data_dir / "answers" / NOTEBOOK
    answers.mkdir(parents=True)
    (answers / "reply.dictation.md").write_text(REWRITE + "\n")
    (answers / "answers.yaml").write_text(
        "reply:\n  file: reply.dictation.md\n  transcripts: [clip-es]\n  prompt_contains: [reply to this voicemail]\n"
    )
    with checked_emulator(KEY, data_dir=data_dir, notebook=NOTEBOOK) as running:
        yield running


@pytest.fixture
def sdk(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setattr(aai.settings, "api_key", KEY)
    monkeypatch.setattr(aai.settings, "sync_base_url", emulator.base_url)
    monkeypatch.setattr(aai.settings, "dictation_base_url", emulator.base_url)
    return emulator


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """16-bit mono WAVs of two shipped clips, as a reader would make them with ffmpeg."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("wav")
    made = {}
    for name in ("clip-fr", "clip-es"):
        made[name] = folder / f"{name}.wav"
        source = ROOT / "data" / "audio" / f"{name}.mp3"
        command = ["ffmpeg", "-loglevel", "error", "-i", str(source), "-ac", "1", "-ar", "16000", str(made[name])]
        subprocess.run([*command[:1], "-nostdin", *command[1:]], check=True)
    return made


def script(name: str) -> conversations.Conversation:
    return conversations.Conversation.load(ROOT / "data" / "scripts" / f"{name}.timing.json")


def silence(seconds: float, rate: int = 8000, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(b"\0" * int(seconds * rate) * width)
    return buffer.getvalue()


def post(
    emulator: Emulator,
    audio: bytes,
    config: dict | None = None,
    path: str = "/v1/transcribe",
    headers: dict | None = None,
    key: str | None = KEY,
    content_type: str = "audio/wav",
) -> requests.Response:
    """A plain multipart request (config first when given, as the SDK sends it)."""
    files = {"config": (None, json.dumps(config), "application/json")} if config is not None else {}
    files["audio"] = ("audio.wav", audio, content_type)
    sent = {**({"authorization": key} if key else {}), **(MODEL if headers is None else headers)}
    return requests.post(f"{emulator.base_url}{path}", files=files, headers=sent, timeout=30)


def refused(response: requests.Response, status: int, *phrases: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"status", "title", "detail"} and body["status"] == status, body
    for phrase in phrases:
        assert phrase in body["detail"], body
    return body


# --- Sync, through the SDK ---------------------------------------------------------------------------


def test_sync_transcribes_a_shipped_clip_to_its_script(sdk: Emulator, wavs: dict[str, Path]) -> None:
    result = aai.SyncTranscriber().transcribe(str(wavs["clip-fr"]))
    spoken = [w["text"] for w in script("clip-fr").words]
    assert [w.text for w in result.words] == [w["text"] for w in conversations.transcript_words(script("clip-fr"), {})]
    assert len(set(result.text.split()) & set(spoken)) >= 0.9 * len(set(spoken))
    assert all(w.start is None and w.end is None for w in result.words)  # timestamps default to off
    assert abs(result.audio_duration_ms - script("clip-fr").duration_ms) < 50
    assert 0.85 <= result.confidence <= 0.99 and result.session_id


def test_sync_timestamps_give_word_timings(sdk: Emulator, wavs: dict[str, Path]) -> None:
    config = aai.SyncTranscriptionConfig(timestamps=True)
    words = aai.SyncTranscriber().transcribe(str(wavs["clip-fr"]), config).words
    spoken = script("clip-fr").words
    assert words[0].start == spoken[0]["start"] and words[-1].end == spoken[-1]["end"]
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))


def test_keyterms_prompt_and_context_correct_a_mishearing(sdk: Emulator, wavs: dict[str, Path]) -> None:
    transcriber = aai.SyncTranscriber()
    assert "mensajeria" in transcriber.transcribe(str(wavs["clip-es"])).text.split()
    fixes = [
        aai.SyncTranscriptionConfig(keyterms_prompt=["mensajería"]),
        aai.SyncTranscriptionConfig(prompt="Una llamada de la empresa de mensajería."),
        aai.SyncTranscriptionConfig(conversation_context=["¿De qué empresa de mensajería llama?"]),
    ]
    for config in fixes:
        text = transcriber.transcribe(str(wavs["clip-es"]), config).text
        assert "mensajería" in text.split() and "mensajeria" not in text.split(), config


def test_language_codes_must_hold_the_audios_language(sdk: Emulator, wavs: dict[str, Path]) -> None:
    transcriber = aai.SyncTranscriber()
    assert transcriber.transcribe(str(wavs["clip-es"]), aai.SyncTranscriptionConfig(language_codes=["es"])).text
    with pytest.raises(aai.SyncTranscriptError, match="language_codes.*'es'") as wrong:
        transcriber.transcribe(str(wavs["clip-es"]), aai.SyncTranscriptionConfig(language_codes=["en"]))
    assert wrong.value.status_code == 400
    with pytest.raises(aai.SyncTranscriptError, match="xx"):
        transcriber.transcribe(str(wavs["clip-es"]), aai.SyncTranscriptionConfig(language_codes=["xx"]))
    # "ignored when prompt is set" (the SDK's docstring)
    ignored = aai.SyncTranscriptionConfig(language_codes=["en"], prompt="A voicemail.")
    assert transcriber.transcribe(str(wavs["clip-es"]), ignored).text


def test_sync_needs_a_known_key(sdk: Emulator, wavs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aai.settings, "api_key", "not-the-key")
    with pytest.raises(aai.SyncTranscriptError) as error:
        aai.SyncTranscriber().transcribe(str(wavs["clip-fr"]))
    assert error.value.status_code == 401 and error.value.error_code == "unauthorized"
    refused(post(sdk, silence(1), key=None), 401, "API token missing/invalid")


def test_the_deadline_comes_from_a_fault_plan(sdk: Emulator, wavs: dict[str, Path]) -> None:
    sdk.faults = FaultPlan([Fault("504", method="POST", path="/v1/transcribe/live", nth=[1])])
    try:
        with pytest.raises(aai.SyncTranscriptError, match="30 s deadline") as error:
            aai.SyncTranscriber().transcribe(str(wavs["clip-fr"]))
        assert error.value.status_code == 504 and error.value.error_code == "inference_timeout"
        assert aai.SyncTranscriber().transcribe(str(wavs["clip-fr"])).text  # only the first
    finally:
        sdk.faults = None


def test_warm_opens_the_connection(sdk: Emulator) -> None:
    assert aai.SyncTranscriber().warm()
    assert ("GET", "/v1/warm") in sdk.requests_seen


# --- Sync, plain multipart -----------------------------------------------------------------------------


def test_the_model_header_is_required(emulator: Emulator, wavs: dict[str, Path]) -> None:
    audio = wavs["clip-fr"].read_bytes()
    refused(post(emulator, audio, headers={}), 400, "X-AAI-Model", "universal-3-5-pro", "none")
    refused(post(emulator, audio, headers={"X-AAI-Model": "universal-2"}), 400, "X-AAI-Model", "'universal-2'")
    # on the live path, the sync host's Host header says it is sync even without the header
    live = post(emulator, audio, {}, "/v1/transcribe/live", headers={"Host": "sync.assemblyai.com"})
    refused(live, 400, "X-AAI-Model")
    assert post(emulator, audio).status_code == 200


def test_unknown_and_mistyped_config_fields_are_refused(emulator: Emulator, wavs: dict[str, Path]) -> None:
    audio = wavs["clip-fr"].read_bytes()
    refused(post(emulator, audio, {"speaker_labels": True, "timestamps": True}), 400, "speaker_labels")
    refused(post(emulator, audio, {"timestamps": "yes"}), 400, "config.timestamps")
    refused(post(emulator, audio, {"llm_instruction": "Summarise"}), 400, "llm_instruction")  # dictation's, not sync's
    refused(post(emulator, audio, {"prompt": "x" * 6001}), 400, "config.prompt", "6,000")


def test_the_limits_are_refused_by_name(emulator: Emulator) -> None:
    long = silence(121)
    refused(post(emulator, long), 400, "121.0 s", "120 s")
    body = refused(post(emulator, silence(2, width=1)), 400, "8-bit", "16-bit")
    assert body["title"] == "Bad Audio"
    mp3 = (ROOT / "data" / "audio" / "clip-fr.mp3").read_bytes()
    refused(post(emulator, mp3), 400, "not a WAV file")
    huge = silence(0.1)[:44] + bytes(41 * 1024 * 1024)
    assert refused(post(emulator, huge), 413, "40 MB")["title"] == "Audio Too Large"
    refused(post(emulator, silence(5)), 400, "no script for this audio")


def test_raw_pcm_is_measured_with_its_sample_rate(emulator: Emulator, wavs: dict[str, Path]) -> None:
    pcm = wavs["clip-fr"].read_bytes()[44:]  # ffmpeg's 16-bit mono WAV: a 44-byte header, then S16LE
    config = {"sample_rate": 16000, "channels": 1}
    answer = post(emulator, pcm, config, "/v1/transcribe/live", content_type="audio/pcm")
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] and abs(answer.json()["audio_duration_ms"] - script("clip-fr").duration_ms) < 150
    refused(post(emulator, pcm, {}, "/v1/transcribe/live", content_type="audio/pcm"), 400, "sample_rate")
    refused(post(emulator, pcm, None, "/v1/transcribe/live", content_type="audio/pcm"), 400, "config part before")


def test_answers_are_checked_against_the_sdks_models() -> None:
    url = "https://sync.assemblyai.com/v1/transcribe/live"
    good = {"text": "a", "words": [], "confidence": 0.9, "audio_duration_ms": 1, "session_id": "s"}
    sync_dictation.validate_response(url, 200, good)
    from tools import spec

    with pytest.raises(spec.SpecViolation, match="cannot parse"):
        sync_dictation.validate_response(url, 200, {"text": "a"})
    with pytest.raises(spec.SpecViolation, match="llm_response"):
        sync_dictation.validate_response(url, 200, {**good, "llm_response": None})  # dictation's key on sync
    with pytest.raises(spec.SpecViolation, match="problem details"):
        sync_dictation.validate_response(url, 400, {"error": "x"})


# --- Dictation -------------------------------------------------------------------------------------------


def test_dictation_rewrites_from_a_reference_answer(sdk: Emulator, wavs: dict[str, Path]) -> None:
    config = aai.DictationConfig(llm_instruction=INSTRUCTION)
    result = aai.DictationTranscriber().transcribe_live(str(wavs["clip-es"]), config)
    assert result.llm_response == REWRITE and result.llm_error is None
    assert "mensajeria" in result.text.split() and result.final_text == REWRITE
    assert result.sync_time_ms and result.request_time_ms > result.sync_time_ms


def test_dictation_without_a_reference_rewrite_reports_llm_error(
    sdk: Emulator, wavs: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    transcriber = aai.DictationTranscriber()
    smart = aai.DictationConfig(llm_instruction=INSTRUCTION, rewrite_mode="smart")  # written for fast only
    other = aai.DictationConfig(llm_instruction="Turn this into a haiku.")
    for config in (smart, other):
        result = transcriber.transcribe_live(str(wavs["clip-es"]), config)
        assert result.llm_response is None and result.text, config
        assert result.llm_error == "error", "the documented code of a pass that returned nothing usable"
        assert result.final_text == result.text
    logged = caplog.text
    assert "no reference rewrite of 'clip-es'" in logged and "'smart'" in logged, "the log says what to write"
    plain = transcriber.transcribe_live(str(wavs["clip-es"]))  # no instruction: the default cleanup runs
    assert plain.llm_response == plain.text and plain.llm_error is None, "nothing to clean in synthesised speech"


def test_dictation_config_shapes_the_transcript(sdk: Emulator, wavs: dict[str, Path]) -> None:
    transcriber = aai.DictationTranscriber()
    keyed = transcriber.transcribe_live(str(wavs["clip-es"]), aai.DictationConfig(keyterms_prompt=["mensajería"]))
    assert "mensajería" in keyed.text.split()
    prompt = aai.DictationConfig(stt_prompt="Empresa de mensajería.")
    prompted = transcriber.transcribe_live(str(wavs["clip-es"]), prompt)
    assert "mensajería" in prompted.text.split()
    with pytest.raises(aai.DictationError, match="language_codes.*'es'"):
        transcriber.transcribe_live(str(wavs["clip-es"]), aai.DictationConfig(language_codes=["de"]))


def test_dictation_refuses_what_it_does_not_take(emulator: Emulator, wavs: dict[str, Path]) -> None:
    audio = wavs["clip-es"].read_bytes()
    live = "/v1/transcribe/live"
    refused(post(emulator, audio, {"timestamps": True}, live, headers={}), 400, "timestamps", "Dictation API")
    mp3 = (ROOT / "data" / "audio" / "clip-es.mp3").read_bytes()
    refused(post(emulator, mp3, {}, live, headers={}, content_type="audio/mpeg"), 400, "audio/mpeg")
    refused(post(emulator, audio, {"rewrite_mode": "slow"}, live, headers={}), 400, "rewrite_mode")
    refused(post(emulator, audio, {}, live, headers={}, key="wrong"), 401, "API token missing/invalid")
    host = {"Host": "dictation.assemblyai.com"}  # the host decides, whatever headers come with it
    assert post(emulator, audio, {}, live, headers={**host, **MODEL}).json()["sync_time_ms"]
