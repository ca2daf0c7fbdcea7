"""The emulator's errors: the exception a handler raises, and every error text it sends, in one
table, with the page each comes from.

Code written against the real API often matches on an error's words (the documented fallback for
a low language confidence tests ``"below the requested confidence threshold value" in
transcript.error``), so the emulator must say what the API says. Each entry names its source:

- ``source``: the documentation page (or the public report of a real response) that gives it;
- ``verbatim``: True when the text is the documented one word for word (placeholders aside);
  False when no page gives the wording and the text is the emulator's own, kept close to the
  documented description. Prefer a verbatim text whenever one is found.

To add a message: add an entry to ``MESSAGES`` and raise ``EmulatorError(status, text("key",
field=value))`` where the error happens. ``str.format`` placeholders fill in the details.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS = "https://www.assemblyai.com/docs"
COMMON_ERRORS = f"{DOCS}/pre-recorded-audio/guides/common_errors_and_solutions"
OVERVIEW = f"{DOCS}/api-reference/overview"
SPEC = "assemblyai-openapi.yml (../shared/reference), components.responses"
CAPTURE = "a real gateway body of 2026-09-24 (live-2026-09-24-smoke.json, gateway)"
SYNC_FACTS = "../shared/docs/platform-2026-12.md section 3 [S7][S11]"
RULES_SOURCE = (
    "published spec of 2026-08-18, TranscriptParams descriptions (../shared/reference/published-2026-08-18/DIFF.md)"
)


@dataclass(frozen=True)
class Message:
    """One error text: a ``str.format`` template, where it is documented, and whether verbatim."""

    template: str
    source: str
    verbatim: bool


MESSAGES: dict[str, Message] = {
    # Authentication and lookups
    "unauthorized": Message("Authentication error, API token missing/invalid", OVERVIEW, True),
    "transcript_not_found": Message("Transcript lookup error, transcript id not found", COMMON_ERRORS, True),
    "not_found": Message("Not found", SPEC + ".NotFound example", True),
    # Server side
    "server_error": Message("Server error, developers have been alerted.", COMMON_ERRORS, True),
    "too_many_requests": Message("Too Many Requests", SPEC + ".TooManyRequests example", True),
    "emulator_bug": Message(
        "emulator bug: {detail}", "the emulator's own answer broke the spec (a bug to fix, kept in violations)", False
    ),
    "service_unavailable": Message("Service Unavailable", "HTTP 503 reason phrase (the spec gives no body)", False),
    "bad_gateway": Message("Bad Gateway", "HTTP 502 reason phrase (the spec lists no 502)", False),
    "gateway_timeout": Message("Gateway Timeout", "HTTP 504 reason phrase (the spec lists no 504)", False),
    # Transcripts that end in error
    "download_error": Message(
        "Download error, unable to download {url}. Please make sure the file exists and is accessible "
        "from the internet.",
        COMMON_ERRORS,
        True,
    ),
    "no_audio": Message(
        "Transcoding failed. File does not appear to contain audio. File type is {file_type}.",
        COMMON_ERRORS + "; the 'Transcoding failed.' prefix and the sniffed type as real responses give "
        "it (../shared/docs/platform-2026-12.md section 13 row 11)",
        True,
    ),
    "audio_too_short": Message("Audio duration is too short.", COMMON_ERRORS, True),
    "language_confidence_below_threshold": Message(
        "detected language '{language}', confidence {confidence}, is below the requested confidence "
        "threshold value of '{threshold}'",
        f"{DOCS}/pre-recorded-audio/guides/automatic-language-detection-route-default-language (the phrase "
        "its code matches; the full text as real responses give it)",
        True,
    ),
    "models_do_not_support_language": Message(
        "The requested speech models {models} do not support the language '{language}'.",
        "no documented text",
        False,
    ),
    "models_not_available_in_language": Message(
        "The following models are not available in this language: {features}", COMMON_ERRORS, True
    ),
    # Speech models refused at submission (tools/emulator/models.py says which id gets which)
    "speech_model_deprecated": Message(
        'The "{model}" speech model(s) have been deprecated. Use speech_models: {recommended} instead.',
        "a real 400 quoted in github.com/TypeWhisper/typewhisper-mac/issues/1042 (2026-07-31); the "
        "recommended list is models.RECOMMENDED",
        True,
    ),
    "speech_model_unavailable": Message(
        'The "{model}" speech model is no longer available. Use speech_models with one or more of: {accepted}.',
        "github.com/vercel/ai/pull/16548 (2026-07-01) quotes only 'no longer available' from the real 400",
        False,
    ),
    "speech_models_invalid": Message(
        '"speech_models" must be a non-empty list containing one or more of: {accepted}',
        "a real 400 quoted in github.com/FujiwaraChoki/supoclip/pull/43 (2026-05-19, then listing "
        '"universal-3-pro", "universal-2"); the list is the served models of models.MODELS',
        True,
    ),
    "speech_model_singular": Message(
        "The speech_model parameter is deprecated. Use speech_models: {recommended} for the best accuracy, "
        "performance, and language coverage. See documentation: "
        "https://www.assemblyai.com/docs/pre-recorded-audio/select-the-speech-model",
        "a real 400 quoted in github.com/FujiwaraChoki/supoclip/issues/56 (2026-06-27; the quote is cut "
        "after 'https://www.assemblyai', the rest of the URL is the spec's link for speech_model); the "
        "recommended list is models.RECOMMENDED",
        True,
    ),
    "audio_url_not_found": Message(
        "Transcript creation error, audio_url not found",
        "a real 400 for a POST /v2/transcript body without audio_url (../shared/docs/platform-2026-12.md "
        "section 13 row 11)",
        True,
    ),
    # Cross-field rules of today's request (tools/emulator/request_rules.py): the spec's descriptions
    # state each rule; no page gives the API's wording, so these texts are the emulator's own.
    "rule_language_code_and_detection": Message(
        "language_code cannot be used together with language_detection: send language_code to set the "
        "language, or language_detection: true (or neither) to have it detected.",
        RULES_SOURCE + " (language_code: 'Cannot be used together with language_detection')",
        False,
    ),
    "rule_detection_off_without_code": Message(
        "language_detection: false needs a language_code: set the language with language_code, or leave "
        "language_detection out to have it detected.",
        RULES_SOURCE + " (language_detection: applied automatically without a language_code)",
        False,
    ),
    "rule_threshold_without_detection": Message(
        "language_confidence_threshold can only be set when the language is detected: remove it, or "
        "remove language_code.",
        RULES_SOURCE + " (language_confidence_threshold: 'Can only be set when language_detection is enabled')",
        False,
    ),
    "rule_speakers_expected_and_options": Message(
        "speakers_expected cannot be used together with speaker_options: send one of them.",
        RULES_SOURCE + " (speakers_expected: 'cannot be used together with speaker_options')",
        False,
    ),
    "rule_speaker_count_without_labels": Message(
        "speakers_expected and speaker_options require speaker_labels: true: add it, or remove them.",
        RULES_SOURCE + " (speakers_expected: 'Requires speaker_labels to be true')",
        False,
    ),
    "rule_speaker_labels_need_punctuate": Message(
        "speaker_labels requires punctuate: true: remove punctuate: false, or speaker_labels.",
        RULES_SOURCE + " (speaker_labels requires punctuate)",
        False,
    ),
    "rule_sentiment_needs_punctuate": Message(
        "sentiment_analysis requires punctuate: true: remove punctuate: false, or sentiment_analysis.",
        RULES_SOURCE + " (sentiment_analysis requires punctuate)",
        False,
    ),
    "rule_redact_pii_needs_format_text": Message(
        "redact_pii requires format_text: true: remove format_text: false, or redact_pii.",
        RULES_SOURCE + " (redact_pii requires format_text)",
        False,
    ),
    "rule_redact_pii_audio_needs_redact_pii": Message(
        "redact_pii_audio requires redact_pii: true: set redact_pii (with redact_pii_policies), or remove "
        "redact_pii_audio.",
        RULES_SOURCE + " (redact_pii_audio: 'Requires redact_pii to be true')",
        False,
    ),
    "rule_webhook_auth_without_url": Message(
        "webhook_auth_header_name and webhook_auth_header_value need a webhook_url: add it, or remove them.",
        RULES_SOURCE + " (webhook auth headers need webhook_url)",
        False,
    ),
    "rule_custom_spelling_words": Message(
        "custom_spelling: each to value must be a single word and each from phrase at most 5 words.",
        RULES_SOURCE + " (custom_spelling's description)",
        False,
    ),
    # The parameters of 2026 (tools/emulator/param_rules.py); no page gives the API's wording
    "prompt_too_long": Message(
        "prompt has {words} words; it takes at most {limit:,} words of contextual information.",
        "the spec's prompt description (2026-08-18): 'up to 1,500 words'",
        False,
    ),
    "keyterm_too_long": Message(
        "keyterms_prompt: {term!r} has {words} words; each phrase may have at most {limit} words.",
        "the spec's keyterms_prompt description (2026-08-18): 'maximum 6 words per phrase'",
        False,
    ),
    "too_many_keyterms": Message(
        "keyterms_prompt has {count} terms; the speech models {models} take at most {limit}.",
        "the spec's keyterms_prompt description (2026-08-18): 'up to 200 (for Universal-2) or 1000 (for "
        "Universal-3.5 Pro)'",
        False,
    ),
    "needs_redact_pii": Message(
        "{name} requires redact_pii to be true.",
        "the spec's descriptions of redact_pii_return_unredacted and redact_static_entities (2026-08-18): "
        "'Requires redact_pii to be true, otherwise a 400 error is returned'",
        False,
    ),
    "speaker_identification_needs_labels": Message(
        "speech_understanding.request.speaker_identification requires speaker_labels: true: add it, or "
        "remove speaker_identification.",
        "https://www.assemblyai.com/docs/speech-understanding/speaker-identification ('You must set "
        "speaker_labels: true in your transcription request')",
        False,
    ),
    # The LLM Gateway (llm-gateway.assemblyai.com): its envelopes and causes, as the 2026-09-24 capture
    # shows them (../shared/real-responses/probes/live-2026-09-24-smoke.json, "gateway"; facts section 13)
    "gateway_invalid_body": Message("invalid request body", CAPTURE + " (every 400's message)", True),
    "gateway_model_unsupported": Message("model {model} is not supported", CAPTURE + " unknown_model_400", True),
    "gateway_model_not_in_region": Message(
        "model {model} is not supported in the {region} region: GET /v1/models on this region's host lists "
        "its models (Claude and Gemini are served in the EU, GPT and Qwen only in the US).",
        "the capture's unknown-model cause, with the region said (LLM Gateway docs, 'Cloud endpoints and data "
        "residency')",
        False,
    ),
    "gateway_parameter_unsupported": Message(
        "model {model} does not support {parameter}", CAPTURE + " unsupported_parameter_400", True
    ),
    "gateway_model_region": Message("model_region can only be set to global", CAPTURE + " model_region_400", True),
    "gateway_no_model_access": Message(
        "Your account does not have access to this LLM Gateway model", CAPTURE + " no_model_access_400", True
    ),
    "gateway_transcript_not_found": Message("transcript not found", CAPTURE + " transcript_id_unknown_404", True),
    "gateway_rate_limited": Message(
        "too many requests for this action", CAPTURE + " understanding.status_429 (the same on the gateway)", True
    ),
    "gateway_missing_auth": Message(
        "Your account does not have access to LLM Gateway. Please upgrade or contact us at "
        "support@assemblyai.com for more information.",
        CAPTURE + " missing_auth_401 (no authorization header)",
        True,
    ),
    "gateway_server_error": Message(
        "internal server error", "no captured text for a gateway 500: the emulator's own", False
    ),
    "gateway_strict_schema_keyword": Message(
        "model {model} does not support {keyword} in a strict response_format schema (at {path}): Anthropic's "
        "structured outputs compile the schema into a grammar without numeric, length or item-count bounds. "
        "Remove it (check the bound in your code after parsing), or set strict: false.",
        "Anthropic's 400 'output_format.schema: For 'integer' type, property 'minimum' is not supported' "
        "(quoted in github.com/agentjido/req_llm/issues/302); the keyword list as Anthropic's structured-outputs "
        "limits give it (numerical, string-length and array bounds; third-party summary in systemprompt-models "
        "src/wire/anthropic/strict.rs). The gateway's own wording is not captured",
        False,
    ),
    "gateway_transcript_not_completed": Message(
        "transcript {transcript_id} is not completed (status {status}): transcript_id needs a completed "
        "transcript; wait for it, then ask.",
        "no documented text",
        False,
    ),
    # Warnings of a completed transcript (metadata.warnings[].message)
    "medical_mode_skipped": Message(
        "Skipped medical-v1 domain correction because the language is not supported",
        f"{DOCS}/pre-recorded-audio/medical-mode",
        True,
    ),
    # HTTP the emulator refuses before routing
    "invalid_json": Message("Invalid JSON body: {detail}", "no documented text", False),
    "invalid_body": Message("Invalid request body: {detail}", "no documented text", False),
    "invalid_query": Message(
        "Invalid query parameter {name}={value!r}: {detail}", SPEC + " (the parameter's schema)", False
    ),
    "unknown_query": Message(
        "Unknown query parameter {name}: {path} takes {known}. The emulator does not emulate it.",
        SPEC + " (the operation's parameters)",
        False,
    ),
    "bad_content_length": Message(
        "Invalid Content-Length header {value!r}: it must be the body's length in bytes", "RFC 9110 8.6", False
    ),
    "bad_chunked_body": Message("Malformed chunked request body: {detail}", "RFC 9112 7.1", False),
    "empty_upload": Message(
        "The upload is empty: send the audio file's bytes as the request body", "no documented text", False
    ),
    "method_not_allowed": Message(
        "Method {method} is not allowed on {path}: it takes {allowed}", "RFC 9110 15.5.6", False
    ),
    "http_layer": Message(
        "{reason}: {explain}", "the HTTP layer's reason phrases (RFC 9110), for requests it cannot parse", False
    ),
    "unknown_path": Message("Not found", SPEC + ".NotFound example", True),
    "transcript_not_completed": Message(
        "Transcript {transcript_id} is not completed: its status is {status}", "no documented text", False
    ),
    "redacted_audio_not_requested": Message(
        "Transcript {transcript_id} has no redacted audio: it was made without redact_pii_audio: true. "
        "Submit it again with redact_pii: true and redact_pii_audio: true.",
        "no documented text (the spec: redact_pii_audio generates the copy)",
        False,
    ),
    "deleted_before_completion": Message(
        "Transcript deleted by user before it completed.", "no documented text", False
    ),
    # Sync transcription and dictation (tools/emulator/sync_dictation.py). Their envelope is RFC 9457
    # problem details (SDK 1.8.2 sync/v1/api.py _error_from_response); no page or capture gives their
    # wording, so every text here is the emulator's own (facts section 3 gives the rules they state).
    "sync_model_header": Message(
        "The X-AAI-Model header is required and must be one of: {allowed} (sent: {sent}).",
        SYNC_FACTS + " (required header X-AAI-Model: universal-3-5-pro; SDK 1.8.2 SyncSpeechModel)",
        False,
    ),
    "short_audio_not_multipart": Message(
        "The body must be multipart/form-data with an audio part (and an optional JSON config part); "
        "Content-Type was {content_type!r}.",
        SYNC_FACTS,
        False,
    ),
    "short_audio_bad_multipart": Message("Malformed multipart body: {detail}", "RFC 7578", False),
    "short_audio_part_order": Message(
        "{path} needs the config part before the audio part (the server reads sample_rate and channels "
        "before the first audio byte); {detail}.",
        SYNC_FACTS + " ('config part first'; SDK 1.8.2 _multipart.StreamingMultipartEncoder)",
        False,
    ),
    "short_audio_no_audio": Message("The body has no audio part.", SYNC_FACTS, False),
    "short_audio_config_json": Message("The config part is not a JSON object: {detail}", SYNC_FACTS, False),
    "short_audio_unknown_config": Message(
        "Unknown config field(s) {names}: {api} takes {known}.",
        SYNC_FACTS + " (unknown fields get a 400); SDK 1.8.2 DictationConfig (extra='forbid')",
        False,
    ),
    "short_audio_config_type": Message("config.{name} must be {expected}, not {value!r}.", SYNC_FACTS, False),
    "short_audio_config_limit": Message("config.{name} {detail}.", "SDK 1.8.2 sync and dictation config limits", False),
    "short_audio_too_large": Message(
        "The audio is {size:,} bytes; the limit is {limit:,} bytes (40 MB).", SYNC_FACTS + " (<= 40 MB)", False
    ),
    "short_audio_too_long": Message(
        "The audio is {seconds:.1f} s long; the limit is {limit} s.", SYNC_FACTS + " (<= 120 s)", False
    ),
    "short_audio_not_wav": Message(
        "The audio part ({content_type}) is not a WAV file: only a WAV container or raw 16-bit PCM "
        "(Content-Type audio/pcm with config sample_rate and channels) is decoded.",
        SYNC_FACTS + " (wav/pcm)",
        False,
    ),
    "short_audio_unsupported_type": Message(
        "Unsupported audio Content-Type {content_type!r}: send audio/wav or audio/pcm.",
        SYNC_FACTS + " (dictation: wav/pcm); SDK 1.8.2 dictation/v1/_base.py (a compressed format is posted "
        "with its true type so that the server's rejection names it)",
        False,
    ),
    "short_audio_not_16_bit": Message(
        "The WAV file is {detail}; the audio must be 16-bit PCM.", SYNC_FACTS + " (16-bit)", False
    ),
    "short_audio_bad_wav": Message("The WAV file cannot be read: {detail}.", "emulator's own", False),
    "short_audio_pcm_format": Message(
        "Raw PCM audio (audio/pcm) needs config.sample_rate and config.channels{detail}.",
        "SDK 1.8.2 SyncTranscriptionConfig and DictationConfig (sample_rate and channels: required for raw PCM)",
        False,
    ),
    "short_audio_no_script": Message(
        "The emulator has no script for this audio; it answers only for the conversations in data/audio "
        "(or their re-encodings, of the same length), sent as 16-bit WAV or PCM.",
        "emulator limit (the pre-recorded no_script_for_audio, adapted)",
        False,
    ),
    "short_audio_language_code": Message(
        "config.{name}: {codes} holds codes the {api} does not transcribe: {unknown}; it takes {known}.",
        "SDK 1.8.2 SyncTranscriptionConfig.language_codes docstring (19 codes); dictation: the 32 languages "
        "of facts section 3, read as assemblyai-stt-3-7's (models.STT37_LANGUAGES, UNVERIFIED)",
        False,
    ),
    "short_audio_language": Message(
        "config.{name} is {codes}, but this audio is in '{language}': the real API would write it as one of "
        "those languages, and the emulator cannot write a transcript in a language nobody spoke. Add "
        "'{language}' to {name}, or leave it out.",
        "emulator limit (as expected_languages on the pre-recorded API)",
        False,
    ),
    "short_audio_deadline": Message(
        "The transcription did not finish within the {seconds} s deadline.",
        SYNC_FACTS + " (30 s deadline); the title is the SDK's inference_timeout error code",
        False,
    ),
    "short_audio_capacity": Message("The service is at capacity; retry later.", "SDK 1.8.2 capacity_exceeded", False),
    "dictation_region": Message(
        "dictation.assemblyai.com has no EU deployment that the emulator knows of: send dictation to the US host.",
        SYNC_FACTS + " (one host, dictation.assemblyai.com)",
        False,
    ),
    # Emulator limits, said plainly (the standard: name the parameter, say it is not emulated)
    "webhook_not_loopback": Message(
        "webhook_url {url!r}: the emulator only calls loopback webhooks (127.0.0.1, ::1, localhost); "
        "serve your webhook receiver on this machine, or record against the real API.",
        "emulator limit",
        False,
    ),
    "no_script_for_audio": Message(
        "The emulator has no script for this audio; it answers only for files in data/audio.",
        "emulator limit",
        False,
    ),
}


def text(key: str, **fields: object) -> str:
    """The message ``key`` with its placeholders filled in."""
    return MESSAGES[key].template.format(**fields)


class EmulatorError(Exception):
    """A request the emulator answers with an error status (the real API's, where it has one)."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        causes: list[str] | None = None,
        title: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        #: The problem-details ``title`` of the sync and dictation APIs (default: the status's reason phrase).
        self.title = title
        self.headers = headers or {}
        #: The gateway's ``metadata.errors``: when given, ``message`` is the short text beside them.
        self.causes = causes


UNAUTHORIZED = text("unauthorized")
NOT_FOUND = text("transcript_not_found")
