"""Transcripts: their life from queued to completed or error, and the endpoints that read them."""

from __future__ import annotations

import datetime
import json
import math
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from cookbook_utils.network import is_loopback
from tools.emulator import analysis, conversations, faults, features, models, request_rules, uploads
from tools.emulator.errors import NOT_FOUND, EmulatorError, text
from tools.emulator.state import REGION_HOSTS, State

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
    "prompt",
    "remove_audio_tags",
    "domain",
    "redact_pii_return_unredacted",
    "speech_understanding",
    "redact_pii_audio",
    "redact_pii_audio_quality",
    "redact_pii_audio_options",
)
#: The languages Medical Mode (``domain: "medical-v1"``) covers; for others it is skipped with a warning.
MEDICAL_LANGUAGES = {"en", "es", "de", "fr"}


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
        "speech_model_used": None,  # present and null until the transcript completes (a real submit answer)
        "language_code": params.get("language_code"),  # none sent: detected, known on completion
        "language_detection": detects(params),
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


def detects(params: dict) -> bool:
    """Whether the language is detected: asked for, or no ``language_code`` sent (no en_us default)."""
    return params.get("language_detection", not params.get("language_code"))


def _detect(conversation: conversations.Conversation, params: dict) -> tuple[str, float, str | None]:
    """Language detection: the audio's language with its confidence, and the error it ends in, if
    any (below the confidence threshold, or outside ``expected_languages``)."""
    language = conversation.language_code
    score = conversations.detection_confidence(conversation, params)
    threshold = params.get("language_confidence_threshold")
    if threshold is not None and score < threshold:
        error = text("language_confidence_below_threshold", language=language, confidence=score, threshold=threshold)
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


def _complete(
    result: dict,
    params: dict,
    conversation: conversations.Conversation | None,
    error: str | None,
    data_dir: Path | None = None,
) -> dict[str, str]:
    """Fill a transcript in as the API would on completion (or failure); returns which script
    speaker each of its speaker labels stands for."""
    detected = detects(params)
    model = None
    if error is None and conversation is not None:
        language = conversation.language_code
        if params.get("language_code") and not detected:
            language = params["language_code"].split("_")[0]  # transcribed as asked, like the real API
        if detected:
            language, score, error = _detect(conversation, params)
            result.update(language_code=language, language_confidence=score)
        model = models.choose(params["speech_models"], language)
        if error is None and model is None:
            error = text("models_do_not_support_language", models=params["speech_models"], language=language)
        error = error or analysis.missing(conversation, params)
    if error is not None:
        result.update(status="error", error=error)
        return {}
    transcription = conversations.transcribe(conversation, params, model)
    words, spans = conversations.timeline(conversations.public(transcription.words))
    if not detected:
        result["language_code"] = params["language_code"]  # without detection: the code it was given
    with_utterances = params.get("speaker_labels") or params.get("multichannel")
    result.update(
        status="completed",
        speech_model_used=model,
        text=" ".join(w["text"] for w in words),
        words=words,
        utterances=spans if with_utterances else None,
        confidence=conversations.mean([w["confidence"] for w in words]),
        audio_duration=math.ceil(conversation.duration_ms / 1000),  # whole seconds, rounded up, as real answers
    )
    if params.get("redact_pii") and params.get("redact_pii_return_unredacted"):
        unredacted = conversations.transcribe(conversation, {**params, "redact_pii": False}, model)
        plain, plain_spans = conversations.timeline(conversations.public(unredacted.words))
        result.update(unredacted_text=" ".join(w["text"] for w in plain), unredacted_words=plain)
        if with_utterances:
            result["unredacted_utterances"] = plain_spans
    if params.get("domain") == "medical-v1" and language.split("_")[0] not in MEDICAL_LANGUAGES:
        result["metadata"] = {"warnings": [{"message": text("medical_mode_skipped")}]}
    if params.get("entity_detection"):
        result["entities"] = transcription.entities
    if params.get("multichannel"):
        result["audio_channels"] = transcription.audio_channels
    if params.get("sentiment_analysis"):
        result["sentiment_analysis_results"] = analysis.sentiments(conversation, transcription.words)
    if params.get("auto_highlights"):
        result["auto_highlights_result"] = analysis.key_phrases(conversation, transcription.words)
    identify = ((params.get("speech_understanding") or {}).get("request") or {}).get("speaker_identification")
    if identify is not None:
        _identify_speakers(result, conversation, identify, transcription.speakers, data_dir)
    return transcription.speakers


