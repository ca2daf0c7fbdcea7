"""A local emulator of AssemblyAI's API, for making reference recordings without the real service.

    python -m tools.emulator --port 8765 --api-key KEY [--notebook SLUG]

It answers as ``api.assemblyai.com`` (``/v2/...``) and ``llm-gateway.assemblyai.com`` (``/v1/...``)
on one loopback port, from the timing files of the synthesised conversations (``data/scripts``).
Every request it accepts and every response it sends is checked against the official specs
(``tools/spec.py``); a response of its own that fails the check is answered as a 500 and kept in
``violations``, so tests see it. It refuses what the real API refuses: a bad key, a body the spec
rejects (no ``speech_models``, an unknown field), an unknown transcript id, audio under 160 ms, a
model the gateway does not offer. Chat completions are answered with reference answers written for
each notebook (``data/answers/<slug>/<n>.md`` or ``.json``; ``<n>.refusal.md`` stands for a model
that declines), never by a model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cookbook_utils import audio
from cookbook_utils.recording import is_loopback
from tools import emulator_transcripts as build
from tools import spec

ROOT = Path(__file__).resolve().parents[1]
MIN_AUDIO_MS = 160
UNAUTHORIZED = "Authentication error, API token missing/invalid"
NOT_FOUND = "Transcript lookup error, transcript id not found"
CDN = "https://cdn.assemblyai.com/upload/"
GATEWAY_MODELS = [
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "anthropic", 200_000, 3.0, 15.0),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "google", 1_000_000, 0.1, 0.4),
]


class EmulatorError(Exception):
    """A request the emulator answers with an error status (the real API's, where it has one)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class State:
    """Everything the emulator remembers: uploads, transcripts, how often each was polled."""

    def __init__(self, data_dir: Path, notebook: str | None):
        self.data_dir = data_dir
        self.notebook = notebook
        self.library = build.load_library(data_dir)
        self.uploads: dict[str, dict] = {}
        self.transcripts: dict[str, dict] = {}
        self.chat_calls = 0
        self.chat_requests: list[dict] = []  # every chat completion body accepted, for tests
        self.sequence = 0
        self.lock = threading.Lock()

    def next_id(self, *parts: object) -> str:
        """Deterministic ids: the same requests in the same order give the same ids."""
        self.sequence += 1
        digest = hashlib.sha256("|".join(map(str, (*parts, self.sequence))).encode()).hexdigest()
        return str(uuid.UUID(digest[:32]))


# --- audio -------------------------------------------------------------------------------------


def _probe_duration_ms(data: bytes) -> int | None:
    """Decode unknown uploaded bytes with ffmpeg; None when they hold no audio."""
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        try:
            return audio.duration_ms(handle.name) or None
        except audio.AudioDecodeError:
            return None


#: How close (ms) the decoded length of re-encoded audio must be to a script's to be recognised.
DURATION_TOLERANCE_MS = 120


def _recognise(state: State, body: bytes) -> dict:
    """The conversation behind some audio bytes: by their sha256 when they are one of our files,
    else by decoded duration (the same speech re-encoded, e.g. by yt-dlp and ffmpeg), when exactly
    one script is that long."""
    known = state.library.get(hashlib.sha256(body).hexdigest())
    if known:
        return {"conversation": known, "duration_ms": known.duration_ms}
    duration = _probe_duration_ms(body)
    candidates = {
        c.name: c
        for c in state.library.values()
        if duration is not None and abs(c.duration_ms - duration) <= DURATION_TOLERANCE_MS
    }
    conversation = next(iter(candidates.values())) if len(candidates) == 1 else None
    return {"conversation": conversation, "duration_ms": duration}


def _fetch_local(url: str) -> bytes:
    """Download an audio URL served on this machine (a local S3, a local media server), as the
    real API downloads any URL it is given; raises EmulatorError for an unreachable file."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except (urllib.error.URLError, OSError):
        raise EmulatorError(
            400,
            f"Download error, unable to download {url}. Please make sure the file exists and is accessible "
            "from the internet.",
        ) from None


def _upload(state: State, body: bytes) -> dict:
    digest = hashlib.sha256(body).hexdigest()
    entry = _recognise(state, body)
    upload_id = state.next_id("upload", digest).replace("-", "")
    state.uploads[CDN + upload_id] = entry
    return {"upload_url": CDN + upload_id}


def _resolve_audio(state: State, audio_url: str) -> tuple[build.Conversation | None, str | None]:
    """The conversation behind an audio URL, or the error the API would report for it."""
    loopback = is_loopback(urlsplit(audio_url).hostname)
    if audio_url in state.uploads or loopback:
        if loopback:
            try:
                entry = _recognise(state, _fetch_local(audio_url))
            except EmulatorError as error:
                return None, str(error)
        else:
            entry = state.uploads[audio_url]
        if entry["duration_ms"] is None:
            return None, "File does not appear to contain audio. File type is application/octet-stream (data)."
        if entry["duration_ms"] < MIN_AUDIO_MS:
            return None, "Audio duration is too short."
        if entry["conversation"] is None:
            return None, "The emulator has no script for this audio; it answers only for files in data/audio."
        return entry["conversation"], None
    name = Path(urlsplit(audio_url).path).name
    if name in state.library:
        return state.library[name], None
    return None, (
        f"Download error, unable to download {audio_url}. Please make sure the file exists and is accessible "
        "from the internet."
    )


# --- transcripts -------------------------------------------------------------------------------


def _base_transcript(transcript_id: str, params: dict) -> dict:
    """Every key the Transcript schema requires, set as the request asked or null."""
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
        "text": None,
        "words": None,
        "utterances": None,
        "confidence": None,
        "audio_duration": None,
    }


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
            score = build.detection_confidence(conversation, params)
            result.update(language_code=language, language_confidence=score)
            threshold = params.get("language_confidence_threshold")
            if threshold is not None and score < threshold:
                error = (
                    f"Detected language '{language}' with language_confidence {score}, below the requested "
                    f"language_confidence_threshold of {threshold}."
                )
        model = build.choose_model(params["speech_models"], language)
        if error is None and model is None:
            error = f"The requested speech models {params['speech_models']} do not support the language '{language}'."
    if error is not None:
        result.update(status="error", error=error)
        return
    words = build.transcript_words(conversation, params)
    if not detected:
        # Without detection the API reports the code it was given, or its default, en_us.
        result["language_code"] = params.get("language_code") or ("en_us" if language == "en" else language)
    result.update(
        status="completed",
        speech_model_used=model,
        text=" ".join(w["text"] for w in words),
        words=words,
        utterances=build.utterances(words) if params.get("speaker_labels") else None,
        confidence=build.mean([w["confidence"] for w in words]),
        audio_duration=round(conversation.duration_ms / 1000),
    )


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


# --- the HTTP side -----------------------------------------------------------------------------


def _answer_file(state: State, number: int) -> Path:
    folder = state.data_dir / "answers" / (state.notebook or "_no_notebook")
    for suffix in (".json", ".md", ".refusal.md"):
        if (folder / f"{number}{suffix}").is_file():
            return folder / f"{number}{suffix}"
    raise EmulatorError(
        400,
        f"The emulator has no reference answer for chat completion {number} of notebook {state.notebook!r}: "
        f"write {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}/{number}.md (or .json "
        "for a structured reply).",
    )


def _chat(state: State, body: dict) -> dict:
    model = body["model"]
    if model not in {entry[0] for entry in GATEWAY_MODELS}:
        raise EmulatorError(400, f"Model '{model}' is not supported. GET /v1/models lists the available models.")
    state.chat_calls += 1
    state.chat_requests.append(body)
    path = _answer_file(state, state.chat_calls)
    answer = path.read_text().strip()
    # A reference answer named <n>.refusal.md stands for a model that declines to answer.
    finish_reason = "refusal" if path.name.endswith(".refusal.md") else "stop"
    prompt = json.dumps(body.get("messages") or body.get("prompt"))
    input_tokens, output_tokens = max(1, len(prompt) // 4), max(1, len(answer) // 4)
    echoed = {key: body[key] for key in ("model", "max_tokens", "temperature", "tools", "tool_choice") if key in body}
    return {
        "request_id": state.next_id("chat", prompt),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": finish_reason}],
        "request": echoed,
        # The spec's names and the OpenAI-style ones the SDK's model also requires.
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
        },
    }


def _models() -> dict:
    data = []
    for model_id, name, creator, context, prompt_price, completion_price in GATEWAY_MODELS:
        provider = {"id": creator, "name": creator.title()}
        data.append(
            {
                "id": model_id,
                "name": name,
                "description": f"{name} through AssemblyAI's LLM Gateway (emulated)",
                "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
                "supported_parameters": ["max_tokens", "temperature", "response_format", "tools"],
                "top_provider": {"is_moderated": False, "context_length": context, "max_completion_tokens": 64_000},
                "context_length": context,
                "pricing": {"global": {"prompt": prompt_price, "completions": completion_price}},
                "creator": creator,
                "retirement_date": 0,
                "available_regions": ["us", "eu"],
                "providers": [provider],
                "default_provider": provider,
            }
        )
    return {"object": "list", "data": data}


def _error_body(url: str, error: EmulatorError) -> dict:
    """The error envelope of each API: REST v2 sends ``{"error": text}``; the gateway's spec gives
    ``{"error": {"code": status, "message": text}}``."""
    if urlsplit(url).hostname == "llm-gateway.assemblyai.com":
        return {"error": {"code": error.status, "message": str(error)}}
    return {"error": str(error)}


class Handler(BaseHTTPRequestHandler):
    """Routes one request; the emulator's state hangs off the server."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        body = json.dumps(payload).encode() if content_type == "application/json" else str(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type if content_type != "text/plain" else "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _real_url(self) -> str:
        host = "llm-gateway.assemblyai.com" if self.path.startswith("/v1/") else "api.assemblyai.com"
        return f"https://{host}{self.path}"

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = self._real_url()
        emulator.requests_seen.append((method, urlsplit(url).path))
        try:
            if self.headers.get("authorization") != emulator.api_key:
                raise EmulatorError(401, UNAUTHORIZED)
            with emulator.state.lock:
                status, payload, content_type = self._route(method, url, raw)
        except EmulatorError as error:
            status, payload, content_type = error.status, _error_body(url, error), "application/json"
        try:
            spec.validate_response(method, url, status, payload, content_type)
        except spec.UnknownOperation:
            pass  # a path the API does not have: answered 404 below by _route already
        except spec.SpecViolation as violation:
            emulator.violations.append(f"{method} {url}: {violation}")
            status, payload, content_type = 500, {"error": f"emulator bug: {violation}"}, "application/json"
        self._send(status, payload, content_type)

    def _json(self, method: str, url: str, raw: bytes) -> dict:
        try:
            body = json.loads(raw or b"null")
        except ValueError as error:
            raise EmulatorError(400, f"Invalid JSON body: {error}") from error
        try:
            spec.validate_request(method, url, body)
        except spec.SpecViolation as violation:
            raise EmulatorError(400, f"Invalid request body: {str(violation).splitlines()[-1].strip()}") from violation
        return body

    def _route(self, method: str, url: str, raw: bytes) -> tuple[int, Any, str]:
        state = self.server.emulator.state
        parts = urlsplit(url)
        path, query = parts.path, parse_qs(parts.query)
        if method == "POST" and path == "/v2/upload":
            return 200, _upload(state, raw), "application/json"
        if method == "POST" and path == "/v2/transcript":
            params = self._json(method, url, raw)
            transcript_id = state.next_id("transcript", json.dumps(params, sort_keys=True))
            conversation, error = _resolve_audio(state, params["audio_url"])
            record = {
                "params": params,
                "result": _base_transcript(transcript_id, params),
                "polls": 0,
                "conversation": conversation,
                "error": error,
            }
            state.transcripts[transcript_id] = record
            return 200, record["result"], "application/json"
        if method == "GET" and path == "/v2/transcript":
            limit = int(query.get("limit", ["10"])[0])
            items = [self._list_item(r["result"]) for r in reversed(state.transcripts.values())][:limit]
            page = {
                "limit": limit,
                "result_count": len(items),
                "current_url": f"/v2/transcript?limit={limit}",
                "prev_url": None,
                "next_url": None,
            }
            return 200, {"page_details": page, "transcripts": items}, "application/json"
        match = re.fullmatch(r"/v2/transcript/([^/]+)(?:/([a-z-]+))?", path)
        if match:
            return self._transcript(method, match.group(1), match.group(2), query)
        if method == "GET" and path == "/v1/models":
            return 200, _models(), "application/json"
        if method == "POST" and path == "/v1/chat/completions":
            return 200, _chat(state, self._json(method, url, raw)), "application/json"
        if method == "POST" and path == "/v1/understanding":
            self._json(method, url, raw)
            raise EmulatorError(
                400, "Speech understanding is not available in the emulator: record this notebook live."
            )
        raise EmulatorError(404, "Not found")

    def _list_item(self, result: dict) -> dict:
        return {
            "id": result["id"],
            "resource_url": f"https://api.assemblyai.com/v2/transcript/{result['id']}",
            "status": result["status"],
            "created": "2026-11-25T10:00:00.000000",
            "completed": None,
            "audio_url": result["audio_url"],
            "error": result.get("error"),
        }

    def _transcript(self, method: str, transcript_id: str, sub: str | None, query: dict) -> tuple[int, Any, str]:
        state = self.server.emulator.state
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

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: Emulator


class Emulator:
    """The emulator on a free loopback port, as a context manager.

    >>> with Emulator(api_key="k") as emulator:
    ...     aai.settings.base_url = emulator.base_url
    """

    def __init__(self, api_key: str, notebook: str | None = None, data_dir: Path | None = None, port: int = 0):
        if not spec.spec_available():
            raise RuntimeError(
                f"the emulator checks everything against the official specs; they are not in {spec.REFERENCE}"
            )
        self.api_key = api_key
        self.state = State(Path(data_dir or ROOT / "data"), notebook)
        self.requests_seen: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.emulator = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Emulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local emulator of AssemblyAI's API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--notebook", help="the notebook whose reference LLM answers to serve")
    args = parser.parse_args(argv)
    with Emulator(args.api_key, args.notebook, port=args.port) as emulator:
        print(f"Emulating api.assemblyai.com and llm-gateway.assemblyai.com at {emulator.base_url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
