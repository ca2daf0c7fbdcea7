"""What the emulator does with each transcript request parameter: the one place that says so.

Every property of the spec's ``TranscriptParams`` (its ``allOf`` parts merged) is listed in
:data:`FEATURES` as emulated (with how) or refused (with why); a test checks the list against the
spec, so a property the spec gains fails it until someone decides. A request that sets a refused
parameter to anything but its default gets a 400 that names the parameter (:func:`refusal`).
Nested options are listed as ``parent.child`` where the parent is emulated but a child is not.
"""

from __future__ import annotations

from typing import Any

EMULATED, REFUSED = "emulated", "refused"

_ANALYSIS = (
    "no reference data for it is stored beside the scripts, and the emulator writes no analysis of its own; "
    "use the LLM Gateway (reference answers) for summaries, topics and the like"
)

#: parameter -> (EMULATED or REFUSED, how it is emulated or why it is refused)
FEATURES: dict[str, tuple[str, str]] = {
    "audio_url": (
        EMULATED,
        "an upload, a loopback URL or a file name whose audio is a shipped conversation; else an error",
    ),
    "audio_start_from": (EMULATED, "only the words wholly after it are transcribed"),
    "audio_end_at": (EMULATED, "only the words wholly before it are transcribed"),
    "speech_models": (
        EMULATED,
        "optional: left out, the account default is filled in and echoed (see Speech models below); "
        "the first listed model that takes the language transcribes; retired and unknown ids get the "
        "real 400 texts, before the body is checked against the spec",
    ),
    "speech_model": (REFUSED, "the API refuses the singular parameter with a 400 of its own (the real text)"),
    "language_code": (EMULATED, "reported as given; the words stay the audio's (as a misset language would not)"),
    "language_codes": (REFUSED, "code switching needs audio that mixes languages, and no conversation does"),
    "language_detection": (EMULATED, "the script's language, with a deterministic confidence"),
    "language_confidence_threshold": (EMULATED, "a detection below it ends the transcript in error"),
    "language_detection_options": (
        EMULATED,
        "expected_languages restricts detection; audio in another language with a fallback_language ends in "
        "an error that says so, since the emulator cannot write a transcript in a language nobody spoke",
    ),
    "language_detection_options.code_switching": (REFUSED, "no conversation mixes languages"),
    "language_detection_options.code_switching_confidence_threshold": (REFUSED, "no conversation mixes languages"),
    "speaker_labels": (EMULATED, "each word's speaker from the script, utterances per speaker turn"),
    "speakers_expected": (
        EMULATED,
        "fewer than the script's speakers merges the closest voices (conversations.speaker_map); more changes nothing",
    ),
    "speaker_options": (EMULATED, "max_speakers_expected merges like speakers_expected; min never splits a voice"),
    "multichannel": (
        EMULATED,
        "words and utterances carry their channel (speaker = channel, or 1A, 1B... with speaker_labels) and "
        "audio_channels is set; support-call-stereo.mp3 has one speaker per channel, a mono file is one channel",
    ),
    "punctuate": (EMULATED, "false strips punctuation from the edges of every word"),
    "format_text": (EMULATED, "false writes lower case and numbers as the script says them (no 'as' forms)"),
    "custom_spelling": (EMULATED, "each from word or phrase (any case) is written as its to"),
    "keyterms_prompt": (EMULATED, "a misheard word or phrase listed as a key term is written correctly"),
    "disfluencies": (EMULATED, "the synthesised speech has no filler words, so there are none to keep"),
    "filter_profanity": (EMULATED, "no script holds profanity (a test checks), so there is nothing to filter"),
    "redact_pii": (EMULATED, "annotated entities of the chosen policies are substituted in every output"),
    "redact_pii_policies": (EMULATED, "the entity types redacted; required with redact_pii"),
    "redact_pii_sub": (EMULATED, "hash writes # per character; entity_name writes [ENTITY_TYPE]"),
    "redact_pii_audio": (
        REFUSED,
        "the emulator serves no redacted audio file, so it cannot answer GET /v2/transcript/{id}/redacted-audio",
    ),
    "redact_pii_audio_quality": (REFUSED, "redacted audio is not emulated"),
    "redact_pii_audio_options": (REFUSED, "redacted audio is not emulated"),
    "entity_detection": (EMULATED, "entities[] from the scripts' entity annotations, with text and times"),
    "sentiment_analysis": (
        EMULATED,
        "sentiment per sentence from reference labels written in the script (the support call has them); "
        "other audio ends in an error naming the parameter",
    ),
    "auto_chapters": (REFUSED, f"deprecated; {_ANALYSIS}"),
    "summarization": (REFUSED, f"deprecated; {_ANALYSIS}"),
    "summary_model": (REFUSED, "summarization is not emulated"),
    "summary_type": (REFUSED, "summarization is not emulated"),
    "iab_categories": (REFUSED, _ANALYSIS),
    "content_safety": (REFUSED, _ANALYSIS),
    "content_safety_confidence": (REFUSED, "content moderation is not emulated"),
    "auto_highlights": (
        EMULATED,
        "the script's reference key phrases (the support call has them), counted and timed in the words; "
        "other audio ends in an error naming the parameter",
    ),
    "speech_understanding": (
        REFUSED,
        "translation, speaker identification and custom formatting are not emulated in the transcript request",
    ),
    "custom_topics": (REFUSED, "deprecated and without effect in the API"),
    "topics": (REFUSED, "deprecated and without effect in the API"),
    "prompt": (REFUSED, "the emulator's words come from the scripts; a prompt could not change them honestly"),
    "temperature": (REFUSED, "the emulator's words come from the scripts; there is no sampling to vary"),
    "remove_audio_tags": (REFUSED, "the scripts hold no audio event tags"),
    "domain": (REFUSED, "Medical Mode is not emulated yet"),
    "redact_pii_return_unredacted": (REFUSED, "not emulated yet"),
    "redact_static_entities": (REFUSED, "not emulated yet"),
    "speech_threshold": (REFUSED, "the emulator does not measure the fraction of speech in the audio"),
    "webhook_url": (
        EMULATED,
        "a loopback URL is POSTed the documented body when the transcript finishes; other hosts are refused",
    ),
    "webhook_auth_header_name": (EMULATED, "sent with the webhook, with webhook_auth_header_value"),
    "webhook_auth_header_value": (EMULATED, "sent with the webhook under webhook_auth_header_name"),
}

