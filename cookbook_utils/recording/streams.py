"""Recording and replaying streaming (WebSocket) sessions, which vcrpy does not see.

One fixture per notebook, ``data/streams/<slug>.json``: its provenance and, in order, every
exchange with ``streaming.assemblyai.com`` — a temporary-token request (``GET /v3/token``) or a
WebSocket session (``/v3/ws``): the session's query parameters, then each message with its time
offset in seconds from the connection's opening: the client's audio chunks as
``{"sha256", "bytes", "ms", "rms_db"}`` (never the audio itself), the client's and the server's JSON
messages, and the close code. Keys and tokens are scrubbed before anything is written.

- **Record** (``COOKBOOK_RECORD=1``): :class:`RecordingProxy` listens on loopback and forwards each
  connection to the real host, or to the emulator's streaming server when
  ``COOKBOOK_STREAMING_HOST`` names one (``tools/record.py --emulator`` sets it), logging both ways.
- **Replay**: :class:`ReplayServer` answers as the host from the fixture. Server messages are sent in
  their recorded order relative to the client's messages, at ``pace`` times the recorded delays
  (0: as fast as possible). A client message the fixture does not hold next (another message type,
  another chunk length, other audio) ends the session with an ``Error`` frame that says so and how
  to re-record. Audio matches when its sha256 is the recorded one, or, since another ffmpeg build
  may decode the same mp3 to slightly different samples, when its length is the same and its
  loudness is within 1.5 dB of the recorded chunk's.

A notebook gets all this from :func:`endpoint` in its setup cell, which also routes code that names
the real host (a whole recipe, written as a reader's script) to the same local server
(:func:`route_real_host`), as vcrpy does for HTTP.

**Other hosts' sessions.** The text-to-speech WebSocket (``wss://tts.us|eu.assemblyai.com/v1/ws``)
is recorded in the same fixture, each exchange naming its ``host``; :func:`open_sessions`, which
``cookbook_utils.setup`` calls, starts the replay server or the recording proxy for those hosts and
routes the SDK's sessions to them, so a notebook's code names AssemblyAI's host and nothing else. The
audio a server message carries as base64 (``Audio.audio``) is not written into the fixture: each
session's audio is kept once beside it, in ``data/streams/bodies/<sha256>.bin``, and each message names
its slice (``{"offset", "bytes"}``).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import math
import os
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import config, paths
from ..errors import CookbookError
from ..network import LoopbackServer, json_response
from .filters import REDACTED, scrub_text

STREAMING_HOST = "streaming.assemblyai.com"
ENV_STREAMING_HOST = "COOKBOOK_STREAMING_HOST"  # a stand-in for the host (the emulator: ws://127.0.0.1:PORT)
ENV_REPLAY_PACE = "COOKBOOK_REPLAY_PACE"  # 1 replays at the recorded pace; unset or 0, as fast as possible
#: Close code and loudness tolerance of a replay that meets a message the fixture does not hold.
MISMATCH_CODE = 4999
RMS_TOLERANCE_DB = 1.5
#: Hosts whose WebSocket sessions :func:`open_sessions` records and replays for every notebook (the
#: streaming host's are :func:`endpoint`'s, which a streaming notebook calls itself).
SESSION_HOSTS = (config.TTS_HOST, config.EU_TTS_HOST, config.AGENTS_HOST, config.EU_AGENTS_HOST)
#: Where a session's audio is kept, relative to ``data/streams``.
BODIES = "bodies"
#: A message's base64 audio at least this long (characters) is not written into the fixture: a server's
#: is kept beside it, a client's is described (:func:`describe_audio`). The fields that carry it: the
#: text-to-speech ``Audio.audio``, the voice agent's ``reply.audio.data`` and ``input.audio.audio``.
BESIDE_CHARS = 64
AUDIO_FIELDS = ("audio", "data")


class StreamReplayError(CookbookError):
    """A streaming fixture is missing, or the client did something it does not hold."""


def fixture_path(slug: str) -> Path:
    return paths.project_root() / "data" / "streams" / f"{slug}.json"


# --- describing messages -----------------------------------------------------------------------


def describe_audio(chunk: bytes) -> dict:
    """What a fixture keeps of an audio chunk (16 kHz pcm_s16le): hash, size, length, loudness."""
    import numpy as np

    samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    rms = math.sqrt(float((samples**2).mean())) if len(samples) else 0.0
    return {
        "sha256": hashlib.sha256(chunk).hexdigest(),
        "bytes": len(chunk),
        "ms": round(len(chunk) / 32, 1),
        "rms_db": round(20 * math.log10(rms + 1e-9), 1),
    }


def scrub_query(query: str) -> dict[str, str]:
    """A session's query parameters with the temporary token blanked."""
    return {k: (REDACTED if k == "token" else v) for k, v in parse_qsl(query, keep_blank_values=True)}


