"""Sync transcription (``sync.assemblyai.com``, also ``sync.us.`` and ``sync.eu.``) and dictation
(``dictation.assemblyai.com``): one multipart request, one transcript back, no job to poll.

The facts followed (../shared/docs/platform-2026-12.md section 3, [S7] the AssemblyAI skill and [S11]
SDK 1.8.2, whose clients are read for what they send and parse):

- Sync: ``POST /v1/transcribe`` (the buffered endpoint) and ``POST /v1/transcribe/live`` (what SDK
  1.8.2 posts to, also for a complete clip, with chunked transfer coding; ``/v1/transcribe/stream`` is
  its old name), multipart ``audio`` plus an optional ``config`` (JSON); on ``/live`` the config part
  comes first (the SDK always sends one). Required header ``X-AAI-Model: universal-3-5-pro`` (the only
  value SDK 1.8.2's ``SyncSpeechModel`` knows). ``config`` takes ``prompt``, ``keyterms_prompt``,
  ``conversation_context``, ``language_codes``, ``timestamps`` and, for raw PCM, ``sample_rate`` and
  ``channels`` (the SDK sends them; "ignored for WAV"); unknown fields get a 400. Limits: 120 s,
  40 MB, 16-bit, a 30 s deadline. Response ``text, words, confidence, audio_duration_ms, session_id,
  request_time_ms``.
- Dictation: ``POST /v1/transcribe/live`` (and ``/stream``), config part first, then WAV or PCM audio
  (at most 120 s); the config fields are SDK 1.8.2's ``DictationConfig`` (``extra="forbid"``: "the
  Dictation API accepts this exact set"). The answer adds ``llm_response`` (the rewrite an
  ``llm_instruction`` asks for), ``llm_error`` (why it failed) and ``sync_time_ms``.
- ``GET /v1/warm`` on both: opens the connection ahead of time; the SDK ignores the answer.
- Errors are RFC 9457 problem details ``{"status", "title", "detail"}``: the SDK reads ``title``
  snake-cased as the ``error_code`` and names ``audio_too_large``, ``bad_audio``,
  ``capacity_exceeded`` and ``inference_timeout``.

What each accepted field does here (each is emulated or refused; none is accepted silently):

- ``keyterms_prompt``: a script's annotated mishearing whose correct words are a key term is written
  right, as on the pre-recorded API (``conversations.transcribe``).
- ``prompt`` (sync), ``stt_prompt`` (dictation) and ``conversation_context`` (sync): a mishearing whose
  correct words are a phrase of the text is written right, as the pre-recorded API's ``prompt`` does on
  Universal-3.5 Pro. For ``conversation_context`` this is a READING: it is documented to keep "proper-noun
  consistency" with the turns before, which the emulator reads as the turns naming the word.
  Over-long context is trimmed (oldest turns first) as the SDK docstring says, so it is never refused.
- ``language_codes``: each code must be one the API transcribes, and the audio's language must be among
  them, else a 400 (the real API would write the audio as another language, which the emulator cannot;
  the pre-recorded ``expected_languages`` does the same). On sync it is "ignored when ``prompt`` is set"
  (SDK docstring), and so it is here.
- ``timestamps``: ``words`` carry ``start`` and ``end`` (ms) only when it is true (the SDK's default is
  false: "no timestamps are returned").
- ``sample_rate`` / ``channels``: read for raw PCM (``Content-Type: audio/pcm``) to know its length;
  both are needed then. For WAV they are ignored, as documented.
- ``llm_instruction`` / ``rewrite_mode`` (dictation): the rewrite is a reference answer
  (``answers.rewrite``) written for the audio's script, the mode (default ``fast``) and a phrase of the
  instruction; without one, ``llm_response`` is null and ``llm_error`` is ``error``, the documented code
  for "the model returned nothing usable" (api-reference/dictation-api/transcribe; a recipe meets this as
  it meets a failed rewrite), and the emulator's log says which reference answer to write. With no
  instruction the documented default cleanup runs ("removes disfluencies only ... every kept word stays
  exactly as spoken", docs/dictation/transcript-rewriting): the synthesised speech has no filler or
  stammer, so ``llm_response`` is the transcript itself (READING, UNVERIFIED: whether the default pass
  also resolves self-corrections; the docs' list does not name them).

Limits, and how the emulator tells them: the size is the audio part's bytes (READING: 40 MB is taken as
40 MiB, 41,943,040 bytes, UNVERIFIED); the length and bit depth come from the WAV header (the ``fmt ``
chunk's bits per sample; WAVE_FORMAT_EXTENSIBLE is read the same way) or, for raw PCM, from the byte
count with two bytes a sample (raw PCM is S16LE by the SDK's definition, so its depth cannot be told);
a WAV whose data chunk claims more bytes than it holds is measured by what it holds. Audio that is not
WAV (an MP3, which SDK 1.8.2 posts to sync labelled ``audio/wav``) is refused as ``bad_audio``:
READING, facts section 3 says only "16-bit" for sync and "wav/pcm" for dictation. The 30 s deadline
cannot be reached (the emulator answers at once); a fault plan's ``"504"`` fault on these paths answers
with it (``inference_timeout``), and a ``"503"`` with ``capacity_exceeded``.

Further readings, UNVERIFIED: the statuses (413 for the size; 400 for the rest, with titles "Audio Too
Long", "Bad Audio", "Bad Request"; 504 for the deadline); the 401 for a missing or wrong key, in problem
details with the pre-recorded API's text (the SDK sends the key bare in ``authorization``, as for
``/v2``); ``request_time_ms`` and ``sync_time_ms``, which are fixed functions of the audio's length so
that recordings repeat; ``/v1/warm``'s body (``{}``). Which API a request is for: its ``Host`` header
(``sync.*`` or ``dictation.*``); a loopback host (a test pointing both SDK settings at the emulator)
means sync when ``X-AAI-Model`` is sent, as only the sync client sends it, and dictation otherwise.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from tools.emulator import answers, conversations, models, uploads
from tools.emulator.errors import EmulatorError, text
from tools.emulator.state import State

SYNC, DICTATION = "sync", "dictation"
_log = logging.getLogger(__name__)

SYNC_HOSTS = {"us": "sync.assemblyai.com", "eu": "sync.eu.assemblyai.com"}
DICTATION_HOST = "dictation.assemblyai.com"
#: Every host name the two APIs answer on (``sync.us.`` is the US deployment's own name).
HOSTS = {"sync.assemblyai.com": SYNC, "sync.us.assemblyai.com": SYNC, "sync.eu.assemblyai.com": SYNC}
HOSTS[DICTATION_HOST] = DICTATION
BUFFERED, LIVE, WARM = "/v1/transcribe", ("/v1/transcribe/live", "/v1/transcribe/stream"), "/v1/warm"
PATHS = (BUFFERED, *LIVE, WARM)
MODEL_HEADER = "X-AAI-Model"
#: The sync models (SDK 1.8.2 ``SyncSpeechModel``: this one only).
SYNC_MODELS = ("universal-3-5-pro",)
#: The decoder both APIs are read to run, for what a prompt does (``conversations._applies``).
DECODER = SYNC_MODELS[0]
MAX_AUDIO_MS = 120_000
MAX_AUDIO_BYTES = 40 * 1024 * 1024
DEADLINE_S = 30
#: Sync's languages: SDK 1.8.2's ``SyncTranscriptionConfig.language_codes`` docstring.
SYNC_LANGUAGES = frozenset("en es de fr it pt tr nl sv no da fi hi vi ar he ja ur zh".split())
#: Dictation's 32 languages: read as assemblyai-stt-3-7's (UNVERIFIED, models.py says how they were chosen).
DICTATION_LANGUAGES = models.STT37_LANGUAGES
REWRITE_MODES = ("fast", "smart")
#: Each API's config fields and the JSON type each takes.
CONFIG: dict[str, dict[str, tuple[type | tuple[type, ...], str]]] = {
    SYNC: {
        "prompt": (str, "a string"),
        "keyterms_prompt": (list, "a list of strings"),
        "conversation_context": ((str, list), "a string or a list of strings"),
        "language_codes": (list, "a list of language codes"),
        "timestamps": (bool, "true or false"),
        "sample_rate": (int, "an integer (Hz)"),
        "channels": (int, "an integer"),
    },
    DICTATION: {
        "sample_rate": (int, "an integer (Hz)"),
        "channels": (int, "an integer"),
        "language_codes": (list, "a list of language codes"),
        "stt_prompt": (str, "a string"),
        "keyterms_prompt": (list, "a list of strings"),
        "llm_instruction": (str, "a string"),
        "rewrite_mode": (str, "'fast' or 'smart'"),
    },
}
#: Text lengths SDK 1.8.2 enforces on its side (``_SYNC_MAX_*``, ``_DICTATION_MAX_*``), the server too.
MAX_CHARS = {"prompt": 6000, "stt_prompt": 6000, "llm_instruction": 2048}
MAX_KEYTERMS, MAX_KEYTERM_CHARS = 100, 8000
MAX_CONTEXT_TURNS, MAX_CONTEXT_CHARS = 500, 16000
#: Problem-details titles of the statuses a fault plan can send on these hosts (faults.py).
FAULT_TITLES = {503: "Capacity Exceeded", 504: "Inference Timeout"}
FAULT_TEXTS = {503: "short_audio_capacity", 504: "short_audio_deadline"}


def api_of(url: str) -> str | None:
    """``sync``, ``dictation`` or None (another API) for a URL on the real hosts."""
    return HOSTS.get(urlsplit(url).hostname or "")


def real_host(path: str, headers: Mapping[str, str], region: str) -> str | None:
    """The host a request on one of these paths was meant for (module docstring: the ``Host`` header,
    else the model header), or None for a path of another API."""
    if urlsplit(path).path not in PATHS:
        return None
    sent = (headers.get("host") or "").rsplit(":", 1)[0].lower()
    if sent in HOSTS:
        return sent
    if urlsplit(path).path == BUFFERED or headers.get(MODEL_HEADER) is not None:
        return SYNC_HOSTS[region]
    return DICTATION_HOST


def check_query(url: str) -> dict:
    """These APIs take no query parameters (the SDK sends none): any is refused by name."""
    from urllib.parse import parse_qsl

    sent = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    if sent:
        path = urlsplit(url).path
        raise _refuse(text("unknown_query", name=sent[0][0], path=path, known="no parameters"))
    return {}


def problem(status: int, message: str, title: str | None = None) -> dict:
    """The RFC 9457 envelope both APIs answer errors with."""
    return {"status": status, "title": title or HTTPStatus(status).phrase, "detail": message}


def _refuse(message: str, title: str = "Bad Request", status: int = 400) -> EmulatorError:
    return EmulatorError(status, message, title=title)


# --- The body --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    name: str
    content_type: str
    data: bytes


def _parts(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body, in order."""
    found = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not (content_type or "").lower().startswith("multipart/form-data") or not found:
        raise _refuse(text("short_audio_not_multipart", content_type=content_type))
    pieces = body.split(b"--" + found.group(1).encode())
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise _refuse(text("short_audio_bad_multipart", detail="no closing boundary"))
    parts = []
    for piece in pieces[1:-1]:
        head, separator, data = piece.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise _refuse(text("short_audio_bad_multipart", detail="a part has no blank line after its headers"))
        fields = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in head.decode("latin-1").split("\r\n"))
        )
        named = re.search(r'\bname="([^"]*)"', fields.get("content-disposition", ""))
        if named is None:
            raise _refuse(text("short_audio_bad_multipart", detail="a part has no Content-Disposition name"))
        parts.append(Part(named.group(1), fields.get("content-type", ""), data.removesuffix(b"\r\n")))
    return parts


