"""The transcript parameters of 2026 in the emulator: prompt and key-term limits and effects,
temperature, remove_audio_tags, Medical Mode, unredacted fields, static entities, the finer PII
policies, and the refused understanding tasks; through plain requests and, where SDK 1.8.2 has
the field, through ``aai.TranscriptionConfig``. Every response is checked against the spec."""

import json
from pathlib import Path

import assemblyai as aai
import pytest
import requests

from tests.emulator.support import call
from tools import spec
from tools.emulator import errors, redaction

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-params-key-0123456789ab"
PRO = ["universal-3-5-pro", "universal-2"]
AUDIO = ROOT / "data" / "audio"
MEDICAL = {"drug", "medical_condition", "medical_process", "injury", "blood_type", "organization_medical_facility"}


@pytest.fixture
def emulator(keyed_emulator):
    return keyed_emulator


def _submit(emulator, audio="support-call.mp3", models=PRO, **params):
    return call(emulator, "POST", "/v2/transcript", KEY, json={"audio_url": audio, "speech_models": models, **params})


def _get(emulator, path):
    response = call(emulator, "GET", path, KEY)
    assert response.status_code == 200, response.text
    return response


def _transcribe(emulator, audio="support-call.mp3", models=PRO, **params):
    response = _submit(emulator, audio, models, **params)
    assert response.status_code == 200, response.text
    for _ in range(5):
        result = _get(emulator, f"/v2/transcript/{response.json()['id']}").json()
        if result["status"] in {"completed", "error"}:
            assert result["status"] == "completed", result.get("error")
            return result
    raise AssertionError("the transcript never finished")


def _refused(emulator, **params) -> str:
    before = _get(emulator, "/v2/transcript").json()["transcripts"]
    response = _submit(emulator, **params)
    assert response.status_code == 400, response.text
    assert _get(emulator, "/v2/transcript").json()["transcripts"] == before  # nothing was created
    return response.json()["error"]


def _timings():
    return [json.loads(p.read_text()) for p in sorted((ROOT / "data" / "scripts").glob("*.timing.json"))]


# --- prompt and keyterms_prompt -----------------------------------------------------------------


def test_a_prompt_naming_the_correct_words_restores_a_mishearing(sdk):
    plain = _transcribe(sdk)["text"]
    assert "Larkspar Books" in plain
    config = aai.TranscriptionConfig(speech_models=PRO, prompt="A call to the Larkspur Books help line.")
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "support-call.mp3"))
    assert "Larkspur Books" in transcript.text and "Larkspar" not in transcript.text
    assert transcript.json_response["prompt"] == config.prompt
    assert transcript.text.replace("Larkspur", "Larkspar") == plain  # nothing else changes
    other = _transcribe(sdk, prompt="A customer calls a bookshop about a double payment.")
    assert other["text"] == plain  # a prompt without the correct words changes nothing


def test_prompt_and_keyterms_together(emulator):
    result = _transcribe(emulator, "clinic-visit.mp3", prompt="Patient: Whitfield.", keyterms_prompt=["Larkspur"])
    assert "Whitfield" in result["text"] and "Whitfeld" not in result["text"]
    assert result["keyterms_prompt"] == ["Larkspur"]


def test_universal_2_writes_without_the_prompt(emulator):
    result = _transcribe(emulator, models=["universal-2"], prompt="Larkspur Books")
    assert "Larkspar Books" in result["text"]
    assert result["speech_model_used"] == "universal-2"
    keyterm = _transcribe(emulator, models=["universal-2"], keyterms_prompt=["Larkspur"])
    assert "Larkspur Books" in keyterm["text"]  # Universal-2 takes key terms


def test_a_prompt_over_1500_words_is_refused(emulator):
    assert _transcribe(emulator, prompt=" ".join(["word"] * 1500))["status"] == "completed"
    error = _refused(emulator, prompt=" ".join(["word"] * 1501))
    assert error == errors.text("prompt_too_long", words=1501, limit=1500) and "1,500 words" in error


