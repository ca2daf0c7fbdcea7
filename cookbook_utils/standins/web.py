"""Loopback stand-ins for the places users keep audio and video (Google Drive, GitHub, a video
site), for replay and tests.

Each answers on ``127.0.0.1`` the way the real host answers the URLs that the link recipes build
(``google-drive-links``, ``github-raw-links``): Drive serves a shared file's bytes, redirects to a
sign-in page for a file that is not shared, and serves its virus-scan warning page for a file too
large to scan; GitHub's raw host serves files as stored in git (a pointer text for a Git LFS file)
and its media host serves LFS content. :class:`LocalServer` (and :func:`serve_folder`) serves a
folder, which is how ``youtube-transcripts`` and the tests stand in for a video site: yt-dlp's
generic extractor downloads from it for real. The emulator of the API downloads from them as the
real API downloads from the real hosts.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..network import QuietHTTPServer, serve_in_background
from . import refuse_when_live

_SIGN_IN = b"""<!DOCTYPE html><html><head><title>Sign in - Google Accounts</title></head>
<body><form action="/ServiceLogin" method="post"><p>Sign in to continue to Google Drive</p></form></body></html>"""
_SCAN_WARNING = b"""<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head>
<body><p>Google Drive can't scan this file for viruses.</p><p>This file is too large for Google to scan.
Would you still like to download this file?</p><form id="download-form" action="/download" method="get">
<input type="hidden" name="confirm" value="t"></form></body></html>"""


class _StandInServer:
    """A threaded loopback HTTP server whose answers come from ``self.answer(path, query)``."""

    def __init__(self) -> None:
        outer = self
        refuse_when_live("a local web host")

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                status, headers, body = outer.answer(unquote(parts.path), parse_qs(parts.query))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that asked for the first bytes only and hung up

        self._server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        serve_in_background(self._server)

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _file(path: Path) -> tuple[int, dict, bytes]:
    content_type = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4", ".mp4": "video/mp4"}
    return (
        200,
        {
            "content-type": content_type.get(path.suffix, "application/octet-stream"),
            "content-disposition": f'attachment; filename="{path.name}"',
        },
        path.read_bytes(),
    )


def _html(status: int, body: bytes) -> tuple[int, dict, bytes]:
    return status, {"content-type": "text/html; charset=utf-8"}, body


@dataclass
class DriveStandIn(_StandInServer):
    """Drive's download host: ``/download?id=`` and ``/uc?id=`` for the files given.

    ``shared`` maps file ids to files anyone with the link can download; ``private`` ids redirect
    to a sign-in page; ``too_large`` ids get the virus-scan warning page unless ``confirm=t``.
    """

    shared: dict[str, Path] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)
    too_large: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if path == "/ServiceLogin":
            return _html(200, _SIGN_IN)
        if path not in ("/download", "/uc"):
            return _html(404, b"<!DOCTYPE html><html><body>Not Found</body></html>")
        file_id = (query.get("id") or [""])[0]
        if file_id in self.private:
            return 303, {"location": f"/ServiceLogin?continue=/download%3Fid%3D{file_id}"}, b""
        if file_id in self.too_large:
            if (query.get("confirm") or [""])[0] == "t":
                return _file(self.too_large[file_id])
            return _html(200, _SCAN_WARNING)
        if file_id in self.shared:
            return _file(self.shared[file_id])
        return _html(404, b"<!DOCTYPE html><html><body>Sorry, the file you have requested does not exist.</body>")


def lfs_pointer(path: Path) -> bytes:
    """The pointer text git stores for a file kept in Git LFS."""
    data = path.read_bytes()
    oid = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()


@dataclass
class GitHubStandIn(_StandInServer):
    """GitHub's raw host (``/<owner>/<repo>/<ref>/<path>``) and LFS media host (``/media/...``)
    for one repository. ``files`` maps paths to files in git; ``lfs`` maps paths to files in LFS."""

    owner: str = "example"
    repo: str = "recordings"
    ref: str = "main"
    files: dict[str, Path] = field(default_factory=dict)
    lfs: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        media = path.startswith("/media/")
        prefix = f"/{self.owner}/{self.repo}/{self.ref}/"
        inner = path.removeprefix("/media") if media else path
        if inner.startswith(prefix):
            name = inner[len(prefix) :]
            if name in self.lfs:
                if media:
                    return _file(self.lfs[name])
                return 200, {"content-type": "text/plain; charset=utf-8"}, lfs_pointer(self.lfs[name])
            if name in self.files:
                return _file(self.files[name])
        return 404, {"content-type": "text/plain; charset=utf-8"}, b"404: Not Found"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep notebook and test output clean
        pass


class LocalServer:
    """A folder served over HTTP on 127.0.0.1 (a free port) until :meth:`stop`."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        refuse_when_live("a local web server")
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self._server = QuietHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        serve_in_background(self._server)

    def url(self, name: str) -> str:
        """The address of a file in the folder."""
        return f"{self.base_url}/{quote(name)}"

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve_folder(folder: Path | str) -> Iterator[LocalServer]:
    """Serve ``folder`` on loopback for as long as the block runs."""
    server = LocalServer(folder)
    try:
        yield server
    finally:
        server.stop()