def _config(api: str, parts: list[Part], path: str) -> tuple[dict, Part]:
    """The checked config and the audio part."""
    names = [part.name for part in parts]
    audio = next((part for part in parts if part.name == "audio"), None)
    if audio is None:
        raise _refuse(text("short_audio_no_audio"))
    if path in LIVE and names[0] != "config":
        detail = "the body has no config part" if "config" not in names else "the audio came first"
        raise _refuse(text("short_audio_part_order", path=path, detail=detail))
    sent = next((part for part in parts if part.name == "config"), None)
    try:
        config = json.loads(sent.data or b"{}") if sent else {}
    except ValueError as error:
        raise _refuse(text("short_audio_config_json", detail=error)) from error
    if not isinstance(config, dict):
        raise _refuse(text("short_audio_config_json", detail=f"got {type(config).__name__}"))
    known = CONFIG[api]
    unknown = [name for name in config if name not in known]
    if unknown:
        api_name = "the sync API" if api == SYNC else "the Dictation API"
        raise _refuse(text("short_audio_unknown_config", names=unknown, api=api_name, known=", ".join(known)))
    config = {name: value for name, value in config.items() if value is not None}
    for name, value in config.items():
        kind, expected = known[name]
        lists = name in ("keyterms_prompt", "language_codes") or isinstance(value, list)
        wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
        if wrong or (lists and not all(isinstance(item, str) for item in value)):
            raise _refuse(text("short_audio_config_type", name=name, expected=expected, value=value))
    _check_limits(config)
    return config, audio