def test_keyterm_limits_name_the_limit(emulator):
    terms = [f"term{n}" for n in range(201)]
    assert "at most 200" in _refused(emulator, models=["universal-2"], keyterms_prompt=terms)
    assert _transcribe(emulator, keyterms_prompt=terms)["status"] == "completed"  # U3.5 Pro takes 1000
    assert "at most 1000" in _refused(emulator, keyterms_prompt=[f"term{n}" for n in range(1001)])
    error = _refused(emulator, keyterms_prompt=["one two three four five six seven"])
    assert "at most 6 words" in error and "one two three" in error
    assert _transcribe(emulator, keyterms_prompt=["one two three four five six"])["status"] == "completed"


# --- temperature and remove_audio_tags ----------------------------------------------------------


def test_temperature_other_than_0_is_refused_by_name_through_the_sdk(sdk):
    config = aai.TranscriptionConfig(speech_models=PRO, temperature=0.3)
    with pytest.raises(aai.types.TranscriptError, match="does not emulate `temperature`.*no sampling"):
        aai.Transcriber(config=config).transcribe(str(AUDIO / "support-call.mp3"))


@pytest.mark.parametrize("value", ["all", "speaker"])
def test_remove_audio_tags_leaves_the_words(sdk, value):
    plain = _transcribe(sdk)
    config = aai.TranscriptionConfig(speech_models=PRO, remove_audio_tags=value)
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "support-call.mp3"))
    assert transcript.text == plain["text"]
    assert transcript.json_response["remove_audio_tags"] == value


def test_remove_audio_tags_outside_the_enum_is_refused(emulator):
    response = _submit(emulator, remove_audio_tags="music")
    assert response.status_code == 400


def test_no_script_holds_audio_tags():
    """remove_audio_tags is emulated as having nothing to remove."""
    for timing in _timings():
        assert not any(w["text"].startswith(("[", "(")) for w in timing["words"]), timing["name"]


# --- Medical Mode -------------------------------------------------------------------------------


def test_medical_mode_in_english_changes_no_word_and_warns_of_nothing(sdk):
    plain = _transcribe(sdk, "clinic-visit.mp3")
    config = aai.TranscriptionConfig(speech_models=PRO, domain="medical-v1")
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "clinic-visit.mp3"))
    assert transcript.text == plain["text"] and "salbutamol" in transcript.text
    assert transcript.json_response["domain"] == "medical-v1"
    assert transcript.json_response.get("metadata") is None


def test_medical_mode_in_another_language_is_skipped_with_the_documented_warning(sdk):
    config = aai.TranscriptionConfig(speech_models=PRO, domain="medical-v1", language_detection=True)
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "clip-hi.mp3"))
    assert transcript.status == aai.TranscriptStatus.completed, transcript.error
    message = "Skipped medical-v1 domain correction because the language is not supported"
    assert errors.MESSAGES["medical_mode_skipped"].verbatim
    parsed = aai.types.TranscriptResponse.model_validate(transcript.json_response)  # as the SDK reads it
    assert [w.message for w in parsed.metadata.warnings] == [message]
    assert transcript.json_response["metadata"]["warnings"] == [{"message": message}]
    es = _transcribe(sdk, "clip-es.mp3", domain="medical-v1", language_detection=True)
    assert es["language_code"] == "es" and "metadata" not in es


def test_no_scripts_medical_term_is_misheard():
    """Medical Mode changes no word only while no script mishears a medical term."""
    for timing in _timings():
        medical = [e for e in timing.get("entities", []) if e["type"] in MEDICAL]
        for span in timing.get("written", []):
            if not span["formatting"]:
                assert not any(span["first"] <= e["last"] and e["first"] <= span["last"] for e in medical)


# --- unredacted fields, static entities and the finer PII policies --------------------------------


def test_unredacted_fields_beside_the_redacted_ones(sdk):
    plain = _transcribe(sdk, speaker_labels=True)
    config = aai.TranscriptionConfig(speech_models=PRO, speaker_labels=True).set_redact_pii(
        policies=[aai.PIIRedactionPolicy.person_name], return_unredacted=True
    )
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "support-call.mp3"))
    body = transcript.json_response
    assert "Tom Becker" not in transcript.text and body["redact_pii_return_unredacted"] is True
    assert body["unredacted_text"] == plain["text"] and "Tom Becker" in body["unredacted_text"]

    def spans(items):
        return [(item["text"], item["start"], item["end"], item["speaker"]) for item in items]

    assert spans(body["unredacted_words"]) == spans(plain["words"])
    assert spans(body["unredacted_utterances"]) == spans(plain["utterances"])
    assert all("Tom" not in u.text for u in transcript.utterances)
    without = _transcribe(sdk, redact_pii=True, redact_pii_policies=["person_name"])
    assert "unredacted_text" not in without


