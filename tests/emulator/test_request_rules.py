"""Today's request defaults and cross-field rules (tools/emulator/request_rules.py): each rule of the
August 2026 spec's descriptions refuses its pair of parameters with a 400 that names them."""

from __future__ import annotations

import pytest

from tests.emulator.support import AUDIO_URL, MODELS, call, submit, wait
from tools.emulator import errors, request_rules


@pytest.mark.parametrize(
    ("extra", "key", "names"),
    [
        ({"language_code": "en", "language_detection": True}, "rule_language_code_and_detection", ["language_code"]),
        ({"language_detection": False}, "rule_detection_off_without_code", ["language_detection: false"]),
        (
            {"language_code": "en", "language_confidence_threshold": 0.5},
            "rule_threshold_without_detection",
            ["language_confidence_threshold"],
        ),
        (
            {"speaker_labels": True, "speakers_expected": 2, "speaker_options": {"max_speakers_expected": 3}},
            "rule_speakers_expected_and_options",
            ["speakers_expected", "speaker_options"],
        ),
        ({"speakers_expected": 2}, "rule_speaker_count_without_labels", ["speaker_labels"]),
        ({"speaker_options": {"max_speakers_expected": 2}}, "rule_speaker_count_without_labels", ["speaker_options"]),
        ({"speaker_labels": True, "punctuate": False}, "rule_speaker_labels_need_punctuate", ["punctuate"]),
        ({"sentiment_analysis": True, "punctuate": False}, "rule_sentiment_needs_punctuate", ["sentiment_analysis"]),
        (
            {"redact_pii": True, "redact_pii_policies": ["person_name"], "format_text": False},
            "rule_redact_pii_needs_format_text",
            ["redact_pii", "format_text"],
        ),
        (
            {"webhook_auth_header_name": "x-token", "webhook_auth_header_value": "s"},
            "rule_webhook_auth_without_url",
            ["webhook_url"],
        ),
        (
            {"custom_spelling": [{"from": ["larkspar"], "to": "Larkspur Books"}]},
            "rule_custom_spelling_words",
            ["custom_spelling"],
        ),
        (
            {"custom_spelling": [{"from": ["one two three four five six"], "to": "Six"}]},
            "rule_custom_spelling_words",
            ["custom_spelling"],
        ),
    ],
)
def test_each_rule_refuses_its_pair(emulator, extra, key, names):
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": MODELS, **extra})
    assert response.status_code == 400
    assert response.json()["error"] == errors.text(key)
    assert all(name in response.json()["error"] for name in names)
    assert call(emulator, "GET", "/v2/transcript").json()["transcripts"] == []  # nothing was created


def test_every_rule_has_its_own_text_and_says_what_to_do():
    keys = [key for _, key in request_rules.RULES]
    for key in keys:
        message = errors.MESSAGES[key]
        assert not message.verbatim and "2026-08-18" in message.source
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    "extra",
    [
        {"language_code": "en"},
        {"language_detection": True},
        {"language_code": "en", "language_detection": False},
        {"speaker_labels": True, "speakers_expected": 2},
        {"speaker_labels": True, "speaker_options": {"max_speakers_expected": 2}},
        {"redact_pii": True, "redact_pii_policies": ["person_name"]},
        {"custom_spelling": [{"from": ["larkspar", "lark spur"], "to": "Larkspur"}]},
    ],
)
def test_the_allowed_combinations_are_accepted(emulator, extra):
    assert wait(emulator, submit(emulator, **extra)["id"])["status"] == "completed"


def test_no_language_sent_means_detection(emulator):
    created = submit(emulator)
    assert created["language_detection"] is True and created["language_code"] is None
    done = wait(emulator, created["id"])
    assert done["language_detection"] is True and done["language_code"] == "en"
    assert 0 < done["language_confidence"] <= 1


def test_a_language_code_sent_is_reported_as_given_without_detection(emulator):
    done = wait(emulator, submit(emulator, language_code="en_us")["id"])
    assert done["language_detection"] is False and done["language_code"] == "en_us"
    assert done["language_confidence"] is None
