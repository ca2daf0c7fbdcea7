"""What the emulator does with each transcript request parameter: the one place that says so.

Every property of the spec's ``TranscriptParams`` (its ``allOf`` parts merged) is listed in
:data:`FEATURES` as emulated (with how) or refused (with why); a test checks the list against the
spec, so a property the spec gains fails it until someone decides. A request that sets a refused
parameter to anything but its default gets a 400 that names the parameter (:func:`refusal`).
Nested options are listed too, as ``parent.child`` (an object's property, or a ``oneOf``
branch's), and ``parent[].child`` for the objects of a list (:func:`spec_paths` walks them): every
nested property of an emulated parameter is classified, and a refused entry covers what is below it.
A nested key that is set but not listed is refused as unclassified, so nothing is accepted silently.
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
    "language_code": (
        EMULATED,
        "reported as given, without detection; the words stay the audio's (as a misset language would not). "
        "None sent: the language is detected (no en_us default); with language_detection: true, refused "
        "(request_rules.py)",
    ),
    "language_codes": (REFUSED, "code switching needs audio that mixes languages, and no conversation does"),
    "language_detection": (
        EMULATED,
        "the script's language, with a deterministic confidence; on (and reported true) whenever no "
        "language_code is sent; false without a language_code is refused",
    ),
    "language_confidence_threshold": (
        EMULATED,
        "a detection below it ends the transcript in error; refused with a language_code (no detection)",
    ),
    "language_detection_options": (
        EMULATED,
        "expected_languages restricts detection; audio in another language with a fallback_language ends in "
        "an error that says so, since the emulator cannot write a transcript in a language nobody spoke",
    ),
    "language_detection_options.expected_languages": (
        EMULATED,
        "detection picks the audio's language only if it is listed (see language_detection_options)",
    ),
    "language_detection_options.fallback_language": (
        EMULATED,
        "named in the error a transcript in an unexpected language ends in (see language_detection_options)",
    ),
    "language_detection_options.code_switching": (REFUSED, "no conversation mixes languages"),
    "language_detection_options.code_switching_confidence_threshold": (REFUSED, "no conversation mixes languages"),
    "language_detection_options.localization": (
        REFUSED,
        "the emulator cannot respell the scripts' words in a regional variant (en_au, en_uk)",
    ),
    "speaker_labels": (
        EMULATED,
        "each word's speaker from the script, utterances per speaker turn; lettered by voice pitch, lowest "
        "first, not by first appearance (conversations.speaker_map), so a transcript may open with B; "
        "in one channel, words said over another speaker's turn go to that speaker; "
        "refused with punctuate: false",
    ),
    "speakers_expected": (
        EMULATED,
        "fewer than the script's speakers merges the closest voices (conversations.speaker_map); more changes "
        "nothing; needs speaker_labels, and not with speaker_options",
    ),
    "speaker_options": (
        EMULATED,
        "max_speakers_expected merges like speakers_expected; min never splits a voice; needs speaker_labels",
    ),
    "speaker_options.min_speakers_expected": (
        EMULATED,
        "a lower bound the script's voices already meet or that the emulator cannot meet: it never splits a voice",
    ),
    "speaker_options.max_speakers_expected": (
        EMULATED,
        "fewer than the script's speakers merges the closest voices, like speakers_expected",
    ),
    "multichannel": (
        EMULATED,
        "words and utterances carry their channel (speaker = channel, or 1A, 1B... with speaker_labels) and "
        "audio_channels is set; support-call-stereo.mp3 and broadband-call.mp3 have one speaker per channel "
        "(the channels' utterances may overlap in time), a mono file or a mono mixdown is one channel",
    ),
    "punctuate": (EMULATED, "false strips punctuation from the edges of every word"),
    "format_text": (EMULATED, "false writes lower case and numbers as the script says them (no 'as' forms)"),
    "custom_spelling": (EMULATED, "each from word or phrase (any case) is written as its to"),
    "custom_spelling[].from": (EMULATED, "the words or phrases replaced, matched in any case"),
    "custom_spelling[].to": (EMULATED, "written, as given, in place of each from"),
    "keyterms_prompt": (
        EMULATED,
        "a mishearing (a script's written entry with heard) whose correct words are a key term is written "
        "correctly; complementary with prompt. Limits, a 400 naming the limit: at most 6 words a phrase, and "
        "at most 1000 terms when a listed model takes 1000 (assemblyai-stt-3-7, universal-3-5-pro), else 200 "
        "(universal-2)",
    ),
    "disfluencies": (EMULATED, "the synthesised speech has no filler words, so there are none to keep"),
    "filter_profanity": (EMULATED, "no script holds profanity (a test checks), so there is nothing to filter"),
    "redact_pii": (EMULATED, "annotated entities of the chosen policies are substituted in every output"),
    "redact_pii_policies": (
        EMULATED,
        "the entity types redacted; required with redact_pii. location covers every annotated location; "
        "location_city (Leeds, Bristol, Edinburgh, Glasgow) and location_address_street (Park Lane) the "
        "annotated locations of that kind; organization every annotated organisation; "
        "organization_medical_facility the one clinic (clip-hi's सिटी क्लिनिक); gender, sexuality, "
        "location_address, location_state, location_country, location_zip and location_coordinate match no "
        "annotation, so they redact nothing (tools/emulator/redaction.py SUBTYPES)",
    ),
    "redact_pii_sub": (EMULATED, "hash writes # per character; entity_name writes [ENTITY_TYPE]"),
    "redact_pii_audio": (
        EMULATED,
        "GET /v2/transcript/{id}/redacted-audio answers redacted_audio_ready and a redacted_audio_url "
        "(the spec example's S3 host and path, unsigned); that file is the shipped audio with each redacted "
        "word's span (the script's word timings, start to end) replaced by a 1 kHz tone, the emulator's own "
        "beep (the real beep's sound is undocumented). Needs redact_pii (else a 400); with a webhook_url, "
        "refused: the emulator sends no redacted-audio notification",
    ),
    "redact_pii_audio_quality": (EMULATED, "the redacted file's type: mp3 (the default) or wav"),
    "redact_pii_audio_options": (EMULATED, "the options below"),
    "redact_pii_audio_options.return_redacted_no_speech_audio": (
        EMULATED,
        "every shipped audio holds speech, so the redacted file is served with or without it",
    ),
    "redact_pii_audio_options.override_audio_redaction_method": (
        EMULATED,
        "silence: the redacted spans are digital silence instead of the tone",
    ),
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
        EMULATED,
        "in the transcript request, speaker_identification only (the documented one-request form); "
        "translation is emulated in POST /v1/understanding, the other tasks are refused below",
    ),
    "speech_understanding.request": (
        EMULATED,
        "one task, speaker_identification; echoed, and on completion answered with request and response",
    ),
    "speech_understanding.request.translation": (
        REFUSED,
        "emulated in POST /v1/understanding (reference translations), not in the transcript request",
    ),
    "speech_understanding.request.speaker_identification": (
        EMULATED,
        "as in POST /v1/understanding (the scripts' names and roles): on completion the utterances and words "
        "carry the identified name or role in place of the label, and speech_understanding.response holds "
        "the mapping and status success; needs speaker_labels: true (a 400 at submission); a value that fits "
        "no speaker of the script ends the transcript in an error that says so",
    ),
    "speech_understanding.request.speaker_identification.speaker_type": (
        EMULATED,
        "name or role: which field of the script's speakers is matched (role also matches other_roles)",
    ),
    "speech_understanding.request.speaker_identification.known_values": (
        EMULATED,
        "the names or roles to assign; required for role; each at most 35 characters (a 400)",
    ),
    "speech_understanding.request.speaker_identification.speakers": (
        EMULATED,
        "like known_values, each object's name or role; not with known_values (a 400)",
    ),
    "speech_understanding.request.speaker_identification.speakers[].role": (
        EMULATED,
        "a role to assign, as in known_values",
    ),
    "speech_understanding.request.speaker_identification.speakers[].name": (
        EMULATED,
        "a name to assign, as in known_values",
    ),
    "speech_understanding.request.speaker_identification.speakers[].description": (
        EMULATED,
        "accepted as the hint it is; the emulator matches the script's names and roles, so it needs none",
    ),
    "speech_understanding.request.custom_formatting": (
        REFUSED,
        "the scripts hold no dates, phone numbers or e-mail addresses in a written form to reformat",
    ),
    "speech_understanding.request.summarization": (REFUSED, f"here and in POST /v1/understanding: {_ANALYSIS}"),
    "speech_understanding.request.action_items": (REFUSED, f"here and in POST /v1/understanding: {_ANALYSIS}"),
    "custom_topics": (REFUSED, "deprecated and without effect in the API"),
    "topics": (REFUSED, "deprecated and without effect in the API"),
    "prompt": (
        EMULATED,
        "echoed; a mishearing (a script's written entry with heard) whose correct words the prompt contains, "
        "as a phrase (case and punctuation ignored), is written correctly, as with a key term; complementary "
        "with keyterms_prompt. Only on a model that takes a prompt (assemblyai-stt-3-7, universal-3-5-pro): "
        "a transcript made by universal-2 (a fallback in the list, or the only model) is written without it, "
        "reading the spec's 'only supported for the Universal-3.5 Pro model' as no effect elsewhere "
        "(UNVERIFIED: the probe checks). More than 1,500 words: a 400 naming the limit",
    ),
    "temperature": (
        REFUSED,
        "the emulator's words come from the scripts, with no sampling to vary; the default, 0, is accepted",
    ),
    "remove_audio_tags": (
        EMULATED,
        "echoed; all and speaker both leave the words as they are, since the scripts hold no audio event "
        "tags or speaker cues to remove",
    ),
    "domain": (
        EMULATED,
        "medical-v1 is echoed; for audio in a language other than en, es, de or fr it is ignored and "
        "metadata.warnings holds the documented warning (its shape, [{message}], from SDK 1.8.2's "
        "TranscriptMetadata; UNVERIFIED: the probe checks). It changes no word: no script's medical term is "
        "misheard in its reference transcript (a test checks), so Medical Mode has nothing to correct",
    ),
    "redact_pii_return_unredacted": (
        EMULATED,
        "with redact_pii, unredacted_text, unredacted_words (and unredacted_utterances when there are "
        "utterances) are the transcript as it would be without redaction; without redact_pii, a 400",
    ),
    "redact_static_entities": (
        EMULATED,
        "each listed term (case, surrounding punctuation and hyphens ignored) is redacted in every output like "
        "a policy's entity: hash per character, or [LABEL] (the label in capitals) with entity_name; "
        "without redact_pii, a 400",
    ),
    "speech_threshold": (REFUSED, "the emulator does not measure the fraction of speech in the audio"),
    "webhook_url": (
        EMULATED,
        "a loopback URL is POSTed the documented body when the transcript finishes, retried as documented (no 2xx "
        "within 10 s: up to 10 attempts; a 4xx: none); other hosts are refused",
    ),
    "webhook_auth_header_name": (EMULATED, "sent with the webhook, with webhook_auth_header_value"),
    "webhook_auth_header_value": (EMULATED, "sent with the webhook under webhook_auth_header_name"),
}

#: Values that count as "not set" besides the spec's default.
_UNSET: tuple[Any, ...] = (None, [], {}, False)


def _resolved(schema: dict, api: dict) -> dict:
    """``schema`` with a ``$ref`` followed (the spec's allOf parts are already merged)."""
    while "$ref" in schema:
        node: Any = api
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _children(schema: dict, api: dict) -> dict[str, dict]:
    """The nested properties of one parameter's schema: an object's properties (``.name``), each
    ``oneOf``/``anyOf`` object branch's (``.name``) and a list's objects' (``[].name``)."""
    schema = _resolved(schema, api)
    found: dict[str, dict] = {}
    for branch in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        branch = _resolved(branch, api)
        for name, sub in (branch.get("properties") or {}).items():
            found[f".{name}"] = sub
        items = branch.get("items")
        if isinstance(items, dict):
            for name, sub in (_resolved(items, api).get("properties") or {}).items():
                found[f"[].{name}"] = sub
    return found


def spec_paths() -> dict[str, Any]:
    """Every property of the spec's ``TranscriptParams``, nested ones too, each with its default."""
    from tools import spec

    api = spec.load("api")
    paths: dict[str, Any] = {}

    def walk(prefix: str, schema: dict) -> None:
        paths[prefix] = _resolved(schema, api).get("default", schema.get("default"))
        for suffix, sub in _children(schema, api).items():
            walk(prefix + suffix, sub)

    for name, schema in api["components"]["schemas"]["TranscriptParams"]["properties"].items():
        walk(name, schema)
    return paths


def _set_paths(prefix: str, value: Any, known: dict[str, Any]) -> list[tuple[str, Any]]:
    """The paths a request value sets (``prefix`` itself, then what is nested in it). The keys of a
    map whose spec names no properties (``redact_static_entities``' labels) are values, not paths."""
    entries = [(prefix, value)]
    if isinstance(value, dict) and any(path.startswith(prefix + ".") for path in known):
        for key, sub in value.items():
            entries += _set_paths(f"{prefix}.{key}", sub, known)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                for key, sub in item.items():
                    entries += _set_paths(f"{prefix}[].{key}", sub, known)
    return entries


def _is_set(value: Any, default: Any) -> bool:
    return value != default and not any(value == unset and type(value) is type(unset) for unset in _UNSET)


def refusal(params: dict) -> str | None:
    """The 400 message for the first refused parameter that ``params`` sets, else None."""
    from tools.emulator import param_rules

    defaults = spec_paths()
    for name, value in params.items():
        for key, item in _set_paths(name, value, defaults):
            status, why = FEATURES.get(key, (REFUSED, "it is not classified in tools/emulator/features.py"))
            if status == REFUSED and _is_set(item, defaults.get(key)):
                return f"The emulator does not emulate `{key}`: {why}. Remove it from the request to use the emulator."
    if params.get("redact_pii") and not params.get("redact_pii_policies"):
        return "redact_pii_policies must list at least one policy when redact_pii is true."
    if params.get("redact_pii_audio") and params.get("webhook_url"):
        return (
            "The emulator does not emulate `redact_pii_audio` with a `webhook_url`: it does not send the "
            "redacted-audio notification. Remove one of them to use the emulator."
        )
    return param_rules.problem(params)


def table() -> str:
    """The classification as a Markdown page (docs/emulator-features.md is generated from it)."""
    lines = [
        "# What the emulator does with each transcript parameter",
        "",
        "Generated from `tools/emulator/features.py` by `python -m tools.emulator.features`; do not edit.",
        "A refused parameter set to anything but its default gets a 400 that names it. The cross-field",
        "rules of today's request (a 400 naming both parameters) are in `tools/emulator/request_rules.py`.",
        "",
        "| parameter | emulated or refused | how, or why not |",
        "| --- | --- | --- |",
    ]
    for name, (status, why) in FEATURES.items():
        lines.append(f"| `{name}` | {status} | {why.replace('|', '/')} |")
    from tools.emulator import gateway, streaming

    sections = [
        "",
        *_model_section(),
        "",
        *gateway.doc_section(),
        "",
        *_calibration_section(),
        "",
        *streaming.features_section(),
    ]
    return "\n".join(lines + sections) + "\n"


def _calibration_section() -> list[str]:
    """What the emulator copies from real responses (platform-2026-12.md section 13)."""
    from tools.emulator import conversations

    return [
        "## What real responses show, and the emulator copies",
        "",
        "- `audio_duration`: whole seconds, rounded up (109.4 s is 110), as two live probes show.",
        "- Not audio: `Transcoding failed. File does not appear to contain audio. File type is <mime> "
        "(<description>).`, the type sniffed from the bytes as `file` names it (`tools/emulator/sniff.py`: "
        "text, HTML, JSON, PDF, PNG, JPEG, GIF, Zip; anything else `application/octet-stream (data)`). Text "
        "is described as `file` 5.44 does, with its remarks on the lines (`with very long lines (N)`, `with CRLF "
        "line terminators`, `with no line terminators`), as in the seed's real answer for a web page; which "
        "`file` the API runs is not known (older ones say `UTF-8 Unicode text`, `JSON data`).",
        "- A body without `audio_url`: `Transcript creation error, audio_url not found` (checked first).",
        "- `speech_model_used` is present and null at submit and in every state but `completed`; a detected "
        "`language_code` is null until then.",
        "- Ids are deterministic UUIDv4s; upload URLs are `https://cdn.assemblyai.com/upload/<64 hex>/<uuid>`.",
        f"- Paragraphs: sentences grouped until a pause of {conversations.PARAGRAPH_PAUSE_MS} ms or more, or "
        f"{conversations.PARAGRAPH_WORDS} words; a change of speaker does not cut one, so paragraphs span "
        "speakers.",
        "- Speaker letters need not follow first appearance (a real 2026 transcript opens with B). The emulator "
        "letters voices by pitch, lowest first, as a diarizer numbering its clusters by a voice feature would: "
        "the support call opens with B, the team meeting with D. The scripts' labels stay the scripts'; the "
        "API's letters are this mapping of them. With multichannel, the speakers of a channel are lettered "
        "after its number in the same order (`1A`, `1B`...).",
        "- Overlapping speech (broadband-call, where the customer talks over the agent): with `multichannel` "
        "each channel keeps its speaker and the two channels' utterances overlap in time. In one channel (a "
        "mono file, a mono mixdown re-encoded from a two-channel call, recognised by its length and its one "
        "channel, or a two-channel file sent without `multichannel`), the words said while another speaker's "
        "earlier turn is still sounding are given to that speaker: the emulator's reading of what one-track "
        "diarization does with overlap; which voice a real diarizer keeps, or which overlapped words it "
        "drops, is not known. Words come in the order they are spoken.",
    ]


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
        "- **For the live probe** (`models.UNVERIFIED_READINGS`): "
        + "; ".join(f"`{key}`: {what}" for key, what in models.UNVERIFIED_READINGS.items())
        + ".",
    ]


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "docs" / "emulator-features.md"
    target.write_text(table())
    print(f"wrote {target}")