@pytest.mark.parametrize(
    "params",
    [{"redact_pii_return_unredacted": True}, {"redact_static_entities": {"SHOP": ["Larkspar"]}}],
)
def test_the_new_redaction_options_need_redact_pii(emulator, params):
    error = _refused(emulator, **params)
    assert error == errors.text("needs_redact_pii", name=next(iter(params)))


def test_static_entities_are_redacted_in_every_output(emulator):
    terms = {"BOOKSHOP": ["lark-spar books"], "internal tool": ["Refund Desk"]}
    hashed = _transcribe(emulator, redact_pii=True, redact_pii_policies=["person_name"], redact_static_entities=terms)
    assert "Larkspar" not in hashed["text"] and "######## #####," in hashed["text"]
    named = _transcribe(
        emulator,
        redact_pii=True,
        redact_pii_policies=["person_name"],
        redact_pii_sub="entity_name",
        redact_static_entities=terms,
    )
    assert "calling [BOOKSHOP], this is [PERSON_NAME]." in named["text"]
    srt = _get(emulator, f"/v2/transcript/{named['id']}/srt").text
    assert "[BOOKSHOP]" in srt and "Larkspar" not in srt


def test_location_policies_match_the_annotated_kind(emulator):
    def redacted(policy):
        return _transcribe(
            emulator, "podcast-clip.mp3", redact_pii=True, redact_pii_policies=[policy], redact_pii_sub="entity_name"
        )["text"]

    city, street, every = redacted("location_city"), redacted("location_address_street"), redacted("location")
    assert "workshop in [LOCATION_CITY]." in city and "Park Lane" in city
    assert "on [LOCATION_ADDRESS_STREET]." in street and "Leeds" in street
    assert "[LOCATION]." in every and "Leeds" not in every and "Park Lane" not in every
    for policy in ("gender", "sexuality", "location_zip", "location_country"):
        assert redacted(policy) == _transcribe(emulator, "podcast-clip.mp3")["text"]


def test_medical_facility_policy_and_entity_detection_keep_the_annotated_type(emulator):
    result = _transcribe(
        emulator,
        "clip-hi.mp3",
        language_detection=True,
        entity_detection=True,
        redact_pii=True,
        redact_pii_policies=["organization_medical_facility"],
        redact_pii_sub="entity_name",
    )
    assert "[ORGANIZATION_MEDICAL_FACILITY]" in result["text"] and "सिटी" not in result["text"]
    types = [e["entity_type"] for e in result["entities"]]
    assert types[0] == "organization" and "organization_medical_facility" not in types


def test_every_annotated_location_and_facility_has_a_subtype():
    for timing in _timings():
        for entity in timing.get("entities", []):
            said = " ".join(redaction.bare(w["text"]) for w in timing["words"][entity["first"] : entity["last"] + 1])
            if entity["type"] == "location" or "clinic" in said or "क्लिनिक" in said:
                assert (entity["type"], said) in redaction.SUBTYPES, (timing["name"], said)


# --- speech understanding's summarization and action_items ------------------------------------


@pytest.mark.parametrize(
    ("task", "config"),
    [("summarization", {"summary_type": "bullets"}), ("action_items", {"include_decisions": True})],
)
def test_summaries_and_action_items_are_refused_with_why(emulator, task, config):
    error = _refused(emulator, speech_understanding={"request": {task: config}})
    assert f"does not emulate `speech_understanding.request.{task}`: here and in" in error
    transcript_id = _transcribe(emulator)["id"]
    body = {"transcript_id": transcript_id, "speech_understanding": {"request": {task: config}}}
    response = requests.post(
        f"{emulator.base_url}/v1/understanding", json=body, headers={"authorization": KEY}, timeout=10
    )
    # Refused by name before the gateway's spec (March 2026, which has no such task) is checked.
    assert response.status_code == 400
    assert response.json()["metadata"]["errors"][0].startswith(f"{task} is not emulated: no reference")
