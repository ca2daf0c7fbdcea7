"""The emulator's HTTP layer: one loopback port per region that answers as that region's API and
LLM Gateway hosts, passing each request to ``routes`` and checking every answer against the spec.

It is strict about HTTP: a malformed ``Content-Length``, a broken chunked body or a request line it
cannot parse each get a JSON error; an unexpected exception in a handler becomes a JSON 500 and is
kept in ``violations`` so tests see it; a fault plan may reset the connection, cut an upload short,
slow or fail an answer. One thread serves each connection, with a deep listen backlog, and no lock
is held around I/O (see ``state``), so a slow request delays no other.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cookbook_utils.network import QuietHTTPServer
from tools import spec
from tools.emulator import errors, routes, sync_dictation
from tools.emulator.errors import UNAUTHORIZED, EmulatorError
from tools.emulator.faults import Fault, answering
from tools.emulator.state import REGION_HOSTS

if TYPE_CHECKING:
    from tools.emulator.server import Emulator

MAX_LINE = 65_537


class _BodyError(Exception):
    """A request body that cannot be read (its framing is broken): answered 400, then closed."""


def _is_gateway(url: str) -> bool:
    return (urlsplit(url).hostname or "").startswith("llm-gateway.")


def _error_body(
    url: str,
    status: int,
    message: str,
    request_id: str = "",
    causes: list[str] | None = None,
    title: str | None = None,
) -> dict:
    """The error envelope of each API. REST v2 sends ``{"error": text}``. The gateway sends what the
    2026-09-24 capture shows (and SDK 1.8.2's ``_error_from_response`` reads): a 401 from its auth check
    ``{"error", "status": "error", "request_id"}``; a 400 ``{"message": "invalid request body", "code",
    "request_id", "metadata": {"errors": [cause]}}``; any other status ``{"message", "code", "request_id"}``.
    ``causes``: the ``metadata.errors`` when the caller gives them (``message`` is then the short text).
    Sync transcription and dictation send RFC 9457 problem details (``sync_dictation.problem``, ``title``)."""
    if sync_dictation.api_of(url):
        return sync_dictation.problem(status, message, title)
    if not _is_gateway(url):
        return {"error": message}
    if status == 401:
        return {"error": message, "status": "error", "request_id": request_id}
    if causes is None and status == 400:
        message, causes = errors.text("gateway_invalid_body"), [message]
    body: dict[str, Any] = {"message": message, "code": status, "request_id": request_id}
    if causes is not None:
        body["metadata"] = {"errors": list(causes)}
    return body


def _encode(payload: Any, content_type: str) -> bytes:
    return json.dumps(payload).encode() if content_type == "application/json" else str(payload).encode()


class Handler(BaseHTTPRequestHandler):
    """Reads one request, answers it through ``routes`` and writes the answer; the emulator hangs off the server."""

    server: RegionServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the HTTP layer finds before routing (a garbled request line, an unknown method,
        headers too long) in the same JSON shape as every other error, not an HTML page."""
        short, long = self.responses.get(code, ("Error", ""))
        text = errors.text("http_layer", reason=message or short, explain=explain or long).rstrip(": ")
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
            raise _BodyError(errors.text("bad_content_length", value=text))
        length = int(text)
        if limit is not None:
            length = min(length, limit)
        body = self.rfile.read(length) if length else b""
        if len(body) < length and limit is None:
            raise _BodyError(errors.text("bad_content_length", value=text))
        return body

    def _read_chunked(self, limit: int | None) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(MAX_LINE)
            size_text = line.split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]+", size_text):
                raise _BodyError(errors.text("bad_chunked_body", detail=f"bad chunk size line {line[:40]!r}"))
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields: ignored
                return bytes(body)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _BodyError(errors.text("bad_chunked_body", detail="the body ended inside a chunk"))
            body += chunk
            if limit is not None and len(body) >= limit:
                return bytes(body[:limit])
            if self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n"):
                raise _BodyError(errors.text("bad_chunked_body", detail="a chunk is not followed by CRLF"))

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

    def _error_id(self) -> str:
        """A deterministic request id for an error answer (its own sequence: the ids of transcripts
        and chat answers do not move when an error comes between them)."""
        emulator = self.server.emulator
        with emulator.state.lock:
            emulator.error_count += 1
            count = emulator.error_count
        digest = hashlib.sha256(f"{emulator.state.notebook}|error|{count}".encode()).hexdigest()
        return str(uuid.UUID(digest[:32], version=4))

    def _real_url(self) -> str:
        """The URL as the client meant it: the host of the API (or gateway) of this port's region."""
        api, gateway_host = REGION_HOSTS[self.server.region]
        host = sync_dictation.real_host(self.path, self.headers, self.server.region)
        if host is None:
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
                self._send(400, _error_body(url, 400, str(error), self._error_id()), "application/json")
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
                self._send(500, self._server_error(url), "application/json")
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
                sent = self.headers.get("authorization")
                if _is_gateway(url) and sent is None:
                    raise EmulatorError(401, errors.text("gateway_missing_auth"))
                allowed = {emulator.api_key, f"Bearer {emulator.api_key}"} if _is_gateway(url) else {emulator.api_key}
                if sent not in allowed:  # no header at all is refused too
                    raise EmulatorError(401, UNAUTHORIZED)
                path = urlsplit(url).path
                with answering(fault):
                    status, payload, content_type = routes.dispatch(
                        emulator, method, url, path, raw, self.server.region, self.headers
                    )
            except EmulatorError as error:
                status, payload, content_type = (
                    error.status,
                    _error_body(url, error.status, str(error), self._error_id(), error.causes, error.title),
                    "application/json",
                )
                headers = error.headers
            except Exception:  # noqa: BLE001 - any bug becomes a JSON 500 that tests see
                emulator.violations.append(f"{method} {url}: unexpected exception\n{traceback.format_exc()}")
                status, content_type = 500, "application/json"
                payload = self._server_error(url)
        encoded = _encode(payload, content_type)
        # A finished transcript is polled again and again with the same answer: check it once.
        seen = (method, urlsplit(url).path, status, content_type, hashlib.sha256(encoded).digest())
        if seen in self.server.validated:
            return status, encoded, content_type, headers
        try:
            if sync_dictation.api_of(url):  # no published spec: the SDK's own models
                sync_dictation.validate_response(url, status, payload)
            elif content_type != "text/event-stream":  # the spec has no stream schema: see gateway._stream
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
                payload = _error_body(url, 500, errors.text("emulator_bug", detail=violation), self._error_id())
                encoded = _encode(payload, content_type)
        return status, encoded, content_type, headers

    def _server_error(self, url: str) -> dict:
        key = "gateway_server_error" if _is_gateway(url) else "server_error"
        return _error_body(url, 500, errors.text(key), self._error_id())

    def _fault_answer(self, url: str, fault: Fault) -> tuple[int, Any, str, dict]:
        key = {500: "server_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}
        key[429] = "too_many_requests"
        if _is_gateway(url):
            key.update({500: "gateway_server_error", 429: "gateway_rate_limited"})
        title = None
        status = fault.status or 500
        if sync_dictation.api_of(url) and status in sync_dictation.FAULT_TITLES:  # capacity, the 30 s deadline
            key[status], title = sync_dictation.FAULT_TEXTS[status], sync_dictation.FAULT_TITLES[status]
        retries = status == 429 or (title is not None and status == 503)  # the SDK reads Retry-After on both
        headers = {"retry-after": str(fault.retry_after)} if retries else {}
        message = errors.text(key[status], seconds=sync_dictation.DEADLINE_S)
        body = _error_body(url, status, message, self._error_id(), title=title)
        return status, body, "application/json", headers

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


class RegionServer(QuietHTTPServer):
    """One region's port: the emulator it serves, and the answers already checked against the spec."""

    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: hundreds of clients connecting at once
    emulator: Emulator

    def __init__(self, *args: Any, region: str = "us", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.region = region  # which deployment this port answers as (state.REGION_HOSTS)
        self.validated: set[tuple] = set()  # answers already checked against the spec
