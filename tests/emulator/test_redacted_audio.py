"""redact_pii_audio: GET /v2/transcript/{id}/redacted-audio answers as the spec says, and the file at its
redacted_audio_url is the shipped audio with every redacted word's span beeped or silenced."""

from __future__ import annotations

import io
import subprocess
import wave

import assemblyai as aai
import numpy as np
import pytest
import requests

from tests.emulator.support import AUDIO_URL, MODELS, ROOT, call, submit, wait
from tools.emulator import redacted_audio

PII = {"redact_pii": True, "redact_pii_policies": ["person_name"], "redact_pii_audio": True}


def _download(emulator, url: str) -> requests.Response:
    """The file at a redacted_audio_url, from the stand-in for its host (no API key)."""
    base = emulator.stand_ins[redacted_audio.HOST]
    assert url.startswith(f"https://{redacted_audio.HOST}{redacted_audio.PREFIX}")
    return requests.get(base + url.split(redacted_audio.HOST, 1)[1], timeout=30)


def _samples(data: bytes) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", "-", "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768


def _rms(samples: np.ndarray, start: int, end: int) -> float:
    part = samples[start * 16 + 320 : end * 16 - 320]  # 20 ms in from each edge
    return float(np.sqrt(np.mean(part**2)))


def _redacted(emulator, **extra) -> tuple[dict, dict]:
    done = wait(emulator, submit(emulator, **PII, **extra)["id"])
    answer = call(emulator, "GET", f"/v2/transcript/{done['id']}/redacted-audio")
    assert answer.status_code == 200, answer.text
    return done, answer.json()


def test_the_answer_follows_the_spec_and_names_no_port(emulator):
    done, answer = _redacted(emulator)
    assert answer["status"] == "redacted_audio_ready"
    assert answer["redacted_audio_url"] == f"https://{redacted_audio.HOST}{redacted_audio.PREFIX}{done['id']}.mp3"
    assert done["redact_pii_audio"] is True  # echoed, as the Transcript schema has it


def test_the_beeped_file_masks_every_redacted_span_and_keeps_the_rest(emulator):
    done, answer = _redacted(emulator)
    download = _download(emulator, answer["redacted_audio_url"])
    assert download.status_code == 200 and download.headers["content-type"] == "audio/mpeg"
    beeped, original = _samples(download.content), _samples((ROOT / "data/audio/support-call.mp3").read_bytes())
    spans = redacted_audio.spans(done["words"])
    assert len(spans) >= 3  # Maya, Tom Becker, Tom...
    for start, end in spans:
        part = beeped[start * 16 + 320 : end * 16 - 320]
        spectrum = np.abs(np.fft.rfft(part)) ** 2
        peak = np.argmax(spectrum) * 16000 / len(part)
        assert abs(peak - redacted_audio.BEEP_HZ) < 20, (start, peak)
    first = spans[0][0]
    assert np.corrcoef(beeped[: first * 16], original[: first * 16])[0, 1] > 0.9  # untouched before


def test_placeholders_are_found_with_their_punctuation():
    assert all(map(redacted_audio.is_redacted, ["####", "####.", "[PERSON_NAME]", "[PERSON_NAME].", "[ORDER]?"]))
    assert not any(map(redacted_audio.is_redacted, ["Tom", "[note", "#1"]))


@pytest.mark.parametrize("sub", ["hash", "entity_name"])
def test_silence_and_wav(emulator, sub):
    options = {"override_audio_redaction_method": "silence"}
    done, answer = _redacted(
        emulator, redact_pii_audio_quality="wav", redact_pii_audio_options=options, redact_pii_sub=sub
    )
    assert len(redacted_audio.spans(done["words"])) >= 3
    assert answer["redacted_audio_url"].endswith(".wav")
    download = _download(emulator, answer["redacted_audio_url"])
    assert download.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(download.content)) as file:
        assert file.getframerate() == 16000
    silent = _samples(download.content)
    for start, end in redacted_audio.spans(done["words"]):
        assert _rms(silent, start, end) == 0.0


def test_static_entities_are_masked_too(emulator):
    plain = wait(emulator, submit(emulator, redact_pii=True, redact_pii_policies=["person_name"])["id"])
    done, _ = _redacted(emulator, redact_static_entities={"order": ["LK77193"]})
    index = next(i for i, w in enumerate(plain["words"]) if w["text"].startswith("LK77193"))
    assert done["words"][index]["text"].startswith("#######")
    assert (done["words"][index]["start"], done["words"][index]["end"]) in redacted_audio.spans(done["words"])


def test_without_redact_pii_audio_there_is_none(emulator):
    done = wait(emulator, submit(emulator, redact_pii=True, redact_pii_policies=["person_name"])["id"])
    answer = call(emulator, "GET", f"/v2/transcript/{done['id']}/redacted-audio")
    assert answer.status_code == 400 and "redact_pii_audio" in answer.json()["error"]
    path = f"{redacted_audio.PREFIX}{done['id']}.mp3"
    assert requests.get(emulator.stand_ins[redacted_audio.HOST] + path, timeout=10).status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"redact_pii_audio": True}, "redact_pii_audio requires redact_pii"),
        ({**PII, "webhook_url": "http://127.0.0.1:9/hook"}, "does not send the redacted-audio notification"),
    ],
)
def test_refusals(emulator, body, words):
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": MODELS, **body})
    assert response.status_code == 400 and words in response.json()["error"]


def test_the_sdk_saves_the_file(sdk, tmp_path, monkeypatch):
    from cookbook_utils import session

    monkeypatch.setattr(session, "_routes", {})
    session._route_real_hosts({redacted_audio.HOST: sdk.stand_ins[redacted_audio.HOST]})
    config = aai.TranscriptionConfig(speech_models=MODELS).set_redact_pii(
        policies=[aai.PIIRedactionPolicy.person_name], redact_audio=True
    )
    transcript = aai.Transcriber(config=config).transcribe(str(ROOT / "data/audio/support-call.mp3"))
    transcript.save_redacted_audio(str(tmp_path / "redacted.mp3"))
    assert len(_samples((tmp_path / "redacted.mp3").read_bytes())) > 16000 * 30