def _identify_speakers(
    result: dict, conversation: conversations.Conversation, config: dict, speakers: dict, data_dir: Path | None
) -> None:
    """Speaker identification requested with the transcript (``speech_understanding``): the
    utterances and words with names or roles in place of labels, and the task's request and
    response, as ``POST /v1/understanding`` answers them; a value that fits no speaker of the
    script ends the transcript in error with the emulator's reason."""
    from tools.emulator import understanding  # it imports this module

    try:
        also = understanding.other_roles(data_dir, conversation) if data_dir is not None else {}
        result.update(understanding.identify_speakers(result, conversation, config, also, speakers))
    except EmulatorError as error:
        emptied = dict.fromkeys(("text", "words", "utterances", "confidence", "speech_model_used", "entities"))
        result.update(status="error", error=str(error), **emptied)


#: The created/completed times a transcript reports: a fixed epoch plus its sequence, so recordings
#: made twice are the same.
EPOCH = datetime.datetime(2026, 11, 25, 10, 0, 0)
#: The docs: a delivery that gets no 2xx within 10 s is retried, up to 10 attempts in all; a 4xx
#: ends it (no retry). The pause between attempts is not documented: ``State.webhook_retry_pause_s``
#: (and the deadline ``State.webhook_timeout_s``) are the emulator's own, short in tests.
WEBHOOK_ATTEMPTS = 10
#: How long a poll waits for a webhook delivery under way, so that a poll made once the receiver
#: has answered sees ``webhook_status_code`` (and one made from inside the receiver does not wait
#: for ever).
WEBHOOK_SETTLE_S = 0.5


def _check_webhook(state: State, params: dict) -> None:
    url = params.get("webhook_url")
    if url is not None and not state.internet and not is_loopback(urlsplit(url).hostname):
        raise EmulatorError(400, text("webhook_not_loopback", url=url))


def _clock_text(sequence: int, after_seconds: float = 0.0) -> str:
    moment = EPOCH + datetime.timedelta(seconds=sequence, milliseconds=round(after_seconds * 1000))
    return moment.isoformat(timespec="microseconds")


def create(state: State, params: dict, region: str = "us") -> dict:
    """POST /v2/transcript: a queued transcript for an already validated body, kept in ``region``.
    A body without ``speech_models`` gets the account default (``models.DEFAULT_SPEECH_MODELS``)."""
    models.check_request(params)
    request_rules.check(params)
    params = {**params, "speech_models": params.get("speech_models") or list(models.DEFAULT_SPEECH_MODELS)}
    _check_webhook(state, params)
    with state.lock:
        state.urls_sent += [(name, params[name]) for name in ("audio_url", "webhook_url") if params.get(name)]
    transcript_id = state.next_id("transcript", json.dumps(params, sort_keys=True))
    now = time.monotonic()
    record = TranscriptRecord(
        state=state,
        params=params,
        result=_base_transcript(transcript_id, params),
        region=region,
        started=now,
        ready_at=now + state.processing_seconds,
    )
    record.server_error = faults.transcript_fails_on_the_server()
    with state.lock:
        record.sequence = len(state.transcripts)
        state.transcripts[transcript_id] = record
    answer = dict(record.result)
    if is_loopback(urlsplit(params["audio_url"]).hostname) and not state.internet:
        # Downloading may take long (or hang): never on the request's path.
        threading.Thread(target=record.resolve_audio, daemon=True, name="emulator-download").start()
    else:
        record.resolve_audio()
    state.scheduler.at(record.ready_at, record.finish)
    return answer


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


