"""The emulator's speech-understanding translation: answers from the reference translations beside
the scripts, validated against the gateway spec, and refusals, by name, of what it cannot emulate."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from cookbook_utils import config
from cookbook_utils.yamlio import load_yaml
from tests.emulator.support import checked_emulator
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-test-key-translation"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter


@pytest.fixture(scope="module")
def emulator():
    with checked_emulator(KEY) as running:
        yield running


def _call(emulator, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(method, f"{emulator.base_url}{path}", headers={"authorization": KEY}, json=body, timeout=10)


def _transcript(emulator, name: str = "podcast-clip", **params) -> str:
    body = {"audio_url": f"https://example.com/{name}.mp3", "speech_models": MODELS, **params}
    transcript_id = _call(emulator, "POST", "/v2/transcript", body).json()["id"]
    for _ in range(5):
        result = _call(emulator, "GET", f"/v2/transcript/{transcript_id}").json()
        if result["status"] == "completed":
            return transcript_id
    raise AssertionError(f"transcript did not complete: {result}")


def _translate(emulator, transcript_id: str, **translation) -> requests.Response:
    body = {"transcript_id": transcript_id, "speech_understanding": {"request": {"translation": translation}}}
    return _call(emulator, "POST", "/v1/understanding", body)


def _reference(language: str, register: str = "formal") -> list[str]:
    return load_yaml((ROOT / "data" / "translations" / f"podcast-clip.{language}.yaml").read_text())[register]


def test_reference_translations_have_one_entry_per_turn():
    for path in sorted((ROOT / "data" / "translations").glob("*.yaml")):
        data = load_yaml(path.read_text())
        conversation, language = path.name.split(".")[:2]
        turns = load_yaml((ROOT / "data" / "scripts" / f"{conversation}.yaml").read_text())["turns"]
        assert (data["conversation"], data["language"]) == (conversation, language), path.name
        for register in ("formal", "informal"):
            if register in data:
                assert len(data[register]) == len(turns), f"{path.name}: {register} needs one entry per turn"
                assert all(isinstance(t, str) and t.strip() for t in data[register]), path.name


def test_translation_per_utterance_and_whole_text(emulator):
    transcript_id = _transcript(emulator, speaker_labels=True)
    response = _translate(emulator, transcript_id, target_languages=["es", "de"], match_original_utterance=True)
    assert response.status_code == 200, response.text
    result = response.json()
    spec.validate_response(
        "POST", "https://llm-gateway.assemblyai.com/v1/understanding", 200, result, "application/json"
    )
    assert result["speech_understanding"]["response"]["translation"]["status"] == "completed"
    assert result["translated_texts"]["es"] == " ".join(_reference("es"))
    assert result["translated_texts"]["de"] == " ".join(_reference("de"))
    # podcast-clip alternates speakers, so each utterance is one turn of the script.
    assert [u["translated_texts"]["de"] for u in result["utterances"]] == _reference("de")
    assert [u["speaker"] for u in result["utterances"]][:2] == ["B", "A"]  # the host's voice is the higher


def test_formal_false_gives_the_informal_register(emulator):
    transcript_id = _transcript(emulator, speaker_labels=True)
    formal = _translate(emulator, transcript_id, target_languages=["es"]).json()
    informal = _translate(emulator, transcript_id, target_languages=["es"], formal=False).json()
    assert formal["translated_texts"]["es"] != informal["translated_texts"]["es"]
    assert informal["translated_texts"]["es"] == " ".join(_reference("es", "informal"))
    assert "utterances" not in formal  # only with match_original_utterance


def test_a_span_of_the_audio_translates_only_its_turns(emulator):
    transcript_id = _transcript(emulator, speaker_labels=True, audio_end_at=12_500)
    result = _translate(emulator, transcript_id, target_languages=["es"], match_original_utterance=True).json()
    assert result["translated_texts"]["es"] == " ".join(_reference("es")[:2])


@pytest.mark.parametrize(
    ("translation", "params", "names"),
    [
        ({"target_languages": ["ja"]}, {}, ["translation.target_languages", "'ja'", "does not emulate"]),
        ({"target_languages": ["de"], "formal": False}, {}, ["translation.formal", "does not emulate"]),
        ({"target_languages": ["es"], "match_original_utterance": True}, {}, ["match_original_utterance"]),
        ({"target_language": ["es"]}, {"speaker_labels": True}, ["Invalid request body"]),
        ({"target_languages": ["es"], "formality": True}, {}, ["formality", "does not emulate", "formal"]),
    ],
)
def test_refusals_name_what_is_not_emulated(emulator, translation, params, names):
    transcript_id = _transcript(emulator, **params)
    response = _translate(emulator, transcript_id, **translation)
    assert response.status_code == 400
    message = response.json()["metadata"]["errors"][0]
    for name in names:
        assert name in message


def test_unknown_transcript_and_other_tasks_are_refused(emulator):
    response = _translate(emulator, "no-such-transcript", target_languages=["es"])
    assert response.status_code == 404 and response.json()["message"] == "transcript not found"
    body = {
        "transcript_id": "x",
        "speech_understanding": {"request": {"custom_formatting": {"date": "mm/dd/yyyy"}}},
    }
    refused = _call(emulator, "POST", "/v1/understanding", body)
    assert refused.status_code == 400
