"""Today's cross-field rules of ``POST /v2/transcript``: the pairs of parameters the August 2026 spec's
descriptions forbid or require together (``DIFF.md`` "Cross-field rules"; ``platform-2026-12.md``
section 2). Each rule is one row of :data:`RULES`: a test on the request body and the key of its
error text in ``errors.py``. No page gives the API's wording for these refusals, so every text is
the emulator's own (``verbatim=False``): it names the parameters and says what to do.

Rules that only concern parameters the emulator refuses anyway (``summary_model`` with
``summary_type``, ``auto_chapters`` with ``summarization``)
are left to that refusal (``features.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.emulator.errors import EmulatorError, text


def _false(body: dict, name: str) -> bool:
    return body.get(name) is False


def _set(body: dict, name: str) -> bool:
    return body.get(name) is not None


def _spelling(body: dict) -> bool:
    """A custom_spelling ``to`` of more than one word, or a ``from`` of more than five."""
    for rule in body.get("custom_spelling") or []:
        if len(str(rule.get("to", "")).split()) > 1 or any(len(str(f).split()) > 5 for f in rule.get("from", [])):
            return True
    return False


#: (test on the body, errors.MESSAGES key); the first rule that holds refuses the request.
RULES: list[tuple[Callable[[dict], bool], str]] = [
    (lambda b: _set(b, "language_code") and b.get("language_detection") is True, "rule_language_code_and_detection"),
    (lambda b: _false(b, "language_detection") and not _set(b, "language_code"), "rule_detection_off_without_code"),
    (
        lambda b: _set(b, "language_confidence_threshold") and _set(b, "language_code"),
        "rule_threshold_without_detection",
    ),
    (lambda b: _set(b, "speakers_expected") and _set(b, "speaker_options"), "rule_speakers_expected_and_options"),
    (
        lambda b: (_set(b, "speakers_expected") or _set(b, "speaker_options")) and not b.get("speaker_labels"),
        "rule_speaker_count_without_labels",
    ),
    (lambda b: bool(b.get("speaker_labels")) and _false(b, "punctuate"), "rule_speaker_labels_need_punctuate"),
    (lambda b: bool(b.get("sentiment_analysis")) and _false(b, "punctuate"), "rule_sentiment_needs_punctuate"),
    (lambda b: bool(b.get("redact_pii")) and _false(b, "format_text"), "rule_redact_pii_needs_format_text"),
    (
        lambda b: bool(b.get("redact_pii_audio")) and not b.get("redact_pii"),
        "rule_redact_pii_audio_needs_redact_pii",
    ),
    (
        lambda b: (
            (_set(b, "webhook_auth_header_name") or _set(b, "webhook_auth_header_value")) and not _set(b, "webhook_url")
        ),
        "rule_webhook_auth_without_url",
    ),
    (_spelling, "rule_custom_spelling_words"),
]


def check(body: dict[str, Any]) -> None:
    """Refuse the request with a 400 when it breaks one of :data:`RULES`."""
    for broken, key in RULES:
        if broken(body):
            raise EmulatorError(400, text(key))