Status = Literal["queued", "processing", "completed", "error"]


@dataclass(eq=False)
class TranscriptRecord:
    """One transcript: the request that made it, the Transcript the API returns (``result``) and
    where it is in its life.

    Time, not polling, moves it: ``queued`` for the first half of ``State.processing_seconds``,
    ``processing`` for the second half, then ``completed`` or ``error`` (:meth:`finish`) once that
    time has passed and its audio is known (:meth:`resolve_audio`), whether or not anyone polls.
    The scheduler finishes it on time, and a poll that comes first (:meth:`poll`) finishes it on
    the spot. A finished transcript with a ``webhook_url`` calls it, with the documented retries.
    :meth:`delete` ends its content for good, in whatever state. Each record has its own lock; the
    state lock is held only to add or find a record.
    """

    state: State = field(repr=False)
    params: dict[str, Any]
    result: dict[str, Any]
    region: str  # a transcript exists only in the deployment that made it
    started: float  # time.monotonic() at submission
    ready_at: float  # when it may finish
    sequence: int = 0  # its place among all transcripts: its created and completed times
    polls: int = 0
    conversation: conversations.Conversation | None = None
    error: str | None = None  # why it will end in error, once its audio is known
    server_error: bool = False  # made under a "transcript_error" fault (tools/emulator/faults.py)
    audio_known: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    deleted: bool = False
    completed_at: str | None = None
    #: the transcript's speaker labels -> the script speakers they stand for (once completed)
    speakers: dict[str, str] = field(default_factory=dict)
    redacted_audio: bytes | None = field(default=None, repr=False)  # made on the first download
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    delivered: threading.Event = field(default_factory=_set_event, repr=False)  # no webhook call under way

    @property
    def id(self) -> str:
        return self.result["id"]

    @property
    def status(self) -> Status:
        return self.result["status"]

    def resolve_audio(self) -> None:
        """Find the audio's conversation (downloading a loopback URL), then finish if it is time."""
        try:
            self.conversation, self.error = uploads.resolve_audio(self.state, self.params["audio_url"])
        except Exception as error:  # noqa: BLE001 - a bug must show as a failed transcript and a problem
            self.state.problems.append(f"resolving {self.params['audio_url']}: {error!r}")
            self.error = text("server_error")
        if self.server_error:  # a "transcript_error" fault: it fails on the server, whatever the audio
            self.conversation, self.error = None, text("server_error")
        self.audio_known.set()
        self.finish()

    def finish(self) -> None:
        """Complete (or fail) the transcript once its time has come and its audio is known."""
        if not self.audio_known.is_set() or time.monotonic() < self.ready_at:
            return
        with self.lock:
            if self.finished or self.deleted:
                return
            self.speakers = _complete(
                self.result,
                self.params,
                self.conversation if not self.error else None,
                self.error,
                self.state.data_dir,
            )
            self.completed_at = _clock_text(self.sequence, self.state.processing_seconds)
            self.finished = True
            webhook = self.params.get("webhook_url")
            if webhook and self.state.internet:  # the real API cannot reach this machine, nor we the internet
                undelivered = {"transcript_id": self.result["id"], "status": self.result["status"], "code": None}
                self.state.webhooks.append(undelivered)
                self.result["webhook_status_code"] = None  # no answer was received
                webhook = None
            if webhook:
                self.delivered.clear()
        if webhook:
            threading.Thread(target=self._call_webhook, daemon=True, name="emulator-webhook").start()

    def _call_webhook(self) -> None:
        """POST the documented webhook body to the transcript's (loopback) webhook_url."""
        params, result = self.params, self.result
        body = json.dumps({"transcript_id": result["id"], "status": result["status"]}).encode()
        headers = {"content-type": "application/json"}
        if params.get("webhook_auth_header_name"):
            headers[params["webhook_auth_header_name"]] = params.get("webhook_auth_header_value") or ""
        code = None
        header = params.get("webhook_auth_header_name")
        try:
            for attempt in range(WEBHOOK_ATTEMPTS):
                request = urllib.request.Request(params["webhook_url"], data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=self.state.webhook_timeout_s) as response:
                        code = response.status
                except urllib.error.HTTPError as error:
                    code = error.code
                except (urllib.error.URLError, OSError):
                    code = None  # refused, reset, or no answer within the deadline
                sent = {"transcript_id": result["id"], "status": result["status"], "attempt": attempt + 1}
                with self.state.lock:
                    self.state.webhook_attempts.append({**sent, "header": header, "body": body.decode(), "code": code})
                if code is not None and code < 300:
                    break  # delivered
                if code is not None and 400 <= code < 500:
                    break  # a 4xx: the API counts the delivery as failed and does not retry
                if attempt + 1 < WEBHOOK_ATTEMPTS:
                    time.sleep(self.state.webhook_retry_pause_s)
            with self.lock:
                result["webhook_status_code"] = code
            with self.state.lock:
                self.state.webhooks.append({"transcript_id": result["id"], "status": result["status"], "code": code})
        finally:
            self.delivered.set()

    def _refresh(self) -> None:
        """Bring an unfinished transcript's status up to the clock (call under the lock)."""
        if not self.finished and not self.deleted:
            halfway = self.started + self.state.processing_seconds / 2
            started = self.audio_known.is_set() and time.monotonic() >= halfway
            self.result["status"] = "processing" if started else "queued"

    def advance(self) -> None:
        """Bring the transcript up to the clock: finished if its time has come, else queued or processing."""
        self.finish()
        with self.lock:
            self._refresh()

    def poll(self) -> dict:
        """GET /v2/transcript/{id}: the transcript as it stands now (finishing it if its time has come)."""
        self.finish()
        self.delivered.wait(WEBHOOK_SETTLE_S)
        with self.lock:
            self.polls += 1
            self._refresh()
            return dict(self.result)

    def completed(self) -> tuple[dict, conversations.Conversation]:
        """A poll that must find the transcript completed (for the endpoints that read one)."""
        result = self.poll()
        if result["status"] != "completed":
            raise EmulatorError(400, text("transcript_not_completed", transcript_id=self.id, status=result["status"]))
        assert self.conversation is not None  # a completed transcript has its conversation
        return result, self.conversation

    def delete(self) -> dict:
        """DELETE /v2/transcript/{id}: the transcript's content is gone for good, whatever state it was in."""
        with self.lock:
            self.deleted = True
            if not self.finished:
                self.result.update(status="error", error=text("deleted_before_completion"))
            self.result.update(
                text="Deleted by user.",
                words=None,
                utterances=None,
                audio_url="http://deleted_by_user",
            )
            return dict(self.result)

    def list_item(self) -> dict:
        """The transcript as the listing shows it (call under the lock)."""
        return {
            "id": self.id,
            "resource_url": f"{_transcripts_url(self.region)}/{self.id}",
            "status": self.status,
            "created": _clock_text(self.sequence),
            "completed": self.completed_at,
            "audio_url": self.result["audio_url"],
            "error": self.result.get("error"),
        }


