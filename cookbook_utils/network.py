"""Which addresses stay on this machine, a guard that lets only those be reached, and the loopback
servers that live there.

Replay answers every API call from a recording, so nothing may leave the machine: the guard makes
that true at the socket, below every HTTP library (those vcrpy patches and those it does not
know). Loopback addresses (127.0.0.0/8, ::1, ``localhost``) and unix sockets stay allowed: the
emulator, a local S3 and the kernel's own channels live there.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Self

from .errors import CookbookError


def is_loopback(hostname: str | None) -> bool:
    """True for addresses that never leave this machine: 127.0.0.0/8, ::1 and ``localhost``."""
    name = (hostname or "").strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


_original: dict[str, Any] = {}
_why = ""


def _resolves_to_loopback(host: str) -> bool:
    """A name (not an address literal) is allowed when every address it resolves to is loopback."""
    try:
        infos = _original.get("getaddrinfo", socket.getaddrinfo)(host, None)
    except OSError:
        return False
    return bool(infos) and all(is_loopback(str(info[4][0])) for info in infos)


def _allowed(address: Any, family: int | None = None) -> tuple[bool, str]:
    """Whether connecting to ``address`` is allowed, and the ``host:port`` it names."""
    if family is not None and family == getattr(socket, "AF_UNIX", object()):
        return True, str(address)
    if isinstance(address, (str, bytes)):  # a unix socket path
        return True, str(address)
    if not isinstance(address, tuple) or not address:
        return False, repr(address)
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    where = f"{host}:{address[1]}" if len(address) > 1 else host
    if is_loopback(host):
        return True, where
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:  # a name: allowed only if it is this machine's
        return _resolves_to_loopback(host), where
    return False, where


def _refuse(where: str) -> CookbookError:
    return CookbookError(
        f"Blocked a connection to {where}: {_why} never reaches the network. Only this machine "
        "(127.0.0.0/8, ::1, localhost, unix sockets) may be reached. Every API call must come from the "
        "recording; if this one should, re-record the notebook, and if the code reaches another "
        "service, serve it locally (as the local S3 and media servers are)."
    )


def _connect(self: socket.socket, address: Any) -> None:
    ok, where = _allowed(address, self.family)
    if not ok:
        raise _refuse(where)
    return _original["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    ok, where = _allowed(address, self.family)
    if not ok:
        raise _refuse(where)
    return _original["connect_ex"](self, address)


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    ok, where = _allowed(address)
    if not ok:
        raise _refuse(where)
    return _original["create_connection"](address, *args, **kwargs)


def block_network(why: str = "replay") -> None:
    """Refuse every connection off this machine until :func:`allow_network`, with an error that names
    the host. ``why`` completes the message: "<why> never reaches the network". Safe to call again."""
    global _why
    _why = why
    if _original:
        return
    _original.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        create_connection=socket.create_connection,
        getaddrinfo=socket.getaddrinfo,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.create_connection = _create_connection


def allow_network() -> None:
    """Undo :func:`block_network`."""
    if not _original:
        return
    socket.socket.connect = _original["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _original["connect_ex"]  # type: ignore[method-assign]
    socket.create_connection = _original["create_connection"]
    _original.clear()


def network_blocked() -> bool:
    """True while :func:`block_network` is in force."""
    return bool(_original)


# How often a background server looks for a shutdown request: ``shutdown()`` waits up to this long
# (the standard library's 0.5 s made every stop of a local server cost half a second).
SHUTDOWN_POLL_S = 0.02


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded loopback HTTP server that says nothing when a client hangs up mid-answer.

    yt-dlp, ffmpeg and the API's downloader may read the first bytes of a file and close the
    connection; the standard server prints a traceback to stderr for each such hang-up.
    """

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client stopped reading: nothing went wrong here
        super().handle_error(request, client_address)


def serve_in_background(server: Any, name: str | None = None) -> threading.Thread:
    """Run ``server.serve_forever()`` (a ``socketserver`` server) on a daemon thread, started, so that a
    later ``server.shutdown()`` returns within :data:`SHUTDOWN_POLL_S`."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True, name=name
    )
    thread.start()
    return thread


class LoopbackServer:
    """A websockets server on 127.0.0.1 (``port``, 0 for any free one) with its own event loop
    thread: the WebSocket counterpart of :func:`serve_in_background`. A subclass answers plain HTTP
    in ``_http``, sync or async (``None`` lets the WebSocket handshake go on), and serves each
    WebSocket in ``_session``. The streaming record and replay servers
    (:mod:`cookbook_utils.recording.streams`) and the emulator's streaming server
    (``tools/emulator/streaming.py``) are subclasses."""

    def __init__(self, port: int = 0) -> None:
        import asyncio

        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Self:
        import asyncio

        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        from websockets.asyncio.server import serve

        self._server = await serve(
            self._session,
            "127.0.0.1",
            self.port,
            process_request=self._http,
            max_size=2**22,
            max_queue=None,
            ping_interval=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        import asyncio

        async def _stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=10)
            except TimeoutError:
                pass  # a session still closing: the loop stops under it, as a process exit would
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    async def _http(self, connection: Any, request: Any) -> Any:
        raise NotImplementedError

    async def _session(self, websocket: Any) -> None:
        raise NotImplementedError


def json_response(status: int, body: Any) -> Any:
    """A plain HTTP answer with a JSON body, for a :class:`LoopbackServer`'s ``_http``."""
    import json
    from http import HTTPStatus

    from websockets.datastructures import Headers
    from websockets.http11 import Response

    data = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return Response(status, reason, headers, data)