def _check_limits(config: dict) -> None:
    for name, limit in MAX_CHARS.items():
        if len(config.get(name) or "") > limit:
            detail = f"has {len(config[name]):,} characters; the limit is {limit:,}"
            raise _refuse(text("short_audio_config_limit", name=name, detail=detail))
    terms = [term.strip() for term in config.get("keyterms_prompt") or [] if term.strip()]
    if len(terms) > MAX_KEYTERMS or sum(map(len, terms)) > MAX_KEYTERM_CHARS:
        detail = (
            f"has {len(terms)} terms, {sum(map(len, terms)):,} characters; the limit is {MAX_KEYTERMS} terms "
            f"and {MAX_KEYTERM_CHARS:,} characters"
        )
        raise _refuse(text("short_audio_config_limit", name="keyterms_prompt", detail=detail))
    mode = config.get("rewrite_mode")
    if mode is not None and mode not in REWRITE_MODES:
        raise _refuse(text("short_audio_config_type", name="rewrite_mode", expected="'fast' or 'smart'", value=mode))


def context_turns(context: str | list[str] | None) -> list[str]:
    """``conversation_context`` as the API keeps it: one turn for a string; at most 500 turns and
    16,000 characters, the oldest dropped first (SDK 1.8.2's docstring: trimmed, not rejected)."""
    turns = [context] if isinstance(context, str) else list(context or [])
    turns = [turn for turn in turns if turn.strip()]
    while turns and (len(turns) > MAX_CONTEXT_TURNS or sum(map(len, turns)) > MAX_CONTEXT_CHARS):
        turns = turns[1:]
    return turns


