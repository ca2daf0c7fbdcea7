"""Transcripts: their life from queued to completed or error, and the endpoints that read them."""

from __future__ import annotations

import json
import re
from typing import Any

from tools.emulator import analysis, features, uploads
from tools.emulator import conversations as build
from tools.emulator.core import NOT_FOUND, EmulatorError, State

#: Request parameters the Transcript echoes when the request sets them (emulated ones only).
ECHOED = (
    "custom_spelling",
    "keyterms_prompt",
    "disfluencies",
    "filter_profanity",
    "multichannel",
    "entity_detection",
    "sentiment_analysis",
    "redact_pii_policies",
    "redact_pii_sub",
)


def _base_transcript(transcript_id: str, params: dict) -> dict:
    """Every key the Transcript schema requires, set as the request asked or null. A request that
    sets a parameter the emulator does not emulate is refused here (tools/emulator/features.py)."""
    refused = features.refusal(params)
    if refused:
        raise EmulatorError(400, refused)
    return {
        "id": transcript_id,
        "audio_url": params["audio_url"],
        "status": "queued",
        "speech_model": None,
        "speech_models": params["speech_models"],
        "language_model": "assemblyai_default",
        "acoustic_model": "assemblyai_default",
        "language_code": params.get("language_code") or "en_us",  # the API's default until detection
        "language_detection": params.get("language_detection", False),
        "language_confidence_threshold": params.get("language_confidence_threshold"),
        "language_confidence": None,
        "speaker_labels": params.get("speaker_labels", False),
        "speakers_expected": params.get("speakers_expected"),
        "audio_start_from": params.get("audio_start_from"),
        "audio_end_at": params.get("audio_end_at"),
        "punctuate": params.get("punctuate", True),
        "format_text": params.get("format_text", True),
        "webhook_url": params.get("webhook_url"),
        "webhook_auth": bool(params.get("webhook_auth_header_name")),
        "auto_highlights": params.get("auto_highlights", False),
        "auto_highlights_result": None,
        "redact_pii": params.get("redact_pii", False),
        "summarization": params.get("summarization", False),
        **{name: params[name] for name in ECHOED if name in params},
        "text": None,
        "words": None,
        "utterances": None,
        "confidence": None,
        "audio_duration": None,
    }


def _detect(conversation: build.Conversation, params: dict) -> tuple[str, float, str | None]:
    """Language detection: the audio's language with its confidence, and the error it ends in, if
    any (below the confidence threshold, or outside ``expected_languages``)."""
    language = conversation.language_code
    score = build.detection_confidence(conversation, params)
    threshold = params.get("language_confidence_threshold")
    if threshold is not None and score < threshold:
        error = (
            f"Detected language '{language}' with language_confidence {score}, below the requested "
            f"language_confidence_threshold of {threshold}."
        )
        return language, score, error
    options = params.get("language_detection_options") or {}
    expected = [code.split("_")[0] for code in options.get("expected_languages") or ["all"]]
    if "all" not in expected and language not in expected:
        fallback = options.get("fallback_language", "auto")
        instead = expected[0] if fallback == "auto" else fallback
        error = (
            f"The emulator detected '{language}', which is not among expected_languages {expected}; the API "
            f"would transcribe it as '{instead}', and the emulator cannot write a transcript in a language "
            "nobody spoke. Use audio in an expected language."
        )
        return language, score, error
    return language, score, None


def _complete(record: dict, conversation: build.Conversation | None, error: str | None) -> None:
    """Fill a transcript in as the API would on completion (or failure)."""
    result, params = record["result"], record["params"]
    detected = params.get("language_detection", False)
    model = None
    if error is None and conversation is not None:
        language = conversation.language_code
        if params.get("language_code") and not detected:
            language = params["language_code"].split("_")[0]  # transcribed as asked, like the real API
        if detected:
            language, score, error = _detect(conversation, params)
            result.update(language_code=language, language_confidence=score)
        model = build.choose_model(params["speech_models"], language)
        if error is None and model is None:
            error = f"The requested speech models {params['speech_models']} do not support the language '{language}'."
        error = error or analysis.missing(conversation, params)
    if error is not None:
        result.update(status="error", error=error)
        return
    transcription = build.transcribe(conversation, params)
    words = build.public(transcription.words)
    if not detected:
        # Without detection the API reports the code it was given, or its default, en_us.
        result["language_code"] = params.get("language_code") or ("en_us" if language == "en" else language)
    with_utterances = params.get("speaker_labels") or params.get("multichannel")
    result.update(
        status="completed",
        speech_model_used=model,
        text=" ".join(w["text"] for w in words),
        words=words,
        utterances=build.utterances(words) if with_utterances else None,
        confidence=build.mean([w["confidence"] for w in words]),
        audio_duration=round(conversation.duration_ms / 1000),
    )
    if params.get("entity_detection"):
        result["entities"] = transcription.entities
    if params.get("multichannel"):
        result["audio_channels"] = transcription.audio_channels
    if params.get("sentiment_analysis"):
        result["sentiment_analysis_results"] = analysis.sentiments(conversation, transcription.words)
    if params.get("auto_highlights"):
        result["auto_highlights_result"] = analysis.key_phrases(conversation, transcription.words)


