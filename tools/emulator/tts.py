"""The text-to-speech host (``tts.us.assemblyai.com`` / ``tts.eu.assemblyai.com``) over HTTP.

    with TTSServer(api_key="k") as server:
        aai.settings.tts_base_url = server.base_url

Routes (platform-2026-12.md section 7; SDK 1.8.2's ``tts/v1``): ``POST /v1/speech`` (streamed by
default, chunked; ``"stream": false`` buffered with ``Content-Length``), ``POST /v1/speech/events``
(server-sent events with word timings) and ``POST /v1/openai/audio/speech`` (OpenAI's request shape);
the WebSocket API (``/v1/ws``) on the same port, in ``tts_ws``.

The audio is the emulator's synthetic espeak-ng voice (``tts_voice``), never AssemblyAI-TTS-1: it says
the words with the right format, sample rate, duration and word timings, and sounds like espeak. What it
accepts has its documented effect; what it cannot emulate (cloned voices, ``speed`` other than 1, OpenAI
``instructions``, formats the API does not give) is refused with an error naming the parameter.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from cookbook_utils.network import QuietHTTPServer, serve_in_background
from tools.emulator import tts_voice as tv

MODEL = "assemblyai-tts-1"
#: Per-language model names (``assemblyai-tts-en`` is in the docs; the others follow it: unverified).
LANGUAGE_MODELS = {
    f"assemblyai-tts-{code}": name for code, name in zip("en es de fr it pt".split(), tv.LANGUAGES, strict=True)
}
#: OpenAI voice names as the docs map them (section 7 lists eight; create-speech-openai.md adds sage,
#: shimmer and verse).
OPENAI_VOICES = {
    "alloy": "aai-jane", "ash": "aai-michael", "ballad": "aai-charles", "cedar": "aai-george",
    "coral": "aai-anna", "echo": "aai-paul", "fable": "aai-charles", "marin": "aai-mary",
    "nova": "aai-eve", "onyx": "aai-george", "sage": "aai-vera", "shimmer": "aai-alba", "verse": "aai-michael",
}  # fmt: skip
#: OpenAI ``response_format`` -> (encoding, container). opus, aac and flac: not a format the API gives.
OPENAI_FORMATS = {"mp3": ("mp3", "raw"), "wav": ("pcm_s16le", "wav"), "pcm": ("pcm_s16le", "raw")}
SPEECH_FIELDS = (
    "text voice_id model_id language sample_rate encoding container bit_rate extend_biometric_consent stream"
).split()
OPENAI_FIELDS = "model input voice response_format speed instructions stream_format".split()
#: Unverified: no limit per request is documented by AssemblyAI; Telnyx (a third party) states 5,000
#: characters and the SDK's docstrings say "1 to 5,000 characters". The live probe should check it.
MAX_TEXT = 5000
REGIONS = {"us": "us-east-1", "eu": "eu-west-1"}  # the SDK's example is us-east-1; eu-west-1 is our guess
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
CHUNK = 4096
# Statuses: 400 invalid_parameter / model_not_found and 403 biometric_terms_not_accepted are documented.
# voice_not_found has no documented status: we take 404 (a named resource that does not exist). 401 has
# no documented code: we take "unauthorized".
STATUS = {"invalid_parameter": 400, "model_not_found": 400, "voice_not_found": 404,
          "biometric_terms_not_accepted": 403, "unauthorized": 401, "rate_limited": 429,
          "not_found": 404, "internal_error": 500, "at_capacity": 503, "session_expired": 504}  # fmt: skip
#: A fault plan's status kinds on this host (``faults.py``): the documented code each one answers with.
FAULT_CODES = {"429": "rate_limited", "503": "at_capacity", "500": "internal_error", "504": "session_expired"}


class TTSError(Exception):
    """A refusal: answered with the API's envelope (or OpenAI's, on the OpenAI route)."""

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.param, self.retry_after = code, message, param, retry_after
        self.status = status or STATUS[code]


def _invalid(param: str, message: str) -> TTSError:
    return TTSError("invalid_parameter", message, param)


def _choice(body: dict, name: str, allowed: tuple, default: Any) -> Any:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise _invalid(name, f"{name} must be one of {shown}, not {value!r}")
    return value


def _voice(value: Any, param: str = "voice_id") -> str:
    if value is None:
        return tv.DEFAULT_VOICE
    if not isinstance(value, str) or not value:
        raise _invalid(param, f"{param} must be a voice's slug or UUID, not {value!r}")
    if value in tv.VOICES:
        return value
    if UUID.fullmatch(value) or not value.startswith("aai-"):
        raise TTSError(
            "voice_not_found",
            f"No voice {value!r}. The emulator has no cloned voices and no voice UUIDs: use a library slug "
            f"({', '.join(tv.VOICES)}).",
            param,
        )
    raise TTSError("voice_not_found", f"No library voice {value!r}: use one of {', '.join(tv.VOICES)}.", param)


def speech_options(body: Any, *, events: bool = False) -> dict:
    """The checked options of a ``/v1/speech`` (or ``/v1/speech/events``) body."""
    if not isinstance(body, dict):
        raise _invalid("body", "the body must be a JSON object")
    for name in body:
        if name not in SPEECH_FIELDS:
            hint = " (only speed 1 is supported: leave it out)" if name == "speed" else ""
            raise _invalid(name, f"unknown field {name!r}{hint}")
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise _invalid("text", "text is required: 1 to 5000 characters of plain text")
    if len(text) > MAX_TEXT:
        raise _invalid("text", f"text is {len(text)} characters; at most {MAX_TEXT} per request")
    voice = _voice(body.get("voice_id"))
    model = body.get("model_id") or MODEL
    if model != MODEL and model not in LANGUAGE_MODELS:
        raise TTSError(
            "model_not_found", f"No model {model!r}: use {MODEL} or {', '.join(LANGUAGE_MODELS)}.", "model_id"
        )
    language = body.get("language")
    if language is None:
        language = LANGUAGE_MODELS.get(model, "english")
    if not isinstance(language, str) or language.lower() not in tv.LANGUAGES:
        raise _invalid("language", f"language must be one of {', '.join(tv.LANGUAGES)}, not {language!r}")
    language = language.lower()
    if model in LANGUAGE_MODELS and LANGUAGE_MODELS[model] != language:
        raise _invalid("model_id", f"{model} speaks {LANGUAGE_MODELS[model]}, not {language}")
    encoding = body.get("encoding")
    encoding = tv.ENCODING_ALIASES.get(encoding, encoding) if isinstance(encoding, str) else encoding
    encoding = _choice({"encoding": encoding}, "encoding", tv.ENCODINGS, "pcm_s16le")
    container = _choice(body, "container", ("raw", "wav"), "raw")
    sample_rate = _choice(body, "sample_rate", tv.SAMPLE_RATES, 24000)
    bit_rate = body.get("bit_rate")
    stream = body.get("stream", True)
    if not isinstance(stream, bool):
        raise _invalid("stream", f"stream must be true or false, not {stream!r}")
    if events:  # word timings sit on the raw audio's timeline: the route gives raw PCM or G.711 only
        for name, bad in (("container", "wav"), ("bit_rate", None), ("stream", None)):
            if name in body and (bad is None or body[name] == bad):
                raise _invalid(name, f"{name} is not taken by /v1/speech/events (raw audio only)")
        if encoding == "mp3":
            raise _invalid("encoding", "mp3 is not available on /v1/speech/events: pcm_s16le, pcm_mulaw or pcm_alaw")
    if encoding == "mp3":
        if "container" in body and body["container"] is not None:
            raise _invalid("container", "container applies to PCM and G.711 encodings only, not mp3")
        bit_rate = _choice(body, "bit_rate", tv.BIT_RATES, 64000)
        if sample_rate == 8000 and bit_rate > tv.MAX_BIT_RATE_8K:
            raise _invalid("bit_rate", f"at 8000 Hz bit_rate is at most {tv.MAX_BIT_RATE_8K}, not {bit_rate}")
    elif bit_rate is not None:
        raise _invalid("bit_rate", "bit_rate applies to encoding mp3 only")
    consent = body.get("extend_biometric_consent")
    if consent not in (None, False, True):
        raise _invalid("extend_biometric_consent", f"extend_biometric_consent must be a boolean, not {consent!r}")
    if consent:  # the emulated account has not accepted the biometric terms, and has no cloned voice
        raise TTSError(
            "biometric_terms_not_accepted",
            "The emulator's account has not accepted the biometric data terms and has no cloned voices: "
            "extend_biometric_consent cannot be used.",
            "extend_biometric_consent",
        )
    return {
        "text": text, "voice_id": voice, "model": model, "language": language, "encoding": encoding,
        "container": None if encoding == "mp3" else container, "sample_rate": sample_rate,
        "bit_rate": bit_rate, "stream": stream,
    }  # fmt: skip


def openai_options(body: Any) -> dict:
    """An OpenAI ``/audio/speech`` body as ``/v1/speech`` options."""
    if not isinstance(body, dict):
        raise _invalid("body", "the body must be a JSON object")
    for name in body:
        if name not in OPENAI_FIELDS:
            raise _invalid(name, f"unknown field {name!r}")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid("model", "model is required, e.g. assemblyai-tts-1")
    model = model.removeprefix("assemblyai/")
    if model != MODEL and model not in LANGUAGE_MODELS:
        raise TTSError(
            "model_not_found",
            f"No model {body['model']!r}: use {MODEL} or a per-language model such as assemblyai-tts-en.",
            "model",
        )  # noqa: E501
    if body.get("speed", 1) != 1:
        raise _invalid("speed", "only speed 1 is supported")
    if body.get("instructions"):
        raise _invalid("instructions", "instructions are not supported: the emulator speaks the input as given")
    if body.get("stream_format", "audio") != "audio":
        raise _invalid("stream_format", "stream_format must be audio: use /v1/speech/events for events")
    fmt = body.get("response_format") or "mp3"
    if fmt not in OPENAI_FORMATS:
        raise _invalid("response_format", f"response_format must be one of {', '.join(OPENAI_FORMATS)}, not {fmt!r}")
    language = LANGUAGE_MODELS.get(model, "english")
    voice = body.get("voice")
    if isinstance(voice, dict):  # a cloned voice as {"id": ...}
        voice = voice.get("id")
    if isinstance(voice, str) and voice in OPENAI_VOICES:  # other languages: the default voice (docs)
        voice = OPENAI_VOICES[voice] if language == "english" else tv.DEFAULT_VOICE
    elif isinstance(voice, str) and f"aai-{voice}" in tv.VOICES:
        raise TTSError("invalid_parameter", f"No voice {voice!r}: its slug is aai-{voice}.", "voice", 422)
    encoding, container = OPENAI_FORMATS[fmt]
    speech = {"text": body.get("input"), "voice_id": _voice(voice, "voice"), "model_id": model}
    speech.update(language=language, encoding=encoding, sample_rate=24000)
    speech.update({"container": container} if encoding != "mp3" else {})
    try:
        return speech_options(speech)
    except TTSError as error:  # name OpenAI's field
        error.param = {"text": "input", "voice_id": "voice"}.get(error.param or "", error.param)
        raise


#: The real text-to-speech hosts (a recording names these, whatever answered while recording).
HOSTS = ("tts.us.assemblyai.com", "tts.eu.assemblyai.com")
#: The error codes the docs name (platform-2026-12.md section 7), and the emulator's own three.
DOCUMENTED_CODES = frozenset(
    "invalid_parameter voice_not_found biometric_terms_not_accepted rate_limited at_capacity auth_unavailable "
    "model_not_found session_expired".split()
) | {"unauthorized", "not_found", "internal_error"}


def is_tts(url: str) -> bool:
    """Whether ``url`` is on a real text-to-speech host."""
    return (urlsplit(url).hostname or "") in HOSTS


def validate_interaction(
    url: str, body: Any, status: int, payload: Any, content_type: str, headers: dict[str, str] | None = None
) -> None:
    """A recorded text-to-speech exchange, judged without a published spec (none is beside the project):
    a body with a field the route does not take must have been refused (4xx); a success is audio (an
    ``audio/*`` type; the events route ``text/event-stream``), and on ``/v1/speech`` carries the ``X-TTS-*``
    headers SDK 1.8.2 reads into ``TTSResponseInfo`` (``headers``: lower-cased names, when given); a failure
    is the API's envelope, or OpenAI's ``{"error": {...}}`` on the OpenAI route, with a documented code.
    Raises ``spec.SpecViolation``."""
    from tools import spec

    path = urlsplit(url).path
    openai = path.startswith("/v1/openai/")
    fields = OPENAI_FIELDS if openai else SPEECH_FIELDS
    unknown = sorted(set(body) - set(fields)) if isinstance(body, dict) else []
    if unknown and not 400 <= status < 500:
        raise spec.SpecViolation(f"{url}: fields the route does not take were not refused: {unknown}")
    if status == 200:
        wanted = "text/event-stream" if path == "/v1/speech/events" else "audio/"
        if not content_type.startswith(wanted):
            raise spec.SpecViolation(f"{url}: a 200 that is not {wanted}: {content_type!r}")
        if headers is not None and path == "/v1/speech":
            missing = [h for h in ("x-tts-voice-id", "x-tts-billed-characters", "x-tts-encoding") if h not in headers]
            if missing:
                raise spec.SpecViolation(f"{url}: a 200 without {', '.join(missing)}")
        return
    error = payload.get("error") if openai and isinstance(payload, dict) else payload
    keys = {"message", "type", "param", "code"} if openai else {"code", "message", "param", "request_id"}
    if not isinstance(error, dict) or not keys <= set(error) or error["code"] not in DOCUMENTED_CODES:
        raise spec.SpecViolation(f"{url}: an error of status {status} outside the API's envelope: {payload!r}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        from tools.emulator import tts_ws, ws_upgrade

        if urlsplit(self.path).path == tts_ws.PATH and ws_upgrade.is_upgrade(self):
            tts_ws.serve(self, self.server.owner)  # the WebSocket API, on the same port
            return
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        owner = self.server.owner
        request_id = str(uuid.uuid4())
        openai = self.path.split("?")[0].startswith("/v1/openai/")
        try:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            owner.requests_seen.append({"method": self.command, "path": self.path, "body": body})
            route = {
                "/v1/speech": self._speech,
                "/v1/speech/events": self._events,
                "/v1/openai/audio/speech": self._openai,
            }.get(self.path.split("?")[0])
            if route is None or self.command != "POST":
                raise TTSError("not_found", f"No route {self.command} {self.path} on the text-to-speech host.")
            key = self.headers.get("authorization") or ""
            if openai:  # the openai package sends "Bearer <key>"
                key = key.removeprefix("Bearer ")
            if key != owner.api_key:
                raise TTSError("unauthorized", "Missing or invalid API key in the Authorization header.")
            if not isinstance(body, dict):
                raise _invalid("body", "the body must be a JSON object")
            if self._faulted(self.path.split("?")[0]):
                return
            route(body, request_id)
        except TTSError as error:
            self._error(error, request_id, openai)
        except Exception:
            owner.violations.append(traceback.format_exc())
            self._error(TTSError("internal_error", "The emulator failed; see its violations."), request_id, openai)

    def _faulted(self, path: str) -> bool:
        """Follow the emulator's fault plan for this request: raise its refusal, reset the connection
        (True: nothing more to answer), wait, or nothing (False: answer as usual)."""
        plan = self.server.owner.faults_from()
        fault = plan.pick(self.command, path) if plan is not None else None
        if fault is None:
            return False
        if fault.kind in FAULT_CODES:
            code = FAULT_CODES[fault.kind]
            wait = fault.retry_after if code in ("rate_limited", "at_capacity") else None
            text = {"rate_limited": "Too many requests: slow down and retry after the time given.",
                    "at_capacity": "The service is at capacity: retry after the time given.",
                    "internal_error": "The service failed on this request: retry it.",
                    "session_expired": "The request ran past its 600 s limit."}[code]  # fmt: skip
            raise TTSError(code, f"{text} (a fault the emulator was told to make)", retry_after=wait)
        if fault.kind == "reset":
            import socket
            import struct

            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return True
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return False
        raise TTSError("internal_error", f"fault kind {fault.kind!r} does not apply to text to speech: use "
                       f"{', '.join([*FAULT_CODES, 'reset', 'slow'])}")  # fmt: skip

    def _error(self, error: TTSError, request_id: str, openai: bool) -> None:
        if openai:  # the OpenAI route's error body follows OpenAI's shape
            payload: dict = {"error": {"message": error.message, "type": "invalid_request_error",
                                       "param": error.param, "code": error.code}}  # fmt: skip
        else:
            retryable = error.status in (429, 500, 503, 504)
            payload = {"code": error.code, "message": error.message, "param": error.param, "request_id": request_id,
                       "errors": [{"message": error.message, "param": error.param}] if error.code == "invalid_parameter" else None,  # noqa: E501
                       "retryable": retryable, "retry_after_seconds": error.retry_after}  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(error.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", request_id)
        if error.retry_after is not None:
            self.send_header("retry-after", str(error.retry_after))
        self.end_headers()
        self.wfile.write(data)

    # --- routes --------------------------------------------------------------------------------------

    def _speech(self, body: dict, request_id: str) -> None:
        self._audio(speech_options(body), request_id)

    def _openai(self, body: dict, request_id: str) -> None:
        self._audio(openai_options(body), request_id)

    def _headers(self, options: dict, request_id: str, billed: int) -> dict[str, str]:
        headers = {
            "X-Request-Id": request_id,
            "X-TTS-Region": REGIONS[self.server.owner.region],
            "X-TTS-Model": options["model"],
            "X-TTS-Voice-Id": options["voice_id"],
            "X-TTS-Language": options["language"],
            "X-TTS-Encoding": options["encoding"],
            "X-TTS-Sample-Rate": str(options["sample_rate"]),
            "X-TTS-Billed-Characters": str(billed),
        }
        if options["container"]:
            headers["X-TTS-Container"] = options["container"]
        if options["bit_rate"]:
            headers["X-TTS-Bit-Rate"] = str(options["bit_rate"])
        return headers

    def _audio(self, options: dict, request_id: str) -> None:
        speech = self.server.owner.voice.speak(options["text"], options["voice_id"], options["language"])
        audio, duration = tv.encode(speech, options["encoding"], options["sample_rate"], options["bit_rate"])
        billed = len(options["text"]) if speech.pcm else 0  # nothing to speak bills 0 (SDK docs)
        headers = self._headers(options, request_id, billed)
        wav = options["container"] == "wav"
        streamed = options["stream"] and bool(audio)
        if wav:
            audio = tv.wav_header(options["encoding"], options["sample_rate"], None if streamed else len(audio)) + audio
        self.send_response(200)
        self.send_header(
            "content-type", tv.content_type(options["encoding"], options["container"] or "", options["sample_rate"])
        )  # noqa: E501
        for name, value in headers.items():
            self.send_header(name, value)
        if not streamed:  # buffered, or nothing to speak: the whole answer with its length and duration
            self.send_header("X-TTS-Audio-Duration-Ms", str(duration))
            self.send_header("content-length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for start in range(0, len(audio), CHUNK):
            self._chunk(audio[start : start + CHUNK])
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _events(self, body: dict, request_id: str) -> None:
        """Begin, Audio..., FlushDone, WordBoundaries, Termination: the WebSocket API's frames as events."""
        options = speech_options(body, events=True)
        started = time.time()
        speech = self.server.owner.voice.speak(options["text"], options["voice_id"], options["language"])
        audio, duration = tv.encode(speech, options["encoding"], options["sample_rate"], None)
        billed = len(options["text"]) if speech.pcm else 0
        configuration = {k: options[k] for k in ("model", "voice_id", "language", "encoding", "sample_rate")}
        frames = [("Begin", {"id": request_id, "expires_at": int(started) + 600, "configuration": configuration})]
        width = 2 if options["encoding"] == "pcm_s16le" else 1
        step = CHUNK // width * width
        for start in range(0, len(audio), step):
            frames.append(("Audio", {"flush_id": 0, "audio": base64.b64encode(audio[start : start + step]).decode()}))
        frames.append(("FlushDone", {"flush_id": 0, "audio_duration_ms": duration}))
        if speech.words:
            words = [
                {"word": w["text"], "start": w["start"], "end": min(w["end"], duration), "confidence": 1.0}
                for w in speech.words
            ]
            frames.append(("WordBoundaries", {"flush_id": 0, "audio_start_ms": 0, "words": words}))
        frames.append(
            (
                "Termination",
                {
                    "session_duration_seconds": max(1, round(time.time() - started)),
                    "total_input_char_length": billed,
                    "audio_duration_seconds": duration / 1000,
                },
            )
        )
        data = b"".join(
            f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode() for kind, payload in frames
        )
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        for name, value in self._headers(options, request_id, billed).items():
            self.send_header(name, value)
        if not speech.pcm:  # nothing to speak: a body with Content-Length (docs)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self._chunk(data)
        self._chunk(b"")


class _Server(QuietHTTPServer):
    owner: TTSServer


class TTSServer:
    """The text-to-speech host on 127.0.0.1 in a background thread, as a context manager.

    ``base_url``: ``http://127.0.0.1:PORT``, for ``aai.settings.tts_base_url`` (and, with ``/v1/openai``
    appended, for ``openai.OpenAI(base_url=...)``). ``region``: ``us`` or ``eu`` (``X-TTS-Region``).
    ``requests_seen``: each request's method, path and parsed body. ``violations``: the emulator's own
    failures (tracebacks); empty when all is well.
    """

    def __init__(self, api_key: str, region: str = "us", port: int = 0) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
        self.api_key, self.region, self.port = api_key, region, port
        self.requests_seen: list[dict] = []
        self.violations: list[str] = []
        self.voice = tv.Voice()
        #: WebSocket sessions: seconds of wall time per second of audio sent (0: as fast as it is made),
        #: and the session's time to live (3600 s, as documented; shorter in tests).
        self.ws_pace = 0.0
        self.ws_session_ttl_s = 3600
        #: The fault plan to follow (``faults.FaultPlan``), read per request: the ``Emulator``'s.
        self.faults_from: Any = lambda: None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start the server first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> TTSServer:
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.owner = self
        self._thread = serve_in_background(self._server, name=f"tts-{self.region}")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self.voice.close()

    def __enter__(self) -> TTSServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
