"""The text-to-speech WebSocket API: ``wss://tts.us|eu.assemblyai.com/v1/ws`` on the TTS host's port.

Followed: platform-2026-12.md section 7 and AssemblyAI's "Message frames", "Limits" and "Error
handling" pages for Streaming TTS (the example frames of its WebSocket API reference), and SDK 1.8.2's
``TTSSession``. The session, as emulated:

- **Connect.** Query: ``voice_id``, ``model_id``, ``language``, ``sample_rate``, ``encoding``
  (``pcm_s16le``, ``pcm_mulaw``, ``pcm_alaw``; not mp3), ``extend_biometric_consent``,
  ``word_boundaries`` (default true), ``inactivity_timeout`` (5-120 s). Credentials and parameters are
  checked after the upgrade, so a refusal is an ``Error`` frame and a close with the same code. A query
  parameter it does not know is listed in ``Begin.configuration.unknown_params``, as documented.
- **Generate** appends text exactly as sent. Once the buffer holds complete sentences (a terminator
  followed by white space) of at least :data:`START_CHARS` characters, they are spoken at once under the
  current ``flush_id``; ``Flush`` speaks the rest, then ``FlushDone`` and, with word boundaries,
  ``WordBoundaries`` (times on the session's audio timeline). ``Cancel`` stops the request in flight,
  drops queued ones and unflushed text, answers ``Cancelled`` and, as a flush does, takes a ``flush_id``.
  ``KeepAlive`` restarts the idle timer; ``Terminate`` speaks unflushed text, answers ``Termination`` and
  closes with 1000.
- **Refused** (``Error`` frame, then close with its ``error_code``): a bad key (1008); ``token`` (the
  emulator issues no temporary tokens for text-to-speech: 3006, naming it); a bad parameter, an unknown
  voice or model, biometric consent (3006); a binary frame, bad JSON, an unknown or malformed frame, a
  ``Generate`` over 2,000 characters (3006, ``invalid_message``); idle past ``inactivity_timeout``
  (:data:`IDLE_CODE`); past the session's time to live (3008). A message over 1 MiB: 1009, by the
  WebSocket layer.

The audio is the emulator's espeak-ng voice (``tts_voice``), not AssemblyAI-TTS-1, sent in frames of
:data:`FRAME_MS` ms as fast as it is made (``TTSServer.ws_pace`` slows it to a multiple of real time).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tools.emulator import tts_voice as tv

if TYPE_CHECKING:
    from tools.emulator.tts import TTSServer

PATH = "/v1/ws"
MAX_GENERATE_CHARS = 2000
SESSION_TTL_S = 3600
#: ``Begin.configuration.limits`` as the WebSocket API reference's example shows them. Only
#: ``max_generate_text_length``, the message size and the inactivity bounds are enforced here.
LIMITS = {
    "max_generate_text_length": MAX_GENERATE_CHARS, "max_control_frames_per_sec": 20,
    "max_egress_audio_buffer_ms": 300000, "text_throttle_enabled": True,
    "text_throttle_max_chars_per_sec": 100, "text_throttle_initial_grace_chars": 1500,
    "text_max_buffer_chars": 8000, "session_ttl_grace_sec": 60, "max_message_bytes": 1048576,
    "max_queued_messages": 10000, "write_stall_timeout_sec": 30, "inactivity_timeout_min_sec": 5,
    "inactivity_timeout_max_sec": 120,
}  # fmt: skip
CONNECT_FIELDS = (
    "voice_id model_id language sample_rate encoding extend_biometric_consent word_boundaries inactivity_timeout token"
).split()
#: The emulator's choice (the docs say only "a long enough stretch of text"): complete sentences of at
#: least this many characters start speaking before ``Flush``.
START_CHARS = 40
#: Audio per ``Audio`` frame (the SDK: "the API's ~80 ms per frame").
FRAME_MS = 80
#: The close code of an idle session: not in the stored sources (unverified; the live probe checks it).
IDLE_CODE = 3007
INVALID = 3006
SENTENCES = re.compile(r".*[.!?][\"')\]]*\s", re.S)  # the longest prefix that ends a sentence


class SessionError(Exception):
    """Ends the session: an ``Error`` frame, then a close with ``code``."""

    def __init__(self, code: int, error_type: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.error_type, self.message, self.param = code, error_type, message, param

    def frame(self) -> dict:
        retryable = self.code in (1011, 1012, 3005, 3008, 3009)
        return {"type": "Error", "error": self.message, "error_type": self.error_type, "param": self.param,
                "retryable": retryable, "retry_after_seconds": None, "error_code": self.code}  # fmt: skip


def connect_options(query: dict[str, str]) -> tuple[dict, list[str]]:
    """The checked session options of a connect query, and the parameters it does not know."""
    from tools.emulator import tts

    unknown = sorted(k for k in query if k not in CONNECT_FIELDS)
    if "token" in query:
        raise SessionError(
            INVALID, "not_emulated",
            "The emulator issues and accepts no temporary tokens for text-to-speech: authenticate with the "
            "Authorization header.", "token",
        )  # fmt: skip
    body: dict[str, Any] = {"text": "-"}
    for name in ("voice_id", "model_id", "language", "encoding"):
        if name in query:
            body[name] = query[name]
    if "encoding" in body and tv.ENCODING_ALIASES.get(body["encoding"], body["encoding"]) == "mp3":
        raise SessionError(INVALID, "invalid_parameter", "a session streams pcm_s16le, pcm_mulaw or pcm_alaw, not mp3",
                           "encoding")  # fmt: skip
    if "sample_rate" in query:
        body["sample_rate"] = int(query["sample_rate"]) if query["sample_rate"].isdigit() else query["sample_rate"]
    flags = {}
    for name, default in (("extend_biometric_consent", False), ("word_boundaries", True)):
        value = query.get(name, str(default)).lower()
        if value not in ("true", "false"):
            raise SessionError(INVALID, "invalid_parameter", f"{name} must be true or false, not {value!r}", name)
        flags[name] = value == "true"
    body["extend_biometric_consent"] = flags["extend_biometric_consent"]
    try:
        options = tts.speech_options(body, events=True)
    except tts.TTSError as error:
        raise SessionError(INVALID, error.code, error.message, error.param) from error
    idle = query.get("inactivity_timeout", "120")
    low, high = LIMITS["inactivity_timeout_min_sec"], LIMITS["inactivity_timeout_max_sec"]
    if not idle.isdigit() or not low <= int(idle) <= high:
        raise SessionError(INVALID, "invalid_parameter", f"inactivity_timeout must be {low} to {high} seconds, "
                           f"not {idle!r}", "inactivity_timeout")  # fmt: skip
    options.update(word_boundaries=flags["word_boundaries"], inactivity_timeout=int(idle))
    return options, unknown


@dataclass
class _Request:
    """One flush_id's audio so far."""

    flush_id: int
    start_ms: int | None = None
    duration_ms: int = 0
    words: list[dict] = field(default_factory=list)


