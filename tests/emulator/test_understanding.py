"""Speaker identification in the emulator's ``POST /v1/understanding``: names and roles from the
conversation scripts mapped onto the transcript's speaker labels, through plain requests and the
SDK, every response checked against the gateway spec; what it cannot answer refused clearly."""

from pathlib import Path

import assemblyai as aai
import pytest
import requests

from cookbook_utils import config
from tests.emulator.support import point_sdk
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "understanding-test-key-0123456789ab"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter
URL = "https://llm-gateway.assemblyai.com/v1/understanding"


@pytest.fixture
def emulator(keyed_emulator):
    return keyed_emulator


def _transcribe(emulator, name: str, speaker_labels: bool = True, poll: bool = True) -> str:
    body = {"audio_url": f"https://example.com/{name}.mp3", "speech_models": MODELS, "speaker_labels": speaker_labels}
    headers = {"authorization": KEY}
    transcript_id = requests.post(f"{emulator.base_url}/v2/transcript", headers=headers, json=body, timeout=10).json()[
        "id"
    ]
    for _ in range(20 if poll else 0):
        result = requests.get(f"{emulator.base_url}/v2/transcript/{transcript_id}", headers=headers, timeout=10).json()
        if result["status"] in ("completed", "error"):
            break
    return transcript_id


def _understand(emulator, transcript_id: str, request: dict, **extra):
    body = {"transcript_id": transcript_id, "speech_understanding": {"request": request}, **extra}
    return requests.post(f"{emulator.base_url}/v1/understanding", headers={"authorization": KEY}, json=body, timeout=10)


def _identify(emulator, transcript_id: str, **config):
    return _understand(emulator, transcript_id, {"speaker_identification": config})


def _error(reply) -> str:
    assert reply.status_code == 400, reply.text[:300]
    return reply.json()["metadata"]["errors"][0]


def test_roles_from_the_script_replace_the_labels(emulator):
    transcript_id = _transcribe(emulator, "support-call")
    reply = _identify(emulator, transcript_id, speaker_type="role", known_values=["Customer", "Agent"])
    assert reply.status_code == 200, reply.text[:300]
    body = reply.json()
    spec.validate_response("POST", URL, 200, body)
    identified = body["speech_understanding"]["response"]["speaker_identification"]
    # The API's letters go by voice pitch, lowest first: the customer (pitch 28) is A, the agent B.
    assert identified == {"mapping": {"A": "Customer", "B": "Agent"}, "status": "success"}
    assert body["speech_understanding"]["request"]["speaker_identification"]["known_values"] == ["Customer", "Agent"]
    assert {u["speaker"] for u in body["utterances"]} == {"Agent", "Customer"}
    assert all(w["speaker"] == u["speaker"] for u in body["utterances"] for w in u["words"])
    assert body["words"] and {w["speaker"] for w in body["words"]} == {"Agent", "Customer"}
    assert body["utterances"][0]["text"].startswith("Thank you for calling")
    original = requests.get(f"{emulator.base_url}/v2/transcript/{transcript_id}", headers={"authorization": KEY})
    assert {u["speaker"] for u in original.json()["utterances"]} == {"A", "B"}  # the transcript is unchanged


def test_names_with_speaker_descriptions_through_the_sdk(emulator, monkeypatch):
    point_sdk(monkeypatch, emulator, KEY)
    transcript_id = _transcribe(emulator, "podcast-clip")
    speakers = [
        {"name": "Priya", "description": "Hosts the show and asks the questions"},
        {"name": "Ollie", "description": "The guest", "company": "a bakery"},
    ]
    result = aai.LLMGateway().understanding.create(
        transcript_id=transcript_id,
        request={"speaker_identification": {"speaker_type": "name", "speakers": speakers}},
    )
    assert isinstance(result, aai.LLMGatewayUnderstandingResponse) and result.request_id
    mapping = result.speech_understanding["response"]["speaker_identification"]["mapping"]
    assert mapping == {"A": "Ollie", "B": "Priya"}  # Ollie's voice is the lower one
    assert {u["speaker"] for u in result.utterances} == {"Priya", "Ollie"}