def _message(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text}


def _turn_key(message: dict) -> tuple:
    """What identifies a server message for :meth:`ReplayServer.arrival`: a streaming turn by its
    order and state, a text-to-speech frame by its type and ``flush_id``."""
    keys = ("type", "turn_order", "end_of_turn", "turn_is_formatted", "transcript", "flush_id")
    return tuple(message.get(k) for k in keys)


def _event_message(event: Any) -> dict:
    """An SDK event (or a message dict) as the message it came from, without its audio: a streaming
    event has its ``type``; a text-to-speech event's type is its class name (``TTSAudioEvent``:
    ``Audio``)."""
    if isinstance(event, dict):
        return event
    message = json.loads(event.model_dump_json(exclude_none=True, exclude={"audio"}))
    message.setdefault("type", type(event).__name__.removeprefix("TTS").removesuffix("Event"))
    return message


def _exchange_host(exchange: dict) -> str:
    return exchange.get("host", STREAMING_HOST)


# --- the fixture file --------------------------------------------------------------------------


def read_fixture(path: Path) -> dict:
    if not path.is_file():
        raise StreamReplayError(
            f"No streaming recording at {path}: record the notebook (`make record-emulator NOTEBOOK={path.stem}`, "
            "or `make record` with a key) or set ASSEMBLYAI_API_KEY to run it live."
        )
    return json.loads(path.read_text())


def dump_fixture(data: dict) -> str:
    """A fixture as JSON with one event per line, so that a re-recording diffs line by line."""
    lines = ["{", f' "provenance": {json.dumps(data["provenance"])},', ' "exchanges": [']
    for number, exchange in enumerate(data["exchanges"]):
        head = {k: v for k, v in exchange.items() if k != "events"}
        if "events" not in exchange:
            lines.append(f"  {json.dumps(head)}" + ("," if number < len(data["exchanges"]) - 1 else ""))
            continue
        lines.append(f'  {json.dumps(head)[:-1]}, "events": [')
        events = [f"   {json.dumps(event)}" for event in exchange["events"]]
        lines.append(",\n".join(events))
        lines.append("  ]}" + ("," if number < len(data["exchanges"]) - 1 else ""))
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


class _Writer:
    """Collects exchanges in record mode and rewrites the fixture after each one. One per fixture, shared
    by the proxies of every host a notebook records (:func:`_writer`)."""

    def __init__(self, path: Path, source: str, secrets: list[str]):
        from .cassette import provenance

        self.path = path
        self.secrets = [s for s in secrets if s]
        self.data = {"provenance": {**provenance(path.stem, source), "kind": "streaming"}, "exchanges": []}
        self.lock = threading.Lock()

    def keep_audio(self, exchange: dict, audio: bytes) -> None:
        """Store a session's server audio beside the fixture, once, and name it in ``exchange``."""
        if not audio:
            return
        digest = hashlib.sha256(audio).hexdigest()
        folder = self.path.parent / BODIES
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / f"{digest}.bin").exists():
            (folder / f"{digest}.bin").write_bytes(audio)
        exchange["audio_body"] = {"file": f"{BODIES}/{digest}.bin", "sha256": digest, "bytes": len(audio)}

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return scrub_text(value, self.secrets)
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        return value

    def add(self, exchange: dict) -> None:
        with self.lock:
            self.data["exchanges"].append(self.scrub(exchange))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f".{self.path.name}.partial")
            partial.write_text(dump_fixture(self.data))
            partial.replace(self.path)  # whole or not at all, for a reader at any moment