# --- The audio -------------------------------------------------------------------------------------


def _wav_duration_ms(data: bytes) -> int:
    """The length of a WAV file from its header, refusing one that is not 16-bit PCM."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _refuse(text("short_audio_not_wav", content_type="sent as audio/wav"), title="Bad Audio")
    position, fmt = 12, None
    while position + 8 <= len(data):
        chunk, size = data[position : position + 4], struct.unpack("<I", data[position + 4 : position + 8])[0]
        start = position + 8
        if chunk == b"fmt " and size >= 16:
            fmt = struct.unpack("<HHIIHH", data[start : start + 16])
        elif chunk == b"data":
            if fmt is None:
                detail = "its data chunk comes before its fmt chunk"
                raise _refuse(text("short_audio_bad_wav", detail=detail), title="Bad Audio")
            tag, channels, rate, _, _, bits = fmt
            if tag not in (1, 0xFFFE) or bits != 16:
                kind = "floating-point" if tag == 3 else f"format tag {tag}" if tag not in (1, 0xFFFE) else "PCM"
                raise _refuse(text("short_audio_not_16_bit", detail=f"{bits}-bit {kind}"), title="Bad Audio")
            held = min(size, len(data) - start)  # a header that claims more than the file holds
            return held * 1000 // (rate * channels * 2) if rate and channels else 0
        position = start + size + (size & 1)
    raise _refuse(text("short_audio_bad_wav", detail="it has no fmt and data chunks"), title="Bad Audio")


def _duration_ms(api: str, audio: Part, config: dict) -> int:
    """The audio's length, after the checks that need no script: type, size, bit depth."""
    kind = audio.content_type.split(";")[0].strip().lower()
    pcm = kind == "audio/pcm"
    if api == DICTATION and kind not in ("audio/wav", "audio/x-wav", "audio/wave", "audio/pcm", ""):
        raise _refuse(text("short_audio_unsupported_type", content_type=kind), title="Bad Audio")
    if len(audio.data) > MAX_AUDIO_BYTES:
        message = text("short_audio_too_large", size=len(audio.data), limit=MAX_AUDIO_BYTES)
        raise _refuse(message, title="Audio Too Large", status=413)
    if not pcm:
        return _wav_duration_ms(audio.data)
    rate, channels = config.get("sample_rate"), config.get("channels")
    if not rate or not channels or rate < 1 or channels < 1:
        raise _refuse(text("short_audio_pcm_format", detail=f" (sent: sample_rate {rate}, channels {channels})"))
    return len(audio.data) * 1000 // (rate * channels * 2)