def _advance(record: dict) -> None:
    """Polling moves a transcript on: queued -> processing -> completed (or error)."""
    record["polls"] += 1
    status = record["result"]["status"]
    if status == "queued":
        if record["error"]:
            _complete(record, None, record["error"])
        else:
            record["result"]["status"] = "processing"
    elif status == "processing":
        _complete(record, record["conversation"], None)


def _completed(state: State, transcript_id: str) -> tuple[dict, build.Conversation]:
    record = state.transcripts.get(transcript_id)
    if record is None:
        raise EmulatorError(400, NOT_FOUND)
    if record["result"]["status"] != "completed":
        raise EmulatorError(
            400, f"Transcript {transcript_id} is not completed: its status is {record['result']['status']}"
        )
    return record["result"], record["conversation"]


def create(state: State, params: dict) -> dict:
    """POST /v2/transcript: a queued transcript for an already validated body."""
    transcript_id = state.next_id("transcript", json.dumps(params, sort_keys=True))
    conversation, error = uploads.resolve_audio(state, params["audio_url"])
    record = {
        "params": params,
        "result": _base_transcript(transcript_id, params),
        "polls": 0,
        "conversation": conversation,
        "error": error,
    }
    state.transcripts[transcript_id] = record
    return record["result"]


def _list_item(result: dict) -> dict:
    return {
        "id": result["id"],
        "resource_url": f"https://api.assemblyai.com/v2/transcript/{result['id']}",
        "status": result["status"],
        "created": "2026-11-25T10:00:00.000000",
        "completed": None,
        "audio_url": result["audio_url"],
        "error": result.get("error"),
    }


def listing(state: State, query: dict) -> dict:
    """GET /v2/transcript: the newest transcripts first."""
    limit = int(query.get("limit", ["10"])[0])
    items = [_list_item(r["result"]) for r in reversed(state.transcripts.values())][:limit]
    page = {
        "limit": limit,
        "result_count": len(items),
        "current_url": f"/v2/transcript?limit={limit}",
        "prev_url": None,
        "next_url": None,
    }
    return {"page_details": page, "transcripts": items}


TRANSCRIPT_PATH = re.compile(r"/v2/transcript/([^/]+)(?:/([a-z-]+))?")


def handle(state: State, method: str, transcript_id: str, sub: str | None, query: dict) -> tuple[int, Any, str]:
    """GET or DELETE /v2/transcript/{id} and the GET endpoints below it."""
    if sub is None:
        record = state.transcripts.get(transcript_id)
        if record is None:
            raise EmulatorError(400, NOT_FOUND)
        if method == "DELETE":
            record["result"].update(
                text="Deleted by user.", words=None, utterances=None, audio_url="http://deleted_by_user"
            )
            return 200, record["result"], "application/json"
        _advance(record)
        return 200, record["result"], "application/json"
    result, conversation = _completed(state, transcript_id)
    words = result["words"] or []
    common = {"id": transcript_id, "confidence": result["confidence"], "audio_duration": result["audio_duration"]}
    chars = int(query["chars_per_caption"][0]) if "chars_per_caption" in query else None
    if sub == "sentences":
        return 200, {**common, "sentences": build.sentences(words)}, "application/json"
    if sub == "paragraphs":
        return 200, {**common, "paragraphs": build.paragraphs(words, conversation)}, "application/json"
    if sub == "srt":
        return 200, build.srt(words, chars), "text/plain"
    if sub == "vtt":
        return 200, build.vtt(words, chars), "text/plain"
    if sub == "word-search":
        terms = [t for t in ",".join(query.get("words", [])).split(",") if t.strip()]
        matches = build.word_search(words, terms)
        return (
            200,
            {"id": transcript_id, "total_count": sum(m["count"] for m in matches), "matches": matches},
            "application/json",
        )
    raise EmulatorError(404, "Not found")
