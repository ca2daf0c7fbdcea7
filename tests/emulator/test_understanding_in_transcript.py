"""Speaker identification asked for in the transcript request itself (``speech_understanding`` in
``POST /v2/transcript``, the one-request form of the speaker identification page): the completed
transcript carries the roles or names in its utterances and words and the task's request and
response; refused at submission without ``speaker_labels`` or with a bad configuration; a role
that fits nobody in the script ends the transcript in an error that says so."""

import assemblyai as aai
import pytest

from tests.emulator.support import call
from tools import spec
from tools.emulator import errors

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

KEY = "emulator-su-transcript-key-0123456789"
MODELS = ["assemblyai-stt-3-7", "universal-2"]
ROLES = {"speaker_identification": {"speaker_type": "role", "known_values": ["doctor", "patient"]}}


@pytest.fixture
def emulator(keyed_emulator):
    return keyed_emulator


def _submit(emulator, request, **params):
    body = {"audio_url": "clinic-visit.mp3", "speech_models": MODELS, "speech_understanding": {"request": request}}
    return call(emulator, "POST", "/v2/transcript", KEY, json={**body, **params})


def _finished(emulator, transcript_id):
    for _ in range(20):
        result = call(emulator, "GET", f"/v2/transcript/{transcript_id}", KEY).json()
        if result["status"] in {"completed", "error"}:
            return result
    raise AssertionError("the transcript never finished")


def test_roles_replace_the_labels_in_one_request(emulator):
    submitted = _submit(emulator, ROLES, speaker_labels=True)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["speech_understanding"] == {"request": ROLES}
    result = _finished(emulator, submitted.json()["id"])
    assert result["status"] == "completed", result.get("error")
    answer = result["speech_understanding"]["response"]["speaker_identification"]
    assert answer["status"] == "success" and sorted(answer["mapping"].values()) == ["doctor", "patient"]
    assert result["utterances"][0]["speaker"] == "doctor"  # the doctor opens the visit
    assert {u["speaker"] for u in result["utterances"]} == {"doctor", "patient"}
    assert {w["speaker"] for w in result["words"]} == {"doctor", "patient"}
    assert "born on the ninth of March" in " ".join(
        u["text"] for u in result["utterances"] if u["speaker"] == "patient"
    )


def test_the_sdk_sends_and_reads_it(emulator):
    aai.settings.api_key, aai.settings.base_url = KEY, emulator.base_url
    config = aai.TranscriptionConfig(
        speech_models=MODELS,
        speaker_labels=True,
        speech_understanding={
            "request": {"speaker_identification": {"speaker_type": "role", "known_values": ["physician", "patient"]}}
        },
    )
    transcript = aai.Transcriber(config=config).transcribe("https://example.com/clinic-visit.mp3")
    assert transcript.status == aai.TranscriptStatus.completed, transcript.error
    assert {u.speaker for u in transcript.utterances} == {"physician", "patient"}  # the script's other_roles


def test_without_speaker_labels_it_is_refused_at_submission(emulator):
    response = _submit(emulator, ROLES)
    assert response.status_code == 400
    assert response.json()["error"] == errors.text("speaker_identification_needs_labels")


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"speaker_type": "role"}, "known_values"),
        ({"speaker_type": "role", "known_values": ["doctor", "x" * 36]}, "35 characters"),
        ({"speaker_type": "colour", "known_values": ["red"]}, "speaker_type"),
    ],
)
def test_a_bad_configuration_is_refused_at_submission(emulator, config, says):
    response = _submit(emulator, {"speaker_identification": config}, speaker_labels=True)
    assert response.status_code == 400 and says in response.json()["error"], response.text


def test_a_role_nobody_has_ends_the_transcript_in_error(emulator):
    request = {"speaker_identification": {"speaker_type": "role", "known_values": ["nurse", "patient"]}}
    submitted = _submit(emulator, request, speaker_labels=True)
    assert submitted.status_code == 200, submitted.text
    result = _finished(emulator, submitted.json()["id"])
    assert result["status"] == "error" and "nurse" in result["error"] and result["utterances"] is None


def test_other_tasks_stay_refused_in_the_transcript_request(emulator):
    response = _submit(emulator, {"translation": {"target_languages": ["es"]}}, speaker_labels=True)
    assert response.status_code == 400 and "speech_understanding.request.translation" in response.json()["error"]