def _conversation(state: State, audio: bytes, duration_ms: int) -> conversations.Conversation:
    if duration_ms > MAX_AUDIO_MS:
        message = text("short_audio_too_long", seconds=duration_ms / 1000, limit=MAX_AUDIO_MS // 1000)
        raise _refuse(message, title="Audio Too Long")
    found = state.library.get(hashlib.sha256(audio).hexdigest()) or uploads.by_duration(state, duration_ms)
    if found is None:
        raise _refuse(text("short_audio_no_script"), title="Bad Audio")
    return found


def _check_language(api: str, conversation: conversations.Conversation, codes: list[str] | None) -> None:
    if codes is None:
        return
    known = SYNC_LANGUAGES if api == SYNC else DICTATION_LANGUAGES
    unknown = [code for code in codes if code.split("_")[0].lower() not in known]
    if unknown or not codes:
        api_name = "sync API" if api == SYNC else "Dictation API"
        known_text = ", ".join(sorted(known))
        fields = {"name": "language_codes", "codes": codes, "api": api_name, "unknown": unknown}
        raise _refuse(text("short_audio_language_code", **fields, known=known_text))
    language = conversation.language_code.split("_")[0]
    if language not in {code.split("_")[0].lower() for code in codes}:
        raise _refuse(text("short_audio_language", name="language_codes", codes=codes, language=language))


# --- The answers -----------------------------------------------------------------------------------


def _transcript(conversation: conversations.Conversation, config: dict, prompt: str, timestamps: bool) -> dict:
    """``text``, ``words`` and ``confidence`` as the decoder writes them for this config."""
    params = {"keyterms_prompt": config.get("keyterms_prompt") or [], "prompt": prompt}
    words = conversations.public(conversations.transcribe(conversation, params, DECODER).words)
    timed = ("text", "start", "end", "confidence") if timestamps else ("text", "confidence")
    shown = [{key: w[key] for key in timed} for w in words]
    return {
        "text": " ".join(w["text"] for w in words),
        "words": shown,
        "confidence": conversations.mean([w["confidence"] for w in words]) or 0.0,
    }


def _sync_time_ms(duration_ms: int) -> float:
    """A fixed, plausible server time for transcribing this much audio (module docstring: READING)."""
    return round(120 + duration_ms * 0.012, 1)


def check_model(api: str, headers: Mapping[str, str]) -> None:
    """Sync's required ``X-AAI-Model`` header (dictation sends none and needs none)."""
    sent = headers.get(MODEL_HEADER)
    if api == SYNC and sent not in SYNC_MODELS:
        shown = repr(sent) if sent is not None else "none"
        raise _refuse(text("sync_model_header", allowed=", ".join(SYNC_MODELS), sent=shown))


def transcribe(state: State, api: str, path: str, body: bytes, headers: Mapping[str, str], region: str) -> dict:
    """One sync or dictation request, answered at once."""
    check_model(api, headers)
    if api == DICTATION and region != "us":
        raise _refuse(text("dictation_region"), title="Not Found", status=404)
    config, audio = _config(api, _parts(body, headers.get("content-type") or ""), path)
    duration = _duration_ms(api, audio, config)
    conversation = _conversation(state, audio.data, duration)
    if api == SYNC:
        if not config.get("prompt"):  # "ignored when prompt is set"
            _check_language(api, conversation, config.get("language_codes"))
        prompt = " ".join([config.get("prompt") or "", *context_turns(config.get("conversation_context"))])
        answer = _transcript(conversation, config, prompt, bool(config.get("timestamps")))
        return {
            **answer,
            "audio_duration_ms": duration,
            "session_id": state.next_id("sync-session"),
            "request_time_ms": _sync_time_ms(duration),
        }
    _check_language(api, conversation, config.get("language_codes"))
    answer = _transcript(conversation, config, config.get("stt_prompt") or "", timestamps=False)
    sync_ms = _sync_time_ms(duration)
    mode = config.get("rewrite_mode") or answers.DEFAULT_REWRITE_MODE
    llm_ms = 350.0 if mode == "fast" else 1200.0
    rewritten, error = answer["text"], None  # the default cleanup: our synthesised speech has nothing to clean
    if config.get("llm_instruction"):
        found = answers.rewrite(state.data_dir, state.notebook, conversation.name, mode, config["llm_instruction"])
        if found is None:
            # "error: the model returned nothing usable" is the documented code nearest to "no reference
            # answer"; what to write so that there is one goes to the emulator's log, not to the reader.
            rewritten, error = None, "error"
            _log.warning(answers.rewrite_howto(state.notebook, conversation.name, mode, state.data_dir))
        else:
            rewritten = found.text()
    return {
        **answer,
        "llm_response": rewritten,
        "llm_error": error,
        "audio_duration_ms": duration,
        "session_id": state.next_id("dictation-session"),
        "request_time_ms": round(sync_ms + llm_ms, 1),
        "sync_time_ms": sync_ms,
    }


def validate_response(url: str, status: int, payload: Any) -> None:
    """There is no published spec of these APIs: an answer must parse with SDK 1.8.2's own model
    (``SyncTranscriptResponse``, ``DictationResponse``) and hold no key the model lacks; an error must
    be problem details whose ``status`` is the HTTP status. Raises ``spec.SpecViolation``."""
    from tools import spec

    if urlsplit(url).path == WARM:
        return
    if status != 200:
        shape = isinstance(payload, dict) and set(payload) == {"status", "title", "detail"}
        if not shape or payload["status"] != status:
            raise spec.SpecViolation(f"{url}: an error that is not problem details of status {status}: {payload!r}")
        return
    import assemblyai as aai

    model = aai.SyncTranscriptResponse if api_of(url) == SYNC else aai.DictationResponse
    extra = set(payload) - set(model.model_fields)
    try:
        model.model_validate(payload)
    except Exception as error:  # noqa: BLE001 - pydantic's ValidationError, named in the violation
        raise spec.SpecViolation(f"{url}: the SDK's {model.__name__} cannot parse the answer: {error}") from error
    if extra:
        raise spec.SpecViolation(f"{url}: keys the SDK's {model.__name__} does not have: {sorted(extra)}")
