"""The speech model table (tools/emulator/models.py): languages, routing, the default list, and the
real 400 texts for retired, rejected and unknown ids, answered before the spec's enum is checked."""

from __future__ import annotations

import pytest

from cookbook_utils import config
from tests.emulator.support import AUDIO_URL, call, submit, wait
from tools import spec
from tools.emulator import errors, models

ACCEPTED = '"assemblyai-stt-3-7", "universal-3-5-pro", "universal-2"'


def test_the_served_models_and_their_languages():
    assert models.served() == ["assemblyai-stt-3-7", "universal-3-5-pro", "universal-2"]
    assert len(models.languages("universal-3-5-pro")) == 18
    assert len(models.languages("assemblyai-stt-3-7")) == 32
    assert models.languages("universal-3-5-pro") < models.languages("assemblyai-stt-3-7")
    assert models.languages("universal-2") is None
    assert models.languages("universal-3-pro") == frozenset()
    # Every served id is one the spec (with its overlay) knows, and every refused one is not served.
    enum = spec.load("api")["components"]["schemas"]["SpeechModel"]["enum"]
    assert set(models.served()) == set(enum)


@pytest.mark.parametrize(
    ("speech_models", "language", "model"),
    [
        (["assemblyai-stt-3-7", "universal-2"], "en", "assemblyai-stt-3-7"),
        (["assemblyai-stt-3-7", "universal-2"], "zh", "assemblyai-stt-3-7"),
        (["assemblyai-stt-3-7", "universal-2"], "pl", "universal-2"),  # Polish: outside the reading of 32
        (["universal-3-5-pro", "universal-2"], "hi", "universal-3-5-pro"),
        (["universal-3-5-pro", "universal-2"], "ko", "universal-2"),
        (["universal-3-5-pro"], "ko", None),
        (["assemblyai-stt-3-7"], "el", None),
        (["universal-3-5-pro"], "en_us", "universal-3-5-pro"),
    ],
)
def test_routing_takes_the_first_model_with_the_language(speech_models, language, model):
    assert models.choose(speech_models, language) == model


def test_model_scoped_parameters():
    assert models.accepts("assemblyai-stt-3-7", "prompt") and models.accepts("universal-3-5-pro", "temperature")
    assert not models.accepts("universal-2", "prompt") and not models.accepts("universal-2", "remove_audio_tags")
    assert models.accepts("universal-2", "keyterms_prompt") and models.MODELS["universal-2"].keyterms_limit == 200
    assert models.MODELS["universal-3-5-pro"].keyterms_limit == 1000
    assert not models.accepts("universal-3-pro", "prompt") and not models.accepts("no-such-model", "prompt")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"speech_models": ["universal-3-pro"]},
            'The "universal-3-pro" speech model(s) have been deprecated. Use speech_models: '
            '["universal-3-5-pro", "universal-2"] instead.',
        ),
        ({"speech_models": ["nano"]}, 'The "nano" speech model is no longer available.'),
        (
            {"speech_models": ["best"]},
            f'"speech_models" must be a non-empty list containing one or more of: {ACCEPTED}',
        ),
        (
            {"speech_models": ["slam-1"]},
            f'"speech_models" must be a non-empty list containing one or more of: {ACCEPTED}',
        ),
        ({"speech_models": ["universal-2", "whisper"]}, '"speech_models" must be a non-empty list containing'),
        ({"speech_models": []}, '"speech_models" must be a non-empty list containing'),
        ({"speech_model": "best"}, "The speech_model parameter is deprecated. Use speech_models: "),
        ({"speech_model": "universal-3-5-pro"}, "The speech_model parameter is deprecated."),
    ],
)
def test_refused_models_get_the_real_texts_before_the_spec_check(emulator, body, expected):
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, **body})
    assert response.status_code == 400
    assert response.json()["error"].startswith(expected)
    assert "Invalid request body" not in response.json()["error"]


@pytest.mark.parametrize("body", [None, {}, {"speech_models": config.SPEECH_MODELS}, {"audio_url": None}])
def test_a_body_without_audio_url_gets_the_real_text(emulator, body):
    response = call(emulator, "POST", "/v2/transcript", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "Transcript creation error, audio_url not found"


def test_speech_models_left_out_gets_the_default_filled_in_and_echoed(emulator):
    created = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL}).json()
    assert created["speech_models"] == models.DEFAULT_SPEECH_MODELS == ["assemblyai-stt-3-7", "universal-2"]
    done = wait(emulator, created["id"])
    assert done["status"] == "completed" and done["speech_model_used"] == "assemblyai-stt-3-7"


def test_the_model_used_is_reported(emulator):
    done = wait(emulator, submit(emulator, speech_models=["universal-3-5-pro", "universal-2"])["id"])
    assert done["speech_model_used"] == "universal-3-5-pro"


def test_every_refusal_key_is_an_error_text():
    for model in models.MODELS.values():
        assert (model.refusal in errors.MESSAGES) == (model.status != "served")
        assert (models.refusal_text(model.id) is None) == (model.status == "served")


def test_every_unverified_reading_is_listed_for_the_probe():
    assert {"stt37_languages", "fallback", "default_speech_models"} <= set(models.UNVERIFIED_READINGS)
    assert all(model.id == "assemblyai-stt-3-7" for model in models.MODELS.values() if model.unverified)
