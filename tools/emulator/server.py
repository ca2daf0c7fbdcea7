"""The emulator's HTTP server: one loopback port that answers as ``api.assemblyai.com`` and
``llm-gateway.assemblyai.com``, routing each request to the module for its API area and checking
every request and response against the official specs."""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tools import spec
from tools.emulator import gateway, transcripts, understanding, uploads
from tools.emulator.core import ROOT, UNAUTHORIZED, EmulatorError, State
from tools.emulator.streaming import StreamingServer


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
            return 200, uploads.upload(state, raw), "application/json"
        if method == "POST" and path == "/v2/transcript":
            return 200, transcripts.create(state, self._json(method, url, raw)), "application/json"
        if method == "GET" and path == "/v2/transcript":
            return 200, transcripts.listing(state, query), "application/json"
        match = transcripts.TRANSCRIPT_PATH.fullmatch(path)
        if match:
            return transcripts.handle(state, method, match.group(1), match.group(2), query)
        if method == "GET" and path == "/v1/models":
            return 200, gateway.models(), "application/json"
        if method == "POST" and path == "/v1/chat/completions":
            return 200, gateway.chat(state, self._json(method, url, raw)), "application/json"
        if method == "POST" and path == "/v1/understanding":
            return 200, understanding.understand(state, self._json(method, url, raw)), "application/json"
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
        # streaming.assemblyai.com (the /v3/ws WebSocket and GET /v3/token) on a loopback port of its own
        self.streaming = StreamingServer(api_key, self.state.data_dir)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def streaming_url(self) -> str:
        """``ws://127.0.0.1:PORT``, for ``StreamingClientOptions(api_host=...)``."""
        return self.streaming.url

    def __enter__(self) -> Emulator:
        self._thread.start()
        self.streaming.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.streaming.stop()
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local emulator of AssemblyAI's API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--notebook", help="the notebook whose reference LLM answers to serve")
    args = parser.parse_args(argv)
    with Emulator(args.api_key, args.notebook, port=args.port) as emulator:
        print(f"Emulating api.assemblyai.com and llm-gateway.assemblyai.com at {emulator.base_url}")
        print(f"Emulating streaming.assemblyai.com at {emulator.streaming_url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