def _transcripts_url(region: str) -> str:
    """``/v2/transcript`` on the API host of ``region``: the only deployment its transcripts exist in."""
    return f"https://{REGION_HOSTS[region][0]}/v2/transcript"


def find(state: State, transcript_id: str, region: str | None = None) -> TranscriptRecord:
    """The transcript with this id (made in ``region``, when given), or the API's not-found error."""
    with state.lock:
        record = state.transcripts.get(transcript_id)
    if record is None or (region is not None and record.region != region):
        raise EmulatorError(400, NOT_FOUND)
    return record


def completed(state: State, transcript_id: str) -> tuple[dict, conversations.Conversation]:
    """The completed transcript with this id, and its conversation (for speech understanding)."""
    return find(state, transcript_id).completed()


def listing(state: State, query: dict[str, Any], region: str = "us") -> dict:
    """GET /v2/transcript: newest first, ``limit`` per page, filtered by ``status`` and
    ``created_on``, paged with ``before_id`` (older) and ``after_id`` (newer)."""
    with state.lock:
        records = [r for r in state.transcripts.values() if r.region == region]  # oldest first
    for record in records:
        record.advance()  # time moves transcripts, listed or not
    limit = query.get("limit", 10)
    filters = {key: query[key] for key in ("status", "created_on") if key in query}
    position = {record.id: index for index, record in enumerate(records)}

    def keep(record: TranscriptRecord) -> bool:
        if query.get("throttled_only"):
            return False  # the emulator never throttles a transcript
        if "status" in filters and record.status != filters["status"]:
            return False
        return "created_on" not in filters or _clock_text(record.sequence)[:10] == filters["created_on"]

    chosen = [record for record in records if keep(record)]
    for key in ("before_id", "after_id"):
        if key in query and query[key] not in position:
            raise EmulatorError(400, NOT_FOUND)
    if "after_id" in query:
        newer = [r for r in chosen if position[r.id] > position[query["after_id"]]]
        page = newer[:limit]  # the oldest of the newer ones: the page just after after_id
    else:
        older = [r for r in chosen if "before_id" not in query or position[r.id] < position[query["before_id"]]]
        page = older[-limit:]
    page = list(reversed(page))  # newest first
    has_older = bool(page) and any(position[r.id] < position[page[-1].id] for r in chosen)
    has_newer = bool(page) and any(position[r.id] > position[page[0].id] for r in chosen)

    def url(**extra: str) -> str:
        return f"{_transcripts_url(region)}?{urlencode({'limit': limit, **filters, **extra})}"

    current = {key: query[key] for key in ("before_id", "after_id") if key in query}
    details = {
        "limit": limit,
        "result_count": len(page),
        "current_url": url(**current),
        "prev_url": url(before_id=page[-1].id) if has_older else None,
        "next_url": url(after_id=page[0].id) if has_newer else None,
    }
    items = []
    for record in page:
        with record.lock:
            items.append(record.list_item())
    return {"page_details": details, "transcripts": items}