def test_other_roles_in_the_script_fit_too(emulator):
    interview = _transcribe(emulator, "interview-freelancer")
    reply = _identify(emulator, interview, speaker_type="role", known_values=["Interviewer", "Interviewee"])
    assert reply.json()["speech_understanding"]["response"]["speaker_identification"]["mapping"] == {
        "A": "Interviewee",
        "B": "Interviewer",
    }
    call = _transcribe(emulator, "support-call")
    reply = _identify(emulator, call, speaker_type="role", speakers=[{"role": "Support"}, {"role": "Customer"}])
    assert reply.json()["speech_understanding"]["response"]["speaker_identification"]["mapping"] == {
        "A": "Customer",
        "B": "Support",
    }
    names = _identify(emulator, interview, speaker_type="name", known_values=["Interviewer"])
    assert "matches no name" in _error(names)  # other roles are roles, not names


def test_a_part_of_a_recording_uses_the_parts_own_labels(emulator):
    transcript_id = _transcribe(emulator, "bakery-planning-part2")
    reply = _identify(emulator, transcript_id, speaker_type="name", known_values=["Hannah", "Omar"])
    assert reply.json()["speech_understanding"]["response"]["speaker_identification"]["mapping"] == {
        "A": "Omar",
        "B": "Hannah",
    }
    roles = _identify(emulator, transcript_id, speaker_type="role", known_values=["owner", "operations lead"])
    assert roles.json()["speech_understanding"]["response"]["speaker_identification"]["mapping"] == {
        "A": "operations lead",
        "B": "owner",
    }


def test_names_without_values_come_from_names_said_in_the_conversation(emulator):
    transcript_id = _transcribe(emulator, "support-call")
    body = _identify(emulator, transcript_id, speaker_type="name").json()
    mapping = body["speech_understanding"]["response"]["speaker_identification"]["mapping"]
    assert mapping.get("B") == "Maya"  # she introduces herself (and opens the call as B)
    text = " ".join(u["text"] for u in body["utterances"]).lower()
    assert all(name.split()[0].lower() in text for name in mapping.values())


def test_values_that_match_no_script_speaker_are_refused(emulator):
    transcript_id = _transcribe(emulator, "support-call")
    message = _error(_identify(emulator, transcript_id, speaker_type="role", known_values=["Agent", "Supervisor"]))
    assert "['Supervisor']" in message and "data/scripts/support-call.yaml" in message
    meeting = _transcribe(emulator, "bakery-planning")  # an operations lead and a marketing lead
    ambiguous = _identify(emulator, meeting, speaker_type="role", known_values=["owner", "lead"])
    assert "'lead' fits more than one speaker of this recording (A, C)" in _error(ambiguous)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"speaker_type": "role"}, "known_values (or speakers) is required"),
        ({"speaker_type": "name", "known_values": ["Maya"], "speakers": [{"name": "Maya"}]}, "not both"),
        ({"speaker_type": "name", "known_values": ["M" * 36]}, "35 characters or less"),
        ({"speaker_type": "role", "speakers": [{"name": "Maya"}]}, "speakers[0] needs a 'role'"),
        ({"speaker_type": "name", "known_values": []}, "is empty"),
        ({"speaker_type": "name", "known_values": ["Maya", " "]}, "holds an empty value"),
        ({"speaker_type": "name", "effort": "low"}, "does not emulate effort"),
    ],
)
def test_malformed_requests_are_refused_clearly(emulator, config, expected):
    transcript_id = _transcribe(emulator, "support-call")
    assert expected in _error(_identify(emulator, transcript_id, **config))


def test_the_transcript_must_exist_be_completed_and_have_speaker_labels(emulator):
    unknown = _identify(emulator, "no-such-id", speaker_type="name")
    assert unknown.status_code == 404 and unknown.json()["message"] == "transcript not found"  # not the REST 400
    queued = _transcribe(emulator, "support-call", poll=False)
    reply = _identify(emulator, queued, speaker_type="name")
    if reply.status_code == 400:  # still queued or processing when asked
        assert "not completed" in _error(reply)
    unlabelled = _transcribe(emulator, "support-call", speaker_labels=False)
    assert "speaker_labels: true" in _error(_identify(emulator, unlabelled, speaker_type="name"))


def test_other_tasks_and_fields_are_refused_by_name(emulator):
    transcript_id = _transcribe(emulator, "support-call")
    formatting = _understand(emulator, transcript_id, {"custom_formatting": {"date": "mm/dd/yyyy"}})
    assert "custom_formatting is not emulated" in _error(formatting)
    extra = _understand(
        emulator, transcript_id, {"speaker_identification": {"speaker_type": "name"}}, webhook_url="https://x"
    )
    assert "does not emulate webhook_url" in _error(extra)
