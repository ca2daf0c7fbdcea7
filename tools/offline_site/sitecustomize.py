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
