"""Requests that AssemblyAI's documentation of 2026 gives as examples, or describes as valid, are accepted
and completed by the emulator, each with its documented effect. The emulator of March 2026 refused most of
them (a missing ``speech_models``, ``prompt`` with key terms, ``remove_audio_tags``, ``domain``, the new PII
fields): a recording must never teach that a documented request fails. Sources: the published spec of
2026-08-18 (``../shared/reference/published-2026-08-18/``) and ``../shared/docs/platform-2026-12.md``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.emulator.support import AUDIO_URL, call, wait

SPEC = "published spec 2026-08-18"
#: (name, source, request body without audio_url, a check of the completed transcript)
DOCUMENTED: list[tuple[str, str, dict, Callable[[dict], bool]]] = [
    (
        "no speech_models",
        f"{SPEC}, createTranscript's code samples ({{'audio_url': ...}} only)",
        {},
        lambda t: bool(t["speech_models"]) and t["speech_model_used"] in t["speech_models"],
    ),
    (
        "the migration guide's list",
        "assemblyai-stt-3-7 migration guide [S1]",
        {"speech_models": ["assemblyai-stt-3-7", "universal-2"]},
        lambda t: t["speech_model_used"] == "assemblyai-stt-3-7",
    ),
    (
        "stt-3-7 alone",
        "assemblyai-stt-3-7 migration guide [S1]: 'if all your audio is in its languages'",
        {"speech_models": ["assemblyai-stt-3-7"]},
        lambda t: t["speech_model_used"] == "assemblyai-stt-3-7",
    ),
    (
        "prompt with key terms",
        "AssemblyAI skill [S7]: U3.5 Pro prompts and keyterms_prompt are complementary",
        {
            "speech_models": ["universal-3-5-pro", "universal-2"],
            "prompt": "A customer calls Larkspur Books about a card payment charged twice.",
            "keyterms_prompt": ["Larkspur Books"],
        },
        lambda t: "Larkspur" in t["text"],
    ),
    (
        "temperature 0",
        f"{SPEC}, temperature: 0..1, default 0",
        {"speech_models": ["universal-3-5-pro"], "temperature": 0},
        lambda t: t["status"] == "completed",
    ),
    (
        "audio tags kept for speakers",
        f"{SPEC}, remove_audio_tags: 'all' | 'speaker'",
        {"remove_audio_tags": "speaker"},
        lambda t: t["remove_audio_tags"] == "speaker",
    ),
    (
        "Medical Mode",
        f"{SPEC}, domain: 'medical-v1' (en, es, de, fr)",
        {"domain": "medical-v1", "language_code": "en"},
        lambda t: t["domain"] == "medical-v1" and not (t.get("metadata") or {}).get("warnings"),
    ),
    (
        "the unredacted text returned",
        f"{SPEC}, redact_pii_return_unredacted (needs redact_pii)",
        {"redact_pii": True, "redact_pii_policies": ["person_name"], "redact_pii_return_unredacted": True},
        lambda t: "Maya" in t["unredacted_text"] and "Maya" not in t["text"],
    ),
    (
        "static entities redacted",
        f"{SPEC}, redact_static_entities: label -> literal terms (needs redact_pii)",
        {
            "redact_pii": True,
            "redact_pii_policies": ["person_name"],
            "redact_static_entities": {"store": ["Larkspar Books"]},
        },
        lambda t: "Larkspar" not in t["text"],
    ),
    (
        "a new PII policy",
        f"{SPEC}, PiiPolicy adds location_city and the other location_* types",
        {"redact_pii": True, "redact_pii_policies": ["location_city", "location_address_street"]},
        lambda t: "Leeds" not in t["text"] and "Maya" in t["text"],  # the caller's city, not the names
    ),
    (
        "detection with expected languages",
        f"{SPEC}, language_detection_options.expected_languages and fallback_language",
        {"language_detection_options": {"expected_languages": ["en", "es"], "fallback_language": "en"}},
        lambda t: t["language_detection"] is True and t["language_code"].startswith("en"),
    ),
    (
        "a range of speakers",
        f"{SPEC}, speaker_options (with speaker_labels, without speakers_expected)",
        {"speaker_labels": True, "speaker_options": {"min_speakers_expected": 1, "max_speakers_expected": 3}},
        lambda t: {u["speaker"] for u in t["utterances"]} == {"A", "B"},
    ),
]


@pytest.mark.parametrize(("name", "source", "body", "check"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_a_documented_request_is_accepted_and_has_its_effect(emulator, name, source, body, check):
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, **body})
    assert response.status_code == 200, f"{name} ({source}) was refused: {response.text}"
    transcript = wait(emulator, response.json()["id"])
    assert transcript["status"] == "completed", f"{name} ({source}): {transcript.get('error')}"
    assert check(transcript), f"{name} ({source}) completed without its documented effect"
