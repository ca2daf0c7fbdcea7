"""The emulator answers like the real API: driven by the real SDK and by plain requests, every
response validates against the official specs and parses with the SDK, and it refuses what the
API refuses."""

import json
from pathlib import Path

import assemblyai as aai
import pytest
import requests

from cookbook_utils import config
from cookbook_utils.yamlio import load_yaml
from tests.emulator.support import checked_emulator, scripts_folder, wait
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-test-key-0123456789abcdef"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The shipped timing files plus a reference answer for notebook 'demo'."""
    folder = scripts_folder(tmp_path_factory)
    (folder / "answers" / "demo").mkdir(parents=True)
    (folder / "answers" / "demo" / "1.md").write_text("A reference answer.")
    (folder / "answers" / "demo" / "answers.yaml").write_text("1: {transcripts: []}\n")
    return folder


@pytest.fixture
def emulator(data_dir):
    with checked_emulator(KEY, notebook="demo", data_dir=data_dir) as running:
        yield running


def _post(emulator, path, key=KEY, **kwargs):
    return requests.post(f"{emulator.base_url}{path}", headers={"authorization": key}, timeout=10, **kwargs)


def _get(emulator, path, key=KEY):
    return requests.get(f"{emulator.base_url}{path}", headers={"authorization": key}, timeout=10)


def _wait(emulator, transcript_id):
    return wait(emulator, transcript_id, key=KEY)


def _script(name):
    return load_yaml((ROOT / "data" / "scripts" / f"{name}.yaml").read_text())


def test_sdk_round_trip_with_speaker_labels(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS, speaker_labels=True)
    transcript = aai.Transcriber(config=config).transcribe(str(ROOT / "data" / "audio" / "team-meeting.mp3"))
    assert transcript.status == aai.TranscriptStatus.completed, transcript.error
    script = _script("team-meeting")
    # The API's letters are the emulator's mapping of the script's: by voice pitch, lowest first.
    by_pitch = sorted(script["speakers"], key=lambda label: script["speakers"][label]["pitch"])
    letter = {label: "ABCD"[n] for n, label in enumerate(by_pitch)}
    assert letter == {"A": "D", "B": "A", "C": "C", "D": "B"}
    assert [u.speaker for u in transcript.utterances] == [letter[t["speaker"]] for t in script["turns"]]
    assert transcript.utterances[0].speaker != "A"
    # The words are the script's, except where the script says the model writes them otherwise.
    timing = json.loads((ROOT / "data" / "scripts" / "team-meeting.timing.json").read_text())
    spoken = [w["text"] for w in timing["words"]]
    for span in reversed(timing["written"]):
        written = span["text"].split()
        written[-1] += spoken[span["last"]][len(spoken[span["last"]].rstrip(".,?!")) :]
        spoken[span["first"] : span["last"] + 1] = written
    assert transcript.text.split() == spoken
    assert transcript.json_response["speech_model_used"] == MODELS[0]
    assert len(transcript.get_sentences()) > len(script["turns"])
    paragraphs = transcript.get_paragraphs()
    assert 1 < len(paragraphs) < len(script["turns"])  # a paragraph is no longer cut at every turn
    assert any(len({w.speaker for w in paragraph.words}) > 1 for paragraph in paragraphs)
    srt = transcript.export_subtitles_srt(chars_per_caption=32)
    assert srt.startswith("1\n00:00:00,000 --> ") and all(len(line) <= 32 for line in srt.splitlines()[2::4])
    assert transcript.export_subtitles_vtt().startswith("WEBVTT\n\n")
    matches = transcript.word_search(["release"])
    assert matches[0].count == sum(t["text"].lower().count("release") for t in script["turns"])
    # What the SDK received parses with its own model.
    aai.types.TranscriptResponse.parse_obj(transcript.json_response)