_writers: dict[Path, _Writer] = {}


def _writer(path: Path, source: str, secrets: list[str]) -> _Writer:
    """The writer of ``path`` for this recording: one, whichever hosts' proxies add to it."""
    found = _writers.get(path)
    if found is None or found.data["provenance"].get("source") != source:
        found = _writers[path] = _Writer(path, source, secrets)
    else:
        found.secrets.extend(s for s in secrets if s and s not in found.secrets)
    return found


def _audio_field(message: Any) -> str | None:
    """The field of ``message`` that carries base64 audio long enough to keep out of the fixture."""
    if not isinstance(message, dict):
        return None
    return next((k for k in AUDIO_FIELDS if isinstance(message.get(k), str) and len(message[k]) >= BESIDE_CHARS), None)


def _audio_field_described(message: Any) -> bool:
    """Whether a recorded client message's audio was described (:func:`_client_message`)."""
    return isinstance(message, dict) and any(isinstance(message.get(k), dict) for k in AUDIO_FIELDS)


def _server_message(text: str, audio: bytearray) -> Any:
    """A server message as the fixture keeps it: its base64 audio appended to the session's ``audio``
    and named by its slice."""
    import base64

    message = _message(text)
    key = _audio_field(message)
    if key is not None:
        data = base64.b64decode(message[key])
        message = {**message, key: {"offset": len(audio), "bytes": len(data)}}
        audio.extend(data)
    return message


def _client_message(text: str) -> Any:
    """A client message as the fixture keeps it: base64 audio described, not kept (as a binary audio
    chunk is)."""
    import base64

    message = _message(text)
    key = _audio_field(message)
    if key is not None:
        message = {**message, key: describe_audio(base64.b64decode(message[key]))}
    return message