class Session:
    """One WebSocket session: the handler thread reads client frames; a speaker thread sends audio."""

    def __init__(self, ws: Any, server: TTSServer, query: dict[str, str], authorization: str) -> None:
        self.ws, self.server, self.query, self.authorization = ws, server, query, authorization
        self.id = str(uuid.uuid4())
        self.opened = time.monotonic()
        self.last_frame = self.opened
        self.lock = threading.Condition()
        self.jobs: deque[tuple] = deque()
        self.generation = 0  # bumped by Cancel: jobs of an older generation are dropped
        self.buffer = ""
        self.flush_id = 0
        self.timeline_ms = 0
        self.billed = 0
        self.closed = False
        self.speaking = False  # the speaker is doing a job
        self.requests: dict[int, _Request] = {}
        self.current: _Request | None = None  # the request in flight: audio sent, FlushDone not yet
        self.send_lock = threading.Lock()

    # --- sending -------------------------------------------------------------------------------

    def send(self, frame: dict) -> None:
        with self.send_lock:
            self.ws.send(json.dumps(frame))
            self.last_frame = time.monotonic()

    def fail(self, error: SessionError) -> None:
        try:
            self.send(error.frame())
        finally:
            self.ws.close(error.code, "See Error message for details")

    # --- the session ---------------------------------------------------------------------------

    def run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            if "token" not in self.query and self.authorization != self.server.api_key:  # a token: refused below
                raise SessionError(1008, "unauthorized", "Missing or invalid API key in the Authorization header.")
            self.options, unknown = connect_options(self.query)
            self.ttl_s = self.server.ws_session_ttl_s
            configuration = {
                "language": self.options["language"], "sample_rate": self.options["sample_rate"],
                "encoding": self.options["encoding"], "inactivity_timeout": self.options["inactivity_timeout"],
                "word_boundaries": self.options["word_boundaries"], "voice_id": self.options["voice_id"],
                "extend_biometric_consent": False, "word_boundaries_requested": self.options["word_boundaries"],
                "model": self.options["model"], "voice_expires_at": None, "session_ttl_sec": self.ttl_s,
                "limits": LIMITS, "unknown_params": unknown,
            }  # fmt: skip
            self.send({"type": "Begin", "id": self.id, "expires_at": int(time.time() + self.ttl_s),
                       "configuration": configuration})  # fmt: skip
            speaker = threading.Thread(target=self._speak_loop, daemon=True, name=f"tts-ws-{self.id[:8]}")
            speaker.start()
            try:
                self._read_loop()
            finally:
                with self.lock:
                    self.closed = True
                    self.lock.notify_all()
                speaker.join(timeout=30)
        except SessionError as error:
            try:
                self.fail(error)
            except ConnectionClosed:
                pass
        except ConnectionClosed:
            pass

    def _read_loop(self) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            idle_s = self.options["inactivity_timeout"]
            deadline = min(self.last_frame + idle_s, self.opened + self.ttl_s)
            try:
                raw = self.ws.recv(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                if time.monotonic() >= self.opened + self.ttl_s:
                    self._stop_speaking()
                    raise SessionError(3008, "session_expired", "Session expired: maximum session duration "
                                       f"of {self.ttl_s} s reached") from None  # fmt: skip
                if self._busy():
                    self.last_frame = time.monotonic()  # audio is still going out: not idle
                    continue
                raise SessionError(IDLE_CODE, "inactivity_timeout", f"No frame in either direction for {idle_s} s "
                                   "(inactivity_timeout): send KeepAlive while you wait") from None  # fmt: skip
            except ConnectionClosed:
                self._stop_speaking()
                return
            self.last_frame = time.monotonic()
            frame = self._parse(raw)
            kind = frame["type"]
            if kind == "Generate":
                self._generate(frame["text"])
            elif kind == "Flush":
                self._flush()
            elif kind == "Cancel":
                self._cancel()
            elif kind == "Terminate":
                self._terminate()
                return
            # KeepAlive: the idle timer was restarted above

    def _parse(self, raw: Any) -> dict:
        if isinstance(raw, bytes):
            raise SessionError(INVALID, "invalid_message", "Binary frames are not accepted: send JSON text frames.")
        try:
            frame = json.loads(raw)
        except ValueError:
            raise SessionError(INVALID, "invalid_message", "A frame that is not JSON.") from None
        if not isinstance(frame, dict) or frame.get("type") not in ("Generate", "Flush", "Cancel", "KeepAlive",
                                                                     "Terminate"):  # fmt: skip
            kind = frame.get("type") if isinstance(frame, dict) else None
            raise SessionError(INVALID, "invalid_message", f"Unknown or missing frame type {kind!r}.", "type")
        if frame["type"] == "Generate":
            text = frame.get("text")
            if not isinstance(text, str):
                raise SessionError(INVALID, "invalid_message", "Generate needs text, a string.", "Generate.text")
            if len(text) > MAX_GENERATE_CHARS:
                raise SessionError(
                    INVALID, "invalid_message",
                    f"Generate.text is {len(text)} characters; at most {MAX_GENERATE_CHARS} per frame.",
                    "Generate.text",
                )  # fmt: skip
        return frame

    # --- what the client asks ------------------------------------------------------------------

    def _enqueue(self, *job: Any) -> None:
        with self.lock:
            self.jobs.append((self.generation, *job))
            self.lock.notify_all()

    def _generate(self, text: str) -> None:
        self.buffer += text
        complete = SENTENCES.match(self.buffer)
        if complete and len(complete.group(0).strip()) >= START_CHARS:
            self._enqueue("speak", self.flush_id, complete.group(0))
            self.buffer = self.buffer[complete.end() :]

    def _flush(self) -> None:
        if self.buffer.strip():
            self._enqueue("speak", self.flush_id, self.buffer)
        self.buffer = ""
        self._enqueue("done", self.flush_id)
        self.flush_id += 1

    def _cancel(self) -> None:
        with self.lock:
            self.generation += 1
            self.jobs.clear()
            self.jobs.append((self.generation, "cancelled", self.flush_id))
            self.lock.notify_all()
        self.buffer = ""
        self.flush_id += 1

    def _terminate(self) -> None:
        if self.buffer.strip():
            self._flush()
        self._enqueue("terminate")
        with self.lock:
            while not self.closed and (self.jobs or self.speaking):
                self.lock.wait(0.1)

    def _stop_speaking(self) -> None:
        with self.lock:
            self.generation += 1
            self.jobs.clear()
            self.lock.notify_all()

    def _busy(self) -> bool:
        with self.lock:
            return bool(self.jobs) or self.speaking

    # --- the speaker ---------------------------------------------------------------------------

    def _speak_loop(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                with self.lock:
                    while not self.jobs and not self.closed:
                        self.lock.wait(0.5)
                    if not self.jobs:
                        return
                    generation, kind, *args = self.jobs.popleft()
                    self.speaking = True
                try:
                    if generation == self.generation and self._job(generation, kind, *args):
                        return
                finally:
                    with self.lock:
                        self.speaking = False
                        self.lock.notify_all()
        except ConnectionClosed:
            return

    def _request(self, flush_id: int) -> _Request:
        return self.requests.setdefault(flush_id, _Request(flush_id))

    def _job(self, generation: int, kind: str, *args: Any) -> bool:
        """Do one job; True when the session is over."""
        if kind == "speak":
            self._speak(generation, *args)
        elif kind == "done":
            request = self._request(args[0])
            self.current = None
            self.send({"type": "FlushDone", "flush_id": request.flush_id, "audio_duration_ms": request.duration_ms})
            if self.options["word_boundaries"] and request.words:
                self.send({"type": "WordBoundaries", "flush_id": request.flush_id,
                           "audio_start_ms": request.start_ms or 0, "words": request.words})  # fmt: skip
        elif kind == "cancelled":
            sent = self.current.duration_ms if self.current is not None else 0
            self.current = None
            self.send({"type": "Cancelled", "audio_duration_seconds": round(sent / 1000, 3)})
        elif kind == "terminate":
            self.send({
                "type": "Termination", "session_duration_seconds": max(1, round(time.monotonic() - self.opened)),
                "total_input_char_length": self.billed, "audio_duration_seconds": round(self.timeline_ms / 1000, 3),
                "voice_expires_at": None,
            })  # fmt: skip
            self.ws.close(1000)
            return True
        return False

    def _speak(self, generation: int, flush_id: int, text: str) -> None:
        options = self.options
        speech = self.server.voice.speak(text, options["voice_id"], options["language"])
        audio, duration = tv.encode(speech, options["encoding"], options["sample_rate"], None)
        request = self._request(flush_id)
        self.current = request
        if request.start_ms is None:
            request.start_ms = self.timeline_ms
        start = self.timeline_ms
        self.billed += len(text)
        width = 2 if options["encoding"] == "pcm_s16le" else 1
        step = options["sample_rate"] * FRAME_MS // 1000 * width
        pace = self.server.ws_pace
        began = time.monotonic()
        for offset in range(0, len(audio), step):
            if generation != self.generation:  # cancelled: stop at this frame
                return
            piece = audio[offset : offset + step]
            sent_ms = len(piece) // width * 1000 // options["sample_rate"]
            self.send({"type": "Audio", "audio": base64.b64encode(piece).decode(), "flush_id": flush_id})
            self.timeline_ms += sent_ms
            request.duration_ms += sent_ms
            if pace > 0:
                time.sleep(max(0.0, began + (self.timeline_ms - start) / 1000 * pace - time.monotonic()))
        for word in speech.words:
            if word["start"] < duration:
                request.words.append({"word": word["text"], "start": start + word["start"],
                                      "end": start + min(word["end"], duration), "confidence": 1.0})  # fmt: skip


def serve(handler: Any, server: TTSServer) -> None:
    """Run a ``/v1/ws`` session on the socket of ``handler`` (a ``GET`` with ``Upgrade: websocket``)."""
    from tools.emulator import ws_upgrade

    ws = ws_upgrade.accept(handler)
    query = dict(parse_qsl(urlsplit(handler.path).query, keep_blank_values=True))
    server.requests_seen.append({"method": "WS", "path": handler.path, "body": None})
    Session(ws, server, query, handler.headers.get("authorization") or "").run()
    handler.close_connection = True


CLIENT_FRAMES = ("Generate", "Flush", "Cancel", "KeepAlive", "Terminate")
SERVER_FRAMES = ("Begin", "Audio", "FlushDone", "WordBoundaries", "Cancelled", "Termination", "Error")


def validate_message(message: Any, sender: str) -> None:
    """A recorded frame of a text-to-speech session, judged without a published spec (none is beside the
    project): a documented frame type, and the fields SDK 1.8.2's models read (its ``parse_event``). A
    recorded ``Audio`` frame names its slice of the audio kept beside the fixture. Raises
    ``spec.SpecViolation``."""
    from assemblyai.tts.v1.ws_models import parse_event

    from tools import spec

    kind = message.get("type") if isinstance(message, dict) else None
    if sender == "client":
        if kind not in CLIENT_FRAMES:
            raise spec.SpecViolation(f"a client frame that is not one of {', '.join(CLIENT_FRAMES)}: {message!r}")
        text = message.get("text")
        if kind == "Generate" and (not isinstance(text, str) or len(text) > MAX_GENERATE_CHARS):
            raise spec.SpecViolation(f"a Generate without text, or over {MAX_GENERATE_CHARS} characters")
        return
    if kind not in SERVER_FRAMES:
        raise spec.SpecViolation(f"a server frame that is not one of {', '.join(SERVER_FRAMES)}: {message!r}")
    if kind == "Error":
        if not {"error", "error_code", "error_type"} <= set(message):
            raise spec.SpecViolation(f"an Error frame without error, error_code and error_type: {message!r}")
        return
    if kind == "Audio":
        slice_ = message.get("audio")
        if not isinstance(message.get("flush_id"), int) or not (
            isinstance(slice_, str) or (isinstance(slice_, dict) and {"offset", "bytes"} <= set(slice_))
        ):
            raise spec.SpecViolation(f"an Audio frame without flush_id and audio: {message!r}")
        return
    try:
        parse_event(message)
    except Exception as error:  # pydantic's ValidationError, a missing key
        raise spec.SpecViolation(f"a {kind} frame SDK 1.8.2 cannot read: {error}") from error