# --- What the endpoints below /v2/transcript/{id} read from a completed transcript ---------------


def _summary(result: dict) -> dict:
    return {"id": result["id"], "confidence": result["confidence"], "audio_duration": result["audio_duration"]}


def sentences(record: TranscriptRecord) -> dict:
    """GET /v2/transcript/{id}/sentences."""
    result, _ = record.completed()
    return {**_summary(result), "sentences": conversations.sentences(result["words"] or [])}


def paragraphs(record: TranscriptRecord) -> dict:
    """GET /v2/transcript/{id}/paragraphs."""
    result, _ = record.completed()
    return {**_summary(result), "paragraphs": conversations.paragraphs(result["words"] or [])}


def captions(record: TranscriptRecord, kind: str, chars: int | None) -> str:
    """GET /v2/transcript/{id}/srt or /vtt (``kind``), ``chars_per_caption`` at most per caption when given."""
    result, _ = record.completed()
    write = conversations.srt if kind == "srt" else conversations.vtt
    return write(result["words"] or [], chars)


def word_search(record: TranscriptRecord, words: list[str]) -> dict:
    """GET /v2/transcript/{id}/word-search: where each of the (non-blank) words is said."""
    result, _ = record.completed()
    matches = conversations.word_search(result["words"] or [], [t for t in words if t.strip()])
    return {"id": record.id, "total_count": sum(m["count"] for m in matches), "matches": matches}
