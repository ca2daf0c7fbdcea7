"""The emulator's HTTP server: one loopback port that answers as ``api.assemblyai.com`` and
``llm-gateway.assemblyai.com``, routing each request to the module for its API area and checking
every request (body and query) and response against the official specs.

It is strict about HTTP: a malformed ``Content-Length``, a broken chunked body, an empty upload, a
method the path does not have, a query parameter the spec does not define or a value outside its
schema each get a JSON error; an unexpected exception in a handler becomes a JSON 500 and is kept
in ``violations`` so tests see it. One thread serves each connection, with a deep listen backlog,
and no lock is held around I/O (see ``core``), so a slow request delays no other.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cookbook_utils.network import serve_in_background
from tools import spec
from tools.emulator import gateway, messages, transcripts, understanding, uploads
from tools.emulator.core import ROOT, UNAUTHORIZED, EmulatorError, State
from tools.emulator.faults import Fault, FaultPlan
from tools.emulator.streaming import StreamingServer

ENV_PROCESSING = "COOKBOOK_EMULATOR_PROCESSING_SECONDS"
GATEWAY_HOST = "llm-gateway.assemblyai.com"
#: Each region's API and LLM Gateway hosts; the emulator answers each region on a port of its own,
#: and a transcript made in one region does not exist in the other (as with the real deployments).
REGION_HOSTS = {
    "us": ("api.assemblyai.com", GATEWAY_HOST),
    "eu": ("api.eu.assemblyai.com", "llm-gateway.eu.assemblyai.com"),
}
#: Which methods each path has (the specs' operations plus GET /v1/models).
ROUTES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"/v2/upload"), ("POST",)),
    (re.compile(r"/v2/transcript"), ("GET", "POST")),
    (re.compile(r"/v2/transcript/[^/]+"), ("GET", "DELETE")),
    (re.compile(r"/v2/transcript/[^/]+/(sentences|paragraphs|srt|vtt|word-search|redacted-audio)"), ("GET",)),
    (re.compile(r"/v1/models"), ("GET",)),
    (re.compile(r"/v1/chat/completions"), ("POST",)),
    (re.compile(r"/v1/understanding"), ("POST",)),
]
MAX_LINE = 65_537


class _BodyError(Exception):
    """A request body that cannot be read (its framing is broken): answered 400, then closed."""


def _error_body(url: str, status: int, message: str) -> dict:
    """The error envelope of each API: REST v2 sends ``{"error": text}``; the gateway's spec gives
    ``{"error": {"code": status, "message": text}}``."""
    if (urlsplit(url).hostname or "").startswith("llm-gateway."):
        return {"error": {"code": status, "message": message}}
    return {"error": message}


def _encode(payload: Any, content_type: str) -> bytes:
    return json.dumps(payload).encode() if content_type == "application/json" else str(payload).encode()


def _query_value(schema: dict, which: str, raw: str) -> Any:
    """A query string value as the type its schema names (form style, not exploded, for arrays)."""
    if "$ref" in schema:
        schema = spec._resolve(spec.load(which), schema["$ref"])
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ValueError("not an integer")
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        if raw not in {"true", "false"}:
            raise ValueError("not true or false")
        return raw == "true"
    if kind == "array":
        return [part for part in raw.split(",")]
    if schema.get("format") == "uuid":
        uuid.UUID(raw)
    if schema.get("format") == "date":
        datetime.date.fromisoformat(raw)
    return raw


def validate_query(method: str, url: str) -> dict[str, Any]:
    """The query parameters of a request, typed and checked against the operation's parameters:
    an unknown name, a repeated one, a missing required one or a value outside its schema is a
    400 naming it."""
    parts = urlsplit(url)
    raw = parse_qs(parts.query, keep_blank_values=True)
    found = spec.find_operation(method, url)
    parameters = [] if found is None else found[2].get("parameters", [])
    which, template = (found[0], found[1]) if found else ("", "")
    known = {p["name"]: (index, p) for index, p in enumerate(parameters) if p.get("in") == "query"}
    typed: dict[str, Any] = {}
    for name, values in raw.items():
        if name not in known:
            raise EmulatorError(
                400,
                messages.text("unknown_query", name=name, path=parts.path, known=", ".join(known) or "no parameters"),
            )
        if len(values) > 1:
            raise EmulatorError(400, messages.text("invalid_query", name=name, value=values, detail="given twice"))
        index, parameter = known[name]
        try:
            value = _query_value(parameter["schema"], which, values[0])
        except ValueError as error:
            raise EmulatorError(
                400, messages.text("invalid_query", name=name, value=values[0], detail=str(error))
            ) from None
        pointer = spec._pointer(which, ["paths", template, method.lower(), "parameters", str(index), "schema"])
        problems = list(spec._validator_for(which, pointer).iter_errors(value))
        if problems:
            detail = problems[0].message
            raise EmulatorError(400, messages.text("invalid_query", name=name, value=values[0], detail=detail))
        typed[name] = value
    for name, (_, parameter) in known.items():
        if parameter.get("required") and name not in typed:
            raise EmulatorError(400, messages.text("invalid_query", name=name, value=None, detail="it is required"))
    return typed


class Handler(BaseHTTPRequestHandler):
    """Routes one request; the emulator's state hangs off the server."""

    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the HTTP layer finds before routing (a garbled request line, an unknown method,
        headers too long) in the same JSON shape as every other error, not an HTML page."""
        short, long = self.responses.get(code, ("Error", ""))
        text = messages.text("http_layer", reason=message or short, explain=explain or long).rstrip(": ")
        body = json.dumps({"error": text}).encode()
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unparsable request line: still answer with a status
            self.request_version = "HTTP/1.0"
        self.send_response(code, message)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    # --- reading and writing ---------------------------------------------------------------------

    def _read_body(self, limit: int | None = None) -> bytes:
        """The request body, by ``Content-Length`` or chunked transfer coding; at most ``limit``
        bytes when given (a fault cutting an upload short)."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked(limit)
        text = self.headers.get("content-length")
        if text is None:
            return b""
        if not re.fullmatch(r"\d+", text.strip()):
            raise _BodyError(messages.text("bad_content_length", value=text))
        length = int(text)
        if limit is not None:
            length = min(length, limit)
        body = self.rfile.read(length) if length else b""
        if len(body) < length and limit is None:
            raise _BodyError(messages.text("bad_content_length", value=text))
        return body

    def _read_chunked(self, limit: int | None) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(MAX_LINE)
            size_text = line.split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]+", size_text):
                raise _BodyError(messages.text("bad_chunked_body", detail=f"bad chunk size line {line[:40]!r}"))
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields: ignored
                return bytes(body)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _BodyError(messages.text("bad_chunked_body", detail="the body ended inside a chunk"))
            body += chunk
            if limit is not None and len(body) >= limit:
                return bytes(body[:limit])
            if self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n"):
                raise _BodyError(messages.text("bad_chunked_body", detail="a chunk is not followed by CRLF"))

    def _send(self, status: int, payload: Any, content_type: str, headers: dict[str, str] | None = None) -> None:
        body = payload if isinstance(payload, bytes) else _encode(payload, content_type)
        self.send_response(status)
        self.send_header("content-type", content_type if content_type != "text/plain" else "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset (no answer at all)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _real_url(self) -> str:
        """The URL as the client meant it: the host of the API (or gateway) of this port's region."""
        api, gateway_host = REGION_HOSTS[self.server.region]
        host = gateway_host if self.path.startswith("/v1/") else api
        return f"https://{host}{self.path}"

    # --- one request -----------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        url = self._real_url()
        path = urlsplit(url).path
        emulator.requests_seen.append((method, path))
        plan = emulator.faults
        fault = plan.pick(method, path) if plan is not None else None
        try:
            if fault is not None and fault.kind == "cut_upload":
                self._cut_upload(fault)
                return
            try:
                raw = self._read_body()
            except _BodyError as error:
                self.close_connection = True  # the stream is out of step: nothing more can be read
                self._send(400, _error_body(url, 400, str(error)), "application/json")
                return
            if fault is not None and fault.kind == "reset":
                self._reset()
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            status, payload, content_type, headers = self._answer(method, url, raw, fault)
            self._send(status, payload, content_type, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (a slow fault outlived its timeout)
        except Exception:  # noqa: BLE001 - last resort: never a dropped connection or a bare traceback
            emulator.violations.append(f"{method} {url}: unexpected exception\n{traceback.format_exc()}")
            self.close_connection = True
            try:
                self._send(500, _error_body(url, 500, messages.text("server_error")), "application/json")
            except OSError:
                pass

    def _cut_upload(self, fault: Fault) -> None:
        length = self.headers.get("content-length")
        cut = fault.cut_after
        if cut is None:
            cut = int(length) // 2 if length and length.isdigit() else 1024
        try:
            self._read_body(limit=cut)
        except _BodyError:
            pass
        self._reset()

    def _answer(self, method: str, url: str, raw: bytes, fault: Fault | None) -> tuple[int, Any, str, dict]:
        emulator = self.server.emulator
        headers: dict[str, str] = {}
        if fault is not None and fault.status is not None:
            status, payload, content_type, headers = self._fault_answer(url, fault)
        else:
            try:
                if self.headers.get("authorization") != emulator.api_key:
                    raise EmulatorError(401, UNAUTHORIZED)
                status, payload, content_type = self._route(method, url, raw)
            except EmulatorError as error:
                status, payload, content_type = (
                    error.status,
                    _error_body(url, error.status, str(error)),
                    "application/json",
                )
                headers = error.headers
            except Exception:  # noqa: BLE001 - any bug becomes a JSON 500 that tests see
                emulator.violations.append(f"{method} {url}: unexpected exception\n{traceback.format_exc()}")
                status, content_type = 500, "application/json"
                payload = _error_body(url, 500, messages.text("server_error"))
        encoded = _encode(payload, content_type)
        # A finished transcript is polled again and again with the same answer: check it once.
        seen = (method, urlsplit(url).path, status, content_type, hashlib.sha256(encoded).digest())
        if seen in self.server.validated:
            return status, encoded, content_type, headers
        try:
            if content_type != "text/event-stream":  # the spec has no stream schema: see gateway._stream
                spec.validate_response(method, url, status, payload, content_type)
            if len(self.server.validated) > 100_000:
                self.server.validated.clear()
            self.server.validated.add(seen)
        except spec.UnknownOperation:
            pass  # a path or method the API does not have: already answered 404 or 405
        except spec.SpecViolation as violation:
            if fault is not None and "lists no" in str(violation):
                pass  # a fault status the spec does not list (502): nothing to validate against
            else:
                emulator.violations.append(f"{method} {url}: {violation}")
                status, content_type = 500, "application/json"
                payload = _error_body(url, 500, messages.text("emulator_bug", detail=violation))
                encoded = _encode(payload, content_type)
        return status, encoded, content_type, headers

    def _fault_answer(self, url: str, fault: Fault) -> tuple[int, Any, str, dict]:
        key = {500: "server_error", 502: "bad_gateway", 503: "service_unavailable", 429: "too_many_requests"}
        status = fault.status or 500
        headers = {"retry-after": str(fault.retry_after)} if status == 429 else {}
        return status, _error_body(url, status, messages.text(key[status])), "application/json", headers

    def _json(self, method: str, url: str, raw: bytes) -> dict:
        try:
            body = json.loads(raw or b"null")
        except ValueError as error:
            raise EmulatorError(400, messages.text("invalid_json", detail=error)) from error
        try:
            spec.validate_request(method, url, body)
        except spec.SpecViolation as violation:
            detail = str(violation).splitlines()[-1].strip()
            raise EmulatorError(400, messages.text("invalid_body", detail=detail)) from violation
        return body

    def _route(self, method: str, url: str, raw: bytes) -> tuple[int, Any, str]:
        emulator = self.server.emulator
        state = emulator.state
        path = urlsplit(url).path
        allowed = next((methods for pattern, methods in ROUTES if pattern.fullmatch(path)), None)
        if allowed is None:
            raise EmulatorError(404, messages.text("unknown_path"))
        if method not in allowed:
            raise EmulatorError(
                405,
                messages.text("method_not_allowed", method=method, path=path, allowed=", ".join(allowed)),
                headers={"allow": ", ".join(allowed)},
            )
        query = validate_query(method, url)
        if method == "POST" and path == "/v2/upload":
            if not raw:
                raise EmulatorError(400, messages.text("empty_upload"))
            return 200, uploads.upload(state, raw), "application/json"
        if method == "POST" and path == "/v2/transcript":
            body = self._json(method, url, raw)
            return 200, transcripts.create(state, body, region=self.server.region), "application/json"
        if method == "GET" and path == "/v2/transcript":
            return 200, transcripts.listing(state, query, region=self.server.region), "application/json"
        match = transcripts.TRANSCRIPT_PATH.fullmatch(path)
        if match:
            transcript_id, sub = match.group(1), match.group(2)
            return transcripts.handle(state, method, transcript_id, sub, query, region=self.server.region)
        if method == "GET" and path == "/v1/models":
            return 200, gateway.models(), "application/json"
        if method == "POST" and path == "/v1/chat/completions":
            body = self._json(method, url, raw)
            with emulator.chat_lock:  # answers are numbered in order of arrival
                return gateway.chat(state, body, region=self.server.region)
        if method == "POST" and path == "/v1/understanding":
            return 200, understanding.understand(state, self._json(method, url, raw)), "application/json"
        raise EmulatorError(404, messages.text("unknown_path"))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: hundreds of clients connecting at once
    emulator: Emulator

    def __init__(self, *args: Any, region: str = "us", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.region = region  # which deployment this port answers as (REGION_HOSTS)
        self.validated: set[tuple] = set()  # answers already checked against the spec


def settings_from_env(slug: str | None = None, data_dir: Path | None = None) -> dict[str, Any]:
    """Emulator settings for a recording: ``COOKBOOK_EMULATOR_PROCESSING_SECONDS`` (default 0, so
    recording stays fast) and the fault plan (``COOKBOOK_EMULATOR_FAULTS`` or
    ``data/faults/<slug>.json``)."""
    text = os.environ.get(ENV_PROCESSING) or "0"
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{ENV_PROCESSING} must be a number of seconds (e.g. 2.5), not {text!r}") from None
    return {"processing_seconds": seconds, "faults": FaultPlan.from_env(slug, data_dir or ROOT / "data")}


class Emulator:
    """The emulator on a free loopback port, as a context manager.

    >>> with Emulator(api_key="k", processing_seconds=2.0) as emulator:
    ...     aai.settings.base_url = emulator.base_url

    ``processing_seconds``: how long a transcript stays queued then processing before it finishes
    (whether or not anyone polls; then its webhook is called). ``faults``: a
    :class:`~tools.emulator.faults.FaultPlan`, also settable later as ``emulator.faults``.
    """

    def __init__(
        self,
        api_key: str,
        notebook: str | None = None,
        data_dir: Path | None = None,
        port: int = 0,
        processing_seconds: float = 0.0,
        faults: FaultPlan | None = None,
    ):
        if not spec.spec_available():
            raise RuntimeError(
                f"the emulator checks everything against the official specs; they are not in {spec.REFERENCE}"
            )
        if processing_seconds < 0:
            raise ValueError(f"processing_seconds must be 0 or more, not {processing_seconds}")
        self.api_key = api_key
        self.state = State(Path(data_dir or ROOT / "data"), notebook, processing_seconds)
        self.faults = faults
        self.chat_lock = threading.Lock()
        self.requests_seen: list[tuple[str, str]] = []
        self.violations: list[str] = self.state.problems  # background failures show here too
        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.emulator = self
        # The EU deployment (api.eu / llm-gateway.eu) on a port of its own, sharing the state.
        self._eu_server = _Server(("127.0.0.1", 0), Handler, region="eu")
        self._eu_server.emulator = self
        # streaming.assemblyai.com (the /v3/ws WebSocket and GET /v3/token) on a loopback port of its own
        self.streaming = StreamingServer(api_key, self.state.data_dir)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def eu_base_url(self) -> str:
        """Where the emulator answers as ``api.eu.assemblyai.com`` and ``llm-gateway.eu.assemblyai.com``."""
        return f"http://127.0.0.1:{self._eu_server.server_port}"

    @property
    def webhooks(self) -> list[dict]:
        """Every webhook delivery made: transcript id, status, the receiver's HTTP status."""
        return self.state.webhooks

    @property
    def streaming_url(self) -> str:
        """``ws://127.0.0.1:PORT``, for ``StreamingClientOptions(api_host=...)``."""
        return self.streaming.url

    def __enter__(self) -> Emulator:
        serve_in_background(self._server)
        serve_in_background(self._eu_server)
        self.streaming.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.streaming.stop()
        for server in (self._server, self._eu_server):
            server.shutdown()
            server.server_close()
        self.state.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local emulator of AssemblyAI's API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--notebook", help="the notebook whose reference LLM answers to serve")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=None,
        help=f"how long a transcript stays queued/processing (default ${ENV_PROCESSING} or 0)",
    )
    parser.add_argument(
        "--faults", help="a fault plan as JSON, or a path to a JSON file (see tools/emulator/faults.py)"
    )
    args = parser.parse_args(argv)
    settings = settings_from_env(args.notebook)
    if args.processing_seconds is not None:
        settings["processing_seconds"] = args.processing_seconds
    if args.faults:
        text = Path(args.faults).read_text() if Path(args.faults).is_file() else args.faults
        try:
            settings["faults"] = FaultPlan.from_json(text, "--faults")
        except ValueError as error:
            parser.error(str(error))
    with Emulator(args.api_key, args.notebook, port=args.port, **settings) as emulator:
        print(f"Emulating api.assemblyai.com and llm-gateway.assemblyai.com at {emulator.base_url}")
        print(f"Emulating streaming.assemblyai.com at {emulator.streaming_url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
