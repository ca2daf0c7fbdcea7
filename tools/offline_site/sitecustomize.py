"""Keeps a rehearsal kernel (``tools/rehearse.py``) and a whole-recipe script
(``tools/whole_recipe.py``) off the network: an audit hook refuses every
connection and name lookup that would leave this machine, as a machine without a network would
(``OSError``), whatever the notebook or the cookbook turns on or off. Only loopback, ``localhost`` and
unix sockets stay reachable: the emulator, the kernel's own channels. Put on ``PYTHONPATH`` by those two
alone; it is never imported by the cookbook."""

from __future__ import annotations

import ipaddress
import socket
import sys


def _local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    name = str(host or "").strip("[]").lower().rstrip(".")
    if name in ("localhost", "") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    return OSError(f"offline: no network on this machine, {what} cannot be reached (only loopback can)")


def _guard(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", None) or not isinstance(address, tuple):
            return
        if not _local(address[0]):
            raise _refuse(f"{address[0]}:{address[1] if len(address) > 1 else ''}")
    elif event == "socket.getaddrinfo":
        if not _local(args[0]):
            raise socket.gaierror(socket.EAI_NONAME, f"offline: no network, {args[0]!r} cannot be looked up")


sys.addaudithook(_guard)


def _route_stand_ins() -> None:
    """``COOKBOOK_SCRIPT_ROUTES`` (JSON: real host -> ``http://127.0.0.1:PORT``): a URL the API returns
    on a host of its own (a redacted_audio_url on S3) reaches the emulator's stand-in for that host, as
    it would reach the internet; below httpx, so the script runs as written."""
    import json
    import os
    from urllib.parse import urlsplit

    routes = json.loads(os.environ.get("COOKBOOK_SCRIPT_ROUTES") or "{}")
    if not routes:
        return
    try:
        import httpcore
    except ImportError:
        return
    table = {}
    for host, base in routes.items():
        parts = urlsplit(base)
        table[host.encode()] = (parts.scheme.encode(), (parts.hostname or "").encode(), parts.port)
    original = httpcore.ConnectionPool.handle_request

    def handle_request(self, request):
        route = table.get(request.url.host)
        if route is not None:
            request.url = httpcore.URL(scheme=route[0], host=route[1], port=route[2], target=request.url.target)
        return original(self, request)

    httpcore.ConnectionPool.handle_request = handle_request


_route_stand_ins()