#: Values that count as "not set" besides the spec's default.
_UNSET: tuple[Any, ...] = (None, [], {}, False)


def _defaults() -> dict[str, Any]:
    """Each parameter's default in the spec (nested options as ``parent.child``)."""
    from tools import spec

    properties = spec.load("api")["components"]["schemas"]["TranscriptParams"]["properties"]
    defaults = {name: schema.get("default") for name, schema in properties.items()}
    for name, schema in properties.items():
        for child, sub in (schema.get("properties") or {}).items():
            defaults[f"{name}.{child}"] = sub.get("default")
    return defaults


def _is_set(value: Any, default: Any) -> bool:
    return value != default and not any(value == unset and type(value) is type(unset) for unset in _UNSET)


def refusal(params: dict) -> str | None:
    """The 400 message for the first refused parameter that ``params`` sets, else None."""
    defaults = _defaults()
    for name, value in params.items():
        entries = [(name, value)]
        if isinstance(value, dict):
            entries += [(f"{name}.{child}", sub) for child, sub in value.items()]
        for key, item in entries:
            status, why = FEATURES.get(key, (EMULATED, "")) if "." in key else FEATURES.get(key, (REFUSED, "unknown"))
            if status == REFUSED and _is_set(item, defaults.get(key)):
                return f"The emulator does not emulate `{key}`: {why}. Remove it from the request to use the emulator."
    if params.get("redact_pii") and not params.get("redact_pii_policies"):
        return "redact_pii_policies must list at least one policy when redact_pii is true."
    return None


def table() -> str:
    """The classification as a Markdown page (docs/emulator-features.md is generated from it)."""
    lines = [
        "# What the emulator does with each transcript parameter",
        "",
        "Generated from `tools/emulator/features.py` by `python -m tools.emulator.features`; do not edit.",
        "A refused parameter set to anything but its default gets a 400 that names it.",
        "",
        "| parameter | emulated or refused | how, or why not |",
        "| --- | --- | --- |",
    ]
    for name, (status, why) in FEATURES.items():
        lines.append(f"| `{name}` | {status} | {why.replace('|', '/')} |")
    return "\n".join(lines + ["", *_model_section()]) + "\n"


def _model_section() -> list[str]:
    """The speech models part of the page, from ``tools/emulator/models.py``."""
    import json

    from tools.emulator import models

    return [
        "## Speech models",
        "",
        "Generated from `tools/emulator/models.py` (`MODELS`), the one table of the emulator's models.",
        "Readings marked UNVERIFIED are the documented reading taken where the facts",
        "(`../shared/docs/platform-2026-12.md`) have no official answer; the live probe checks each.",
        "",
        *models.table_rows(),
        "",
        f"- **Routing** (`models.choose`): {models.FALLBACK_RULE}.",
        f"- **Default** when `speech_models` is left out: `{json.dumps(models.DEFAULT_SPEECH_MODELS)}`, filled in and "
        "echoed. UNVERIFIED: the default of an account made from 2026-11-17, and of every Universal-3.5 "
        "Pro-default account from 2026-12-08 (facts section 1); the list form follows the September "
        "probe's echo of `[universal-3-5-pro, universal-2]`.",
        f"- **Recommended list** in the real refusal texts: `{models.RECOMMENDED}`, as the newest real "
        "text (2026-07-31) gives it. UNVERIFIED whether it now names assemblyai-stt-3-7.",
    ]


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "docs" / "emulator-features.md"
    target.write_text(table())
    print(f"wrote {target}")
