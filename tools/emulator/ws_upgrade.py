"""A WebSocket on a port that ``http.server`` answers: the request handler hands the socket over.

AssemblyAI's text-to-speech host (and the voice-agent host) answers plain HTTP and WebSocket sessions on
one origin, as the SDK addresses them (``settings.tts_base_url`` serves ``POST /v1/speech`` and
``wss://.../v1/ws``). The emulator's hosts are ``http.server`` servers; a ``GET`` with ``Upgrade:
websocket`` is finished here with websockets' own handshake, on the same socket, and the handler thread
then runs the session.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

#: A message larger than this is refused by the WebSocket layer with close 1009 (the TTS docs: 1 MiB).
MAX_MESSAGE_BYTES = 2**20


class _NotShuttingDown:
    """What ``ServerConnection.handshake`` asks of its server: whether it is closing (never, here)."""

    socket_closed = threading.Event()


def is_upgrade(handler: BaseHTTPRequestHandler) -> bool:
    """Whether the request is a WebSocket opening handshake."""
    return handler.command == "GET" and (handler.headers.get("upgrade") or "").lower() == "websocket"


def accept(handler: BaseHTTPRequestHandler, max_size: int = MAX_MESSAGE_BYTES) -> Any:
    """Complete the handshake of the request ``handler`` has read and return a synchronous
    ``websockets`` ``ServerConnection`` on its socket. The handler must not answer it otherwise and
    should set ``close_connection`` once the session ends."""
    from websockets.server import ServerProtocol
    from websockets.sync.server import ServerConnection

    protocol = ServerProtocol(max_size=max_size)
    head = f"GET {handler.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in handler.headers.items())
    protocol.receive_data((head + "\r\n").encode("latin-1"))  # the request, already read, fed back
    [request] = protocol.events_received()
    connection = ServerConnection(
        handler.connection, protocol, _NotShuttingDown(), ping_interval=None, close_timeout=2, max_queue=None
    )
    connection.request = request
    connection.request_rcvd.set()
    connection.handshake(timeout=10)
    return connection