def test_every_transcript_state_follows_the_spec_and_the_sdk(emulator):
    upload = _post(emulator, "/v2/upload", data=(ROOT / "data" / "audio" / "support-call.mp3").read_bytes()).json()
    body = {"audio_url": upload["upload_url"], "speech_models": MODELS, "audio_end_at": 20_000}
    created = _post(emulator, "/v2/transcript", json=body)
    states = [created.json()["status"]]
    for _ in range(2):
        response = _get(emulator, f"/v2/transcript/{created.json()['id']}")
        states.append(response.json()["status"])
        spec.validate_response(
            "GET", f"https://api.assemblyai.com/v2/transcript/{created.json()['id']}", 200, response.json()
        )
        aai.types.TranscriptResponse.parse_obj(response.json())
    # No processing time by default: queued when submitted, completed at the first poll.
    assert states == ["queued", "completed", "completed"]
    result = response.json()
    assert result["utterances"] is None and all(w["speaker"] is None for w in result["words"])
    assert max(w["end"] for w in result["words"]) <= 20_000
    listed = _get(emulator, "/v2/transcript?limit=5").json()
    assert listed["transcripts"][0]["id"] == result["id"]
    deleted = requests.delete(
        f"{emulator.base_url}/v2/transcript/{result['id']}", headers={"authorization": KEY}, timeout=10
    )
    assert deleted.json()["text"] == "Deleted by user."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"audio_url": "https://example.com/a.mp3", "audio_start_from": "soon"}, "is not of type"),
        (
            {"audio_url": "https://example.com/a.mp3", "speech_models": MODELS, "speaker_names": True},
            "'speaker_names' was unexpected",
        ),
        (
            {"audio_url": "https://example.com/a.mp3", "speech_models": MODELS, "speaker_labels": "yes"},
            "is not of type 'boolean'",
        ),
    ],
)
def test_invalid_bodies_are_refused(emulator, body, message):
    response = _post(emulator, "/v2/transcript", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bad_key_is_refused(emulator):
    response = _get(emulator, "/v2/transcript", key="wrong")
    assert response.status_code == 401
    assert response.json() == {"error": "Authentication error, API token missing/invalid"}


def test_unknown_transcript_id(emulator):
    response = _get(emulator, "/v2/transcript/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 400 and "transcript id not found" in response.json()["error"]


def test_language_outside_the_models(emulator):
    body = {
        "audio_url": "https://example.com/support-call.mp3",
        "speech_models": ["universal-3-5-pro"],
        "language_code": "ko",  # not among Universal-3.5 Pro's 18
    }
    result = _wait(emulator, _post(emulator, "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "error" and "do not support the language 'ko'" in result["error"]


def test_ids_are_deterministic(data_dir):
    from tools.emulator import Emulator

    ids = []
    for _ in range(2):
        with Emulator(api_key=KEY, data_dir=data_dir) as running:
            body = {"audio_url": "https://example.com/support-call.mp3", "speech_models": MODELS}
            ids.append(_post(running, "/v2/transcript", json=body).json()["id"])
    assert ids[0] == ids[1]


def test_gateway_models_and_reference_answers(sdk):
    from assemblyai.llm_gateway.v1 import models as gateway_models

    listed = _get(sdk, "/v1/models").json()
    gateway_models.LLMGatewayModelList.parse_obj(listed)
    body = {"model": listed["data"][0]["id"], "messages": [{"role": "user", "content": "Summarise the call."}]}
    reply = _post(sdk, "/v1/chat/completions", json=body)
    assert reply.status_code == 200
    assert reply.json()["choices"][0]["message"]["content"] == "A reference answer."
    missing = _post(sdk, "/v1/chat/completions", json=body)
    assert missing.status_code == 400 and "answers/demo/2.md" in missing.json()["metadata"]["errors"][0]
    bad = _post(sdk, "/v1/chat/completions", json={"messages": []})
    assert bad.status_code == 400 and "'model' is a required property" in bad.json()["metadata"]["errors"][0]


def test_language_detection_and_the_built_in_fallback(emulator):
    pro = ["universal-3-5-pro", "universal-2"]  # Hindi is one of Universal-3.5 Pro's 18 (live, 2026-09-24)
    body = {"audio_url": "https://example.com/clip-hi.mp3", "speech_models": pro, "language_detection": True}
    result = _wait(emulator, _post(emulator, "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "completed"
    assert result["language_code"] == "hi" and 0 < result["language_confidence"] <= 1
    assert result["speech_model_used"] == "universal-3-5-pro"
    body["speech_models"] = MODELS
    body["audio_url"] = "https://example.com/clip-es.mp3"
    assert _wait(emulator, _post(emulator, "/v2/transcript", json=body).json()["id"])["speech_model_used"] == MODELS[0]


def test_language_confidence_threshold(emulator):
    body = {"audio_url": "https://example.com/clip-fr.mp3", "speech_models": MODELS, "language_detection": True}
    score = _wait(emulator, _post(emulator, "/v2/transcript", json=body).json()["id"])["language_confidence"]
    strict = _wait(
        emulator,
        _post(emulator, "/v2/transcript", json={**body, "language_confidence_threshold": score + 0.01}).json()["id"],
    )
    assert strict["status"] == "error" and "below the requested confidence threshold value" in strict["error"]
    assert strict["language_code"] == "fr" and strict["language_confidence"] == score
    lenient = _wait(
        emulator,
        _post(emulator, "/v2/transcript", json={**body, "language_confidence_threshold": score - 0.01}).json()["id"],
    )
    assert lenient["status"] == "completed"