async def _http_get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    """A minimal HTTP/1.1 GET on asyncio streams (so vcrpy, which patches http.client, never sees
    the token it carries)."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=context)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items() if v]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    return status, _message(body.decode("utf-8", errors="replace"))


# --- record ------------------------------------------------------------------------------------


class RecordingProxy(LoopbackServer):
    """Forwards to ``upstream`` (``wss://streaming.assemblyai.com`` or ``ws://127.0.0.1:PORT``) and
    writes every exchange to the fixture, scrubbed."""

    def __init__(self, upstream: str, path: Path, source: str, secrets: list[str], host: str = STREAMING_HOST):
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.writer = _writer(path, source, secrets)

    async def _http(self, connection: Any, request: Any) -> Any:
        parts = urlsplit(request.path)
        if parts.path != "/v3/token":
            return None
        http = self.upstream.replace("wss://", "https://").replace("ws://", "http://")
        status, body = await _http_get(f"{http}{request.path}", {"Authorization": request.headers.get("Authorization")})
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            self.writer.secrets.append(body["token"])
            recorded = {**body, "token": REDACTED}
        else:
            recorded = body
        self.writer.add({"kind": "token", "query": scrub_query(parts.query), "status": status, "body": recorded})
        return json_response(status, body)

    async def _session(self, websocket: Any) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        request = websocket.request
        parts = urlsplit(request.path)
        token = dict(parse_qsl(parts.query)).get("token")
        if token:
            self.writer.secrets.append(token)
        exchange: dict = {"kind": "session", "path": parts.path, "query": scrub_query(parts.query), "events": []}
        if self.host != STREAMING_HOST:
            exchange = {"kind": "session", "host": self.host, **exchange}
        events = exchange["events"]
        audio = bytearray()  # the server's audio in this session, kept beside the fixture
        opened = time.monotonic()

        def stamp() -> float:
            return round(time.monotonic() - opened, 4)

        headers = (
            {"Authorization": request.headers.get("Authorization")} if request.headers.get("Authorization") else {}
        )
        try:
            upstream = await connect(
                f"{self.upstream}{request.path}", additional_headers=headers, max_size=2**22, max_queue=None
            )
        except InvalidStatus as error:
            status = error.response.status_code
            events.append({"t": stamp(), "from": "server", "handshake_status": status})
            await websocket.close(1008, f"handshake rejected (HTTP {status})")
            self.writer.add(exchange)
            return

        async def client_to_upstream() -> None:
            try:
                async for frame in websocket:
                    if isinstance(frame, bytes):
                        events.append({"t": stamp(), "from": "client", "audio": describe_audio(frame)})
                    else:
                        events.append({"t": stamp(), "from": "client", "message": _client_message(frame)})
                    await upstream.send(frame)
            except ConnectionClosed:
                pass
            await upstream.close()

        async def upstream_to_client() -> None:
            try:
                async for frame in upstream:
                    text = frame if isinstance(frame, str) else frame.decode()
                    events.append({"t": stamp(), "from": "server", "message": _server_message(text, audio)})
                    await websocket.send(text)
            except ConnectionClosed:
                pass
            code, reason = upstream.close_code or 1000, upstream.close_reason or ""
            events.append({"t": stamp(), "from": "server", "close": {"code": code, "reason": reason}})
            await websocket.close(code, reason)

        await asyncio.gather(client_to_upstream(), upstream_to_client())
        self.writer.keep_audio(exchange, bytes(audio))
        self.writer.add(exchange)


# --- replay ------------------------------------------------------------------------------------


class ReplayServer(LoopbackServer):
    """Plays a fixture back to the SDK, in order, at ``pace`` times the recorded delays."""

    def __init__(
        self,
        fixture: dict,
        *,
        pace: float = 0.0,
        name: str = "the recording",
        host: str = STREAMING_HOST,
        folder: Path | None = None,
    ):
        super().__init__()
        self.exchanges = [e for e in fixture["exchanges"] if _exchange_host(e) == host]
        self.host = host
        self.folder = folder or fixture_path("x").parent
        self.name = name
        self.pace = pace
        self.failures: list[str] = []
        self.tokens_issued = 0
        self._arrivals: dict[tuple, deque] = {}
        self._cursor = 0

    def _next(self, kind: str, what: str) -> dict:
        if self._cursor >= len(self.exchanges):
            raise StreamReplayError(f"{self.name} holds no more exchanges, but the client made another: {what}")
        exchange = self.exchanges[self._cursor]
        if exchange["kind"] != kind:
            raise StreamReplayError(f"{self.name} holds a {exchange['kind']} exchange next, but the client made {what}")
        self._cursor += 1
        return exchange

    def _fail(self, message: str) -> str:
        text = f"{message}. Re-record the notebook (make record-emulator NOTEBOOK=<slug>) if it changed."
        self.failures.append(text)
        print(f"Streaming replay mismatch: {text}", file=sys.stderr)
        return text

    async def _http(self, connection: Any, request: Any) -> Any:
        parts = urlsplit(request.path)
        if parts.path != "/v3/token":
            return None
        try:
            exchange = self._next("token", f"GET /v3/token?{parts.query}")
            if scrub_query(parts.query) != exchange["query"]:
                raise StreamReplayError(f"token request {scrub_query(parts.query)} != recorded {exchange['query']}")
        except StreamReplayError as error:
            return json_response(400, {"error": self._fail(str(error))})
        body = exchange["body"]
        if isinstance(body, dict) and body.get("token") == REDACTED:
            self.tokens_issued += 1
            body = {**body, "token": f"replay-token-{self.tokens_issued}"}
        return json_response(exchange["status"], body)

    def arrival(self, event: Any) -> float:
        """When ``event`` (an SDK event, or a message dict) arrived in the recording, in seconds
        from its session's opening: replay's stand-in for reading a clock."""
        message = _event_message(event)
        times = self._arrivals.get(_turn_key(message))
        if not times:
            raise StreamReplayError(f"{self.name} has no record of receiving {message.get('type')} {message}")
        return times.popleft()

    async def _session(self, websocket: Any) -> None:
        parts = urlsplit(websocket.request.path)
        try:
            exchange = self._next("session", f"a WebSocket session {parts.path}?{parts.query}")
            query = scrub_query(parts.query)
            if query != exchange["query"]:
                raise StreamReplayError(f"session parameters {query} != recorded {exchange['query']}")
            self._arrivals.clear()  # arrival times are per session, from its opening
            await self._play(websocket, exchange["events"], self._audio(exchange))
        except StreamReplayError as error:
            text = self._fail(str(error))
            await websocket.send(json.dumps({"type": "Error", "error_code": MISMATCH_CODE, "error": text}))
            await websocket.close(MISMATCH_CODE, "replay mismatch: see the Error message")

    def _audio(self, exchange: dict) -> bytes:
        """The session's server audio, kept beside the fixture (checked by its hash)."""
        body = exchange.get("audio_body")
        if body is None:
            return b""
        path = self.folder / body["file"]
        data = path.read_bytes() if path.is_file() else b""
        if hashlib.sha256(data).hexdigest() != body["sha256"]:
            raise StreamReplayError(f"{path} is missing or is not the audio {self.name} recorded: re-record it")
        return data

    async def _play(self, websocket: Any, events: list[dict], audio: bytes = b"") -> None:
        """Send the server's messages in order, each once the client has sent what it had sent before it
        in the recording. The client's messages run in two lanes, audio and the rest (control), each
        checked in its own order: a client that sends a ``tool.result`` or a ``Terminate`` from one
        task while another streams audio interleaves the two differently on each run, and that is not a
        difference."""
        import base64

        from websockets.exceptions import ConnectionClosed

        expected: dict[str, deque] = {"audio": deque(), "control": deque()}
        counts = {"audio": 0, "control": 0}
        plan = []  # (index, server event, what the client had sent by then)
        for index, event in enumerate(events):
            if event["from"] == "client":
                lane = "audio" if "audio" in event or _audio_field_described(event.get("message")) else "control"
                expected[lane].append((index, event))
                counts[lane] += 1
            else:
                plan.append((index, event, dict(counts)))
        received = {"audio": 0, "control": 0}
        state: dict[str, Any] = {"failure": None, "closed": False}
        progress = asyncio.Condition()

        async def read() -> None:
            try:
                async for frame in websocket:
                    lane = "audio" if isinstance(frame, bytes) or _audio_field(_message(frame)) else "control"
                    if not expected[lane]:
                        raise StreamReplayError(
                            f"session {self._cursor}: the client sent more {lane} than the recording holds: "
                            f"{str(frame)[:80]!r}"
                        )
                    index, event = expected[lane].popleft()
                    self._check(index, event, frame)
                    async with progress:
                        received[lane] += 1
                        progress.notify_all()
            except ConnectionClosed:
                pass
            except StreamReplayError as error:
                state["failure"] = error
            finally:
                async with progress:
                    state["closed"] = True
                    progress.notify_all()

        def caught_up(needed: dict[str, int]) -> bool:
            return all(received[lane] >= needed[lane] for lane in needed)

        async def wait_for(needed: dict[str, int], index: int | None) -> None:
            async with progress:
                await progress.wait_for(lambda: caught_up(needed) or state["failure"] or state["closed"])
            if state["failure"] is not None:
                raise state["failure"]
            if not caught_up(needed) and index is not None:
                raise StreamReplayError(f"the client closed the session before event {index}")

        reader = asyncio.create_task(read())
        try:
            previous = 0.0
            for index, event, needed in plan:
                await wait_for(needed, index)
                if self.pace > 0:
                    await asyncio.sleep(max(0.0, event["t"] - previous) * self.pace)
                previous = event["t"]
                if "close" in event:
                    await websocket.close(event["close"]["code"], event["close"]["reason"])
                    return
                if "handshake_status" in event:
                    await websocket.close(1008, f"handshake rejected (HTTP {event['handshake_status']})")
                    return
                message = event["message"]
                if isinstance(message, dict):
                    self._arrivals.setdefault(_turn_key(message), deque()).append(event["t"])
                    key = next((k for k in AUDIO_FIELDS if isinstance(message.get(k), dict)), None)
                    if key is not None:
                        piece = audio[message[key]["offset"] : message[key]["offset"] + message[key]["bytes"]]
                        message = {**message, key: base64.b64encode(piece).decode()}
                await websocket.send(json.dumps(message))
            await wait_for(counts, None)  # what the client sent after the server's last message
            await websocket.close()
        finally:
            reader.cancel()

    def _check(self, index: int, event: dict, frame: Any) -> None:
        where = f"message {index} of session {self._cursor}"
        message = event.get("message")
        key = next((k for k in AUDIO_FIELDS if isinstance(message, dict) and isinstance(message.get(k), dict)), None)
        if key is not None:  # JSON with base64 audio: the message without it, then the audio as a chunk
            import base64

            sent = _message(frame) if isinstance(frame, str) else None
            if not isinstance(sent, dict) or not isinstance(sent.get(key), str):
                raise StreamReplayError(f"{where}: the recording holds {message.get('type')} with audio, the client "
                                        f"sent {str(frame)[:80]!r}")  # fmt: skip
            if {k: v for k, v in sent.items() if k != key} != {k: v for k, v in message.items() if k != key}:
                raise StreamReplayError(f"{where}: the client sent {str(frame)[:120]}, the recording holds {message}")
            self._check(index, {"audio": message[key]}, base64.b64decode(sent[key]))
            return
        if "audio" in event:
            expected = event["audio"]
            if not isinstance(frame, bytes):
                raise StreamReplayError(f"{where}: the recording holds an audio chunk, the client sent {frame[:80]!r}")
            got = describe_audio(frame)
            if got["bytes"] != expected["bytes"]:
                raise StreamReplayError(
                    f"{where}: the client sent {got['ms']} ms of audio, the recording holds {expected['ms']} ms"
                )
            if got["sha256"] != expected["sha256"] and abs(got["rms_db"] - expected["rms_db"]) > RMS_TOLERANCE_DB:
                raise StreamReplayError(f"{where}: the client sent other audio than the recording holds")
            return
        if isinstance(frame, bytes):
            raise StreamReplayError(f"{where}: the recording holds {event['message']}, the client sent audio")
        if _message(frame) != event["message"]:
            raise StreamReplayError(f"{where}: the client sent {frame[:120]}, the recording holds {event['message']}")


# --- what a notebook calls ---------------------------------------------------------------------

_active: LoopbackServer | None = None


def _stop_active() -> None:
    global _active
    if _active is not None:
        _active.stop()
        _active = None


#: Real host -> where code that names it is sent instead (absent: to that host itself).
_route_to: dict[str, str] = {}


def routed(uri: str) -> str:
    """``uri`` as written, or, while a local server answers for its host (``streaming.assemblyai.com``,
    a text-to-speech host), the same path and query on that server."""
    parts = urlsplit(uri)
    target = _route_to.get(parts.hostname or "")
    if target is None:
        return uri
    base = websocket_base(target) if parts.scheme in ("ws", "wss") else http_base(target)
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


def route_real_host(target: str | None, host: str = STREAMING_HOST) -> None:
    """Send the SDK's WebSocket traffic for ``host`` (``streaming.assemblyai.com``: its sessions and
    ``GET /v3/token``; a text-to-speech host: ``TTSSession``) to ``target`` (``ws://127.0.0.1:PORT``),
    or, with None, to the real host.

    This is what vcrpy does for HTTP: a notebook's whole recipe names AssemblyAI's host, as a reader's
    script does, and still reaches the replay server, the recording proxy or the emulator that answers
    for that host in this kernel. It wraps the SDK's one indirection for opening a WebSocket
    (``assemblyai.streaming.v3.client.websocket_connect``, which ``TTSSession`` opens its socket with
    too) and its token client's base URL, once.
    """
    from assemblyai.streaming.v3 import client as sdk

    if target:
        _route_to[host] = target.rstrip("/")
    else:
        _route_to.pop(host, None)
    _route_raw_websockets()
    if getattr(sdk.websocket_connect, "cookbook_routed", False):
        return
    connect, init = sdk.websocket_connect, sdk._HTTPClient.__init__

    def websocket_connect(uri: str, **kwargs: Any) -> Any:
        return connect(routed(uri), **kwargs)

    def http_client_init(self: Any, api_host: str, api_key: str | None = None) -> None:
        init(self, api_host, api_key)
        if api_host == STREAMING_HOST and STREAMING_HOST in _route_to:
            self._http_client.base_url = http_base(_route_to[STREAMING_HOST])

    websocket_connect.cookbook_routed = True  # type: ignore[attr-defined]
    sdk.websocket_connect = websocket_connect
    sdk._HTTPClient.__init__ = http_client_init


def _route_raw_websockets() -> None:
    """Route code that opens a WebSocket with the ``websockets`` package itself (sync or asyncio, as
    AssemblyAI's raw WebSocket tutorials and the voice-agent recipes do): both clients read a URI with
    ``websockets.uri.parse_uri``, which is wrapped, once, to read :func:`routed` URIs."""
    from websockets.asyncio import client as asyncio_client
    from websockets.sync import client as sync_client

    for module in (sync_client, asyncio_client):
        original = module.parse_uri
        if getattr(original, "cookbook_routed", False):
            continue

        def parse_uri(uri: str, _original: Any = original) -> Any:
            return _original(routed(uri))

        parse_uri.cookbook_routed = True  # type: ignore[attr-defined]
        module.parse_uri = parse_uri


def endpoint(session: Any) -> tuple[str, float, Callable[..., float]]:
    """``(host, pace, arrival)`` for a notebook's streaming code, by the session's mode.

    ``host`` goes to ``StreamingClientOptions(api_host=...)``: ``streaming.assemblyai.com`` live,
    the loopback replay server in replay, the recording proxy in record mode. ``pace`` is 1.0
    (stream audio in real time) or, in replay, ``COOKBOOK_REPLAY_PACE`` (default 0.0: as fast as
    possible). ``arrival(event)`` is when an event arrived, in seconds: a clock live, the recorded
    time in replay.
    """
    global _active
    from ..modes import Mode

    _stop_active()
    path = fixture_path(session.slug)
    stand_in = os.environ.get(ENV_STREAMING_HOST, "").rstrip("/")
    if session.mode is Mode.REPLAY:
        pace = float(os.environ.get(ENV_REPLAY_PACE) or 0.0)
        _active = ReplayServer(read_fixture(path), pace=pace, name=f"data/streams/{path.name}").start()
        route_real_host(_active.url)
        return _active.url, pace, _active.arrival
    if session.mode is Mode.RECORD:
        import assemblyai as aai

        from ..session import SECRET_ENV_VARS

        upstream = stand_in or f"wss://{STREAMING_HOST}"
        source = "emulator" if stand_in else STREAMING_HOST
        secrets = [aai.settings.api_key or ""] + [os.environ.get(n, "") for n in SECRET_ENV_VARS]
        _active = RecordingProxy(upstream, path, source, secrets).start()
        atexit.register(_stop_active)  # let a session still closing reach the fixture
        route_real_host(_active.url)
        return _active.url, 1.0, lambda event=None: time.monotonic()
    route_real_host(stand_in or None)  # live: AssemblyAI itself, unless a tool put a stand-in there
    return stand_in or STREAMING_HOST, 1.0, lambda event=None: time.monotonic()


_session_servers: dict[str, LoopbackServer] = {}


def _stop_sessions() -> None:
    """Stop the session hosts' servers and route those hosts to themselves again."""
    for host in list(_session_servers):
        _session_servers.pop(host).stop()
    for host in SESSION_HOSTS:
        if host in _route_to:
            route_real_host(None, host)


def open_sessions(slug: str, mode: Any, stand_ins: dict[str, str], *, api_key: str = "") -> None:
    """Record, replay or route the WebSocket sessions a notebook opens on :data:`SESSION_HOSTS`, by its
    mode (``cookbook_utils.setup`` calls this): in replay, a :class:`ReplayServer` per host the fixture
    holds sessions of; while recording, a :class:`RecordingProxy` per host to its stand-in (the
    emulator's address in ``stand_ins``) or to the real host; live, the stand-in a tool named, if any,
    and otherwise AssemblyAI itself."""
    from ..modes import Mode

    _stop_sessions()
    path = fixture_path(slug)
    if mode is Mode.REPLAY:
        if not path.is_file():
            return
        fixture = read_fixture(path)
        pace = float(os.environ.get(ENV_REPLAY_PACE) or 0.0)
        for host in SESSION_HOSTS:
            if any(_exchange_host(e) == host for e in fixture["exchanges"]):
                server = ReplayServer(fixture, pace=pace, name=f"data/streams/{path.name}", host=host).start()
                _session_servers[host] = server
                route_real_host(server.url, host)
        return
    if mode is Mode.RECORD:
        from ..session import SECRET_ENV_VARS

        secrets = [api_key] + [os.environ.get(n, "") for n in SECRET_ENV_VARS]
        for host in SESSION_HOSTS:
            stand_in = stand_ins.get(host)
            upstream = websocket_base(http_to_websocket(stand_in)) if stand_in else f"wss://{host}"
            proxy = RecordingProxy(upstream, path, "emulator" if stand_in else host, secrets, host=host).start()
            _session_servers[host] = proxy
            route_real_host(proxy.url, host)
        atexit.register(_stop_sessions)  # let a session still closing reach the fixture
        return
    for host in SESSION_HOSTS:
        if host in stand_ins:
            route_real_host(http_to_websocket(stand_ins[host]), host)


def arrival(event: Any, host: str | None = None) -> float:
    """When ``event`` (an SDK event of a session on one of :data:`SESSION_HOSTS`, or its message)
    arrived, in seconds: the time of the recording in replay (from the session's opening), a clock
    otherwise. ``host``: the session's host, when several replay servers could hold the event. Subtract
    two arrivals of one session to get a delay."""
    servers = [s for h, s in _session_servers.items() if isinstance(s, ReplayServer) and host in (None, h)]
    if not servers:
        return time.monotonic()
    key = _turn_key(_event_message(event))
    server = next((s for s in servers if s._arrivals.get(key)), servers[0])
    return server.arrival(event)


def http_to_websocket(url: str) -> str:
    """``http://127.0.0.1:PORT`` as ``ws://127.0.0.1:PORT`` (and https as wss)."""
    return "ws://" + url.removeprefix("http://") if url.startswith("http://") else url.replace("https://", "wss://", 1)


def http_base(host: str) -> str:
    """The HTTP origin of a streaming host (for ``GET /v3/token``)."""
    if host.startswith("ws://"):
        return "http://" + host.removeprefix("ws://")
    return "https://" + host.removeprefix("wss://")


def websocket_base(host: str) -> str:
    """The WebSocket origin of a streaming host, as the SDK builds it."""
    return host if host.startswith(("ws://", "wss://")) else f"wss://{host}"


__all__ = [
    "ENV_STREAMING_HOST",
    "STREAMING_HOST",
    "ReplayServer",
    "RecordingProxy",
    "SESSION_HOSTS",
    "StreamReplayError",
    "arrival",
    "describe_audio",
    "endpoint",
    "open_sessions",
    "fixture_path",
    "http_base",
    "read_fixture",
    "route_real_host",
    "routed",
    "websocket_base",
]
