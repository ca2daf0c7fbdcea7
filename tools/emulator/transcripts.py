"""Transcripts: their life from queued to completed or error, and the endpoints that read them."""

from __future__ import annotations

import datetime
import json
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from cookbook_utils.network import is_loopback
from tools.emulator import analysis, features, messages, uploads
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
        error = messages.text(
            "language_confidence_below_threshold", language=language, confidence=score, threshold=threshold
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
            error = messages.text("models_do_not_support_language", models=params["speech_models"], language=language)
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


# --- Life cycle: time, not polling, moves a transcript -------------------------------------------
#
# A transcript is queued for the first half of ``State.processing_seconds``, processing for the
# second half, and finishes (completed or error) when that time has passed and its audio is known,
# whether or not anyone polls: the scheduler finishes it on time, and a poll that comes first
# finishes it on the spot. A finished transcript with a ``webhook_url`` calls it once finished.
# Each record has its own lock; the state lock is held only to add or find a record.

#: Speech models the API has retired; anything else not in ``MODEL_LANGUAGES`` is a typo.
RETIRED_MODELS = {"nano", "best", "universal", "slam-1", "conformer-2"}
#: The created/completed times a transcript reports: a fixed epoch plus its sequence, so recordings
#: made twice are the same.
EPOCH = datetime.datetime(2026, 11, 25, 10, 0, 0)
WEBHOOK_ATTEMPTS = 10  # the docs: retried up to 10 attempts when no 2xx arrives within 10 s
WEBHOOK_TIMEOUT_S = 10.0
WEBHOOK_RETRY_PAUSE_S = 0.2
#: How long a poll waits for a webhook delivery under way, so that a poll made once the receiver
#: has answered sees ``webhook_status_code`` (and one made from inside the receiver does not wait
#: for ever).
WEBHOOK_SETTLE_S = 0.5


def _check_models(models: list[str]) -> None:
    """Refuse a retired or unknown speech model at submission, as the API does."""
    for model in models:
        if model in RETIRED_MODELS:
            raise EmulatorError(400, messages.text("speech_model_deprecated", model=model))
        if model not in build.MODEL_LANGUAGES:
            raise EmulatorError(
                400, messages.text("speech_model_invalid", model=model, supported=", ".join(build.MODEL_LANGUAGES))
            )


def _check_webhook(params: dict) -> None:
    url = params.get("webhook_url")
    if url is not None and not is_loopback(urlsplit(url).hostname):
        raise EmulatorError(400, messages.text("webhook_not_loopback", url=url))


def _clock_text(sequence: int, after_seconds: float = 0.0) -> str:
    moment = EPOCH + datetime.timedelta(seconds=sequence, milliseconds=round(after_seconds * 1000))
    return moment.isoformat(timespec="microseconds")


def create(state: State, params: dict) -> dict:
    """POST /v2/transcript: a queued transcript for an already validated body."""
    _check_models(params["speech_models"])
    _check_webhook(params)
    transcript_id = state.next_id("transcript", json.dumps(params, sort_keys=True))
    now = time.monotonic()
    record = {
        "params": params,
        "result": _base_transcript(transcript_id, params),
        "polls": 0,
        "conversation": None,
        "error": None,
        "audio_known": threading.Event(),
        "started": now,
        "ready_at": now + state.processing_seconds,
        "finished": False,
        "deleted": False,
        "lock": threading.Lock(),
        "delivered": threading.Event(),  # set when no webhook delivery is under way
    }
    record["delivered"].set()
    with state.lock:
        record["sequence"] = len(state.transcripts)
        state.transcripts[transcript_id] = record
    answer = dict(record["result"])
    if is_loopback(urlsplit(params["audio_url"]).hostname):
        # Downloading may take long (or hang): never on the request's path.
        threading.Thread(target=_resolve, args=(state, record), daemon=True, name="emulator-download").start()
    else:
        _resolve(state, record)
    state.scheduler.at(record["ready_at"], lambda: _finish(state, record))
    return answer


def _resolve(state: State, record: dict) -> None:
    """Find the audio's conversation (downloading a loopback URL), then finish if it is time."""
    try:
        record["conversation"], record["error"] = uploads.resolve_audio(state, record["params"]["audio_url"])
    except Exception as error:  # noqa: BLE001 - a bug must show as a failed transcript and a problem
        state.problems.append(f"resolving {record['params']['audio_url']}: {error!r}")
        record["error"] = messages.text("server_error")
    record["audio_known"].set()
    _finish(state, record)


def _finish(state: State, record: dict) -> None:
    """Complete (or fail) the transcript once its time has come and its audio is known."""
    if not record["audio_known"].is_set() or time.monotonic() < record["ready_at"]:
        return
    with record["lock"]:
        if record["finished"] or record["deleted"]:
            return
        _complete(record, record["conversation"] if not record["error"] else None, record["error"])
        record["completed_at"] = _clock_text(record["sequence"], state.processing_seconds)
        record["finished"] = True
        webhook = record["params"].get("webhook_url")
        if webhook:
            record["delivered"].clear()
    if webhook:
        threading.Thread(target=_deliver, args=(state, record), daemon=True, name="emulator-webhook").start()


def _deliver(state: State, record: dict) -> None:
    """POST the documented webhook body to the transcript's (loopback) webhook_url."""
    params, result = record["params"], record["result"]
    body = json.dumps({"transcript_id": result["id"], "status": result["status"]}).encode()
    headers = {"content-type": "application/json"}
    if params.get("webhook_auth_header_name"):
        headers[params["webhook_auth_header_name"]] = params.get("webhook_auth_header_value") or ""
    code = None
    try:
        for attempt in range(WEBHOOK_ATTEMPTS):
            request = urllib.request.Request(params["webhook_url"], data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
                    code = response.status
            except urllib.error.HTTPError as error:
                code = error.code
            except (urllib.error.URLError, OSError):
                code = None
            if code is not None and code < 500:
                break  # 2xx delivered; 4xx is a failure the API does not retry
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                time.sleep(WEBHOOK_RETRY_PAUSE_S)
        with record["lock"]:
            result["webhook_status_code"] = code
        with state.lock:
            state.webhooks.append({"transcript_id": result["id"], "status": result["status"], "code": code})
    finally:
        record["delivered"].set()


def _refresh(state: State, record: dict) -> None:
    """Bring the transcript's status up to the clock (call under the record's lock)."""
    if not record["finished"] and not record["deleted"]:
        halfway = record["started"] + state.processing_seconds / 2
        started = record["audio_known"].is_set() and time.monotonic() >= halfway
        record["result"]["status"] = "processing" if started else "queued"


def _advance(state: State, record: dict) -> dict:
    """A poll: the transcript as it stands now (finishing it if its time has come)."""
    _finish(state, record)
    record["delivered"].wait(WEBHOOK_SETTLE_S)
    with record["lock"]:
        record["polls"] += 1
        _refresh(state, record)
        return dict(record["result"])


def _record(state: State, transcript_id: str) -> dict:
    with state.lock:
        record = state.transcripts.get(transcript_id)
    if record is None:
        raise EmulatorError(400, NOT_FOUND)
    return record


def _completed(state: State, transcript_id: str) -> tuple[dict, build.Conversation]:
    record = _record(state, transcript_id)
    result = _advance(state, record)
    if result["status"] != "completed":
        raise EmulatorError(
            400, messages.text("transcript_not_completed", transcript_id=transcript_id, status=result["status"])
        )
    return result, record["conversation"]


def _delete(record: dict) -> dict:
    """DELETE: the transcript's content is gone for good, whatever state it was in."""
    with record["lock"]:
        record["deleted"] = True
        result = record["result"]
        if not record["finished"]:
            result.update(status="error", error=messages.text("deleted_before_completion"))
        result.update(
            text="Deleted by user.",
            words=None,
            utterances=None,
            audio_url="http://deleted_by_user",
        )
        return dict(result)


def _list_item(record: dict) -> dict:
    result = record["result"]
    return {
        "id": result["id"],
        "resource_url": f"https://api.assemblyai.com/v2/transcript/{result['id']}",
        "status": result["status"],
        "created": _clock_text(record["sequence"]),
        "completed": record.get("completed_at"),
        "audio_url": result["audio_url"],
        "error": result.get("error"),
    }


LIST_URL = "https://api.assemblyai.com/v2/transcript"


def listing(state: State, query: dict[str, Any]) -> dict:
    """GET /v2/transcript: newest first, ``limit`` per page, filtered by ``status`` and
    ``created_on``, paged with ``before_id`` (older) and ``after_id`` (newer)."""
    with state.lock:
        records = list(state.transcripts.values())  # oldest first
    for record in records:
        _finish(state, record)  # time moves transcripts, listed or not
        with record["lock"]:
            _refresh(state, record)
    limit = query.get("limit", 10)
    filters = {key: query[key] for key in ("status", "created_on") if key in query}
    position = {record["result"]["id"]: index for index, record in enumerate(records)}

    def keep(record: dict) -> bool:
        if query.get("throttled_only"):
            return False  # the emulator never throttles a transcript
        if "status" in filters and record["result"]["status"] != filters["status"]:
            return False
        return "created_on" not in filters or _clock_text(record["sequence"])[:10] == filters["created_on"]

    chosen = [record for record in records if keep(record)]
    for key in ("before_id", "after_id"):
        if key in query and query[key] not in position:
            raise EmulatorError(400, NOT_FOUND)
    if "after_id" in query:
        newer = [r for r in chosen if position[r["result"]["id"]] > position[query["after_id"]]]
        page = newer[:limit]  # the oldest of the newer ones: the page just after after_id
    else:
        older = [
            r for r in chosen if "before_id" not in query or position[r["result"]["id"]] < position[query["before_id"]]
        ]
        page = older[-limit:]
    page = list(reversed(page))  # newest first
    has_older = bool(page) and any(position[r["result"]["id"]] < position[page[-1]["result"]["id"]] for r in chosen)
    has_newer = bool(page) and any(position[r["result"]["id"]] > position[page[0]["result"]["id"]] for r in chosen)

    def url(**extra: str) -> str:
        return f"{LIST_URL}?{urlencode({'limit': limit, **filters, **extra})}"

    current = {key: query[key] for key in ("before_id", "after_id") if key in query}
    details = {
        "limit": limit,
        "result_count": len(page),
        "current_url": url(**current),
        "prev_url": url(before_id=page[-1]["result"]["id"]) if has_older else None,
        "next_url": url(after_id=page[0]["result"]["id"]) if has_newer else None,
    }
    items = []
    for record in page:
        with record["lock"]:
            items.append(_list_item(record))
    return {"page_details": details, "transcripts": items}


TRANSCRIPT_PATH = re.compile(r"/v2/transcript/([^/]+)(?:/([a-z-]+))?")


def handle(state: State, method: str, transcript_id: str, sub: str | None, query: dict) -> tuple[int, Any, str]:
    """GET or DELETE /v2/transcript/{id} and the GET endpoints below it (``query`` already
    validated and typed by the server)."""
    if sub is None:
        record = _record(state, transcript_id)
        if method == "DELETE":
            return 200, _delete(record), "application/json"
        return 200, _advance(state, record), "application/json"
    result, conversation = _completed(state, transcript_id)
    words = result["words"] or []
    common = {"id": transcript_id, "confidence": result["confidence"], "audio_duration": result["audio_duration"]}
    chars = query.get("chars_per_caption")
    if sub == "sentences":
        return 200, {**common, "sentences": build.sentences(words)}, "application/json"
    if sub == "paragraphs":
        return 200, {**common, "paragraphs": build.paragraphs(words, conversation)}, "application/json"
    if sub == "srt":
        return 200, build.srt(words, chars), "text/plain"
    if sub == "vtt":
        return 200, build.vtt(words, chars), "text/plain"
    if sub == "word-search":
        terms = [t for t in query.get("words", []) if t.strip()]
        matches = build.word_search(words, terms)
        return (
            200,
            {"id": transcript_id, "total_count": sum(m["count"] for m in matches), "matches": matches},
            "application/json",
        )
    raise EmulatorError(404, messages.text("not_found"))
