"""Share links people paste (Google Drive, GitHub) turned into URLs that serve the file's bytes.

AssemblyAI downloads ``audio_url`` itself, so it must point at the audio, not at a web page about
it. :func:`drive_download_url` and :func:`github_raw_url` convert the links users copy from their
browser; :func:`check_download` asks the URL for its first bytes before anything is submitted, so
a file that is not shared, too large for Drive to serve directly, or kept in Git LFS fails early
with a message that says what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from .errors import CookbookError

#: Where Drive serves a shared file's bytes, and where GitHub serves raw files and LFS objects.
DRIVE_DOWNLOAD_BASE = "https://drive.usercontent.google.com"
GITHUB_RAW_BASE = "https://raw.githubusercontent.com"
GITHUB_MEDIA_BASE = "https://media.githubusercontent.com"

#: Drive answers files larger than about this with a virus-scan warning page, not the bytes.
DRIVE_SCAN_LIMIT_MB = 100

_DRIVE_HOSTS = {"drive.google.com", "docs.google.com", "drive.usercontent.google.com"}
_DRIVE_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


class LinkError(CookbookError, ValueError):
    """A link that cannot be turned into a download URL; nothing was submitted."""


class DownloadCheckError(CookbookError):
    """The download URL does not serve the file's bytes (not shared, too large, gone)."""


@dataclass(frozen=True)
class DriveFile:
    """A Drive file as a share link names it."""

    file_id: str
    resource_key: str | None = None

    def download_url(self, base: str = DRIVE_DOWNLOAD_BASE) -> str:
        """The direct-download URL: the file's bytes for a shared file under Drive's scan limit."""
        query = {"id": self.file_id, "export": "download"}
        if self.resource_key:
            query["resourcekey"] = self.resource_key
        return f"{base.rstrip('/')}/download?{urlencode(query)}"


def parse_drive_link(link: str) -> DriveFile:
    """The file id (and resource key) in any Drive share link form.

    Accepts ``/file/d/<id>/view`` (with ``/u/<n>/``, ``edit``, ``preview``, ``usp=`` and
    ``resourcekey=``), ``open?id=``, ``uc?id=`` / ``uc?export=download&id=`` on drive.google.com or
    docs.google.com, and ``drive.usercontent.google.com/download?id=``. Refuses folders, Google
    Docs/Sheets/Slides and anything that is not Drive, saying why.
    """
    text = (link or "").strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    if host not in _DRIVE_HOSTS:
        raise LinkError(f"Not a Google Drive link: {text!r}. Copy the link from Drive's Share dialog.")
    query = parse_qs(parts.query)
    path = parts.path
    if "/folders/" in path:
        raise LinkError("That link is a Drive folder. Share the audio file itself and copy its link.")
    if re.match(r"^/(document|spreadsheets|presentation|forms)/", path):
        raise LinkError(
            "That link is a Google Docs editor file, not an uploaded audio or video file. "
            "Upload the recording to Drive and share that file."
        )
    match = re.search(r"/file/(?:u/\d+/)?d/([^/?#]+)", path)
    file_id = match.group(1) if match else (query.get("id") or [""])[0]
    if not file_id:
        raise LinkError(f"No file id in {text!r}: expected /file/d/<id>/ or ?id=<id>.")
    if not _DRIVE_ID.match(file_id):
        raise LinkError(f"{file_id!r} is not a Drive file id (letters, digits, '-' and '_'): check the link.")
    key = (query.get("resourcekey") or [None])[0]
    return DriveFile(file_id, key)


def drive_download_url(link: str, base: str = DRIVE_DOWNLOAD_BASE) -> str:
    """The direct-download URL for a Drive share link (see :func:`parse_drive_link`)."""
    return parse_drive_link(link).download_url(base)


@dataclass(frozen=True)
class GitHubFile:
    """A file in a GitHub repository at a ref."""

    owner: str
    repo: str
    ref: str
    path: str

    def raw_url(self, base: str = GITHUB_RAW_BASE) -> str:
        """Where GitHub serves the file as it is stored in git (an LFS pointer for LFS files)."""
        return f"{base.rstrip('/')}/{self.owner}/{self.repo}/{self.ref}/{quote(self.path)}"

    def media_url(self, base: str = GITHUB_MEDIA_BASE) -> str:
        """Where GitHub serves the content of a file kept in Git LFS."""
        return f"{base.rstrip('/')}/media/{self.owner}/{self.repo}/{self.ref}/{quote(self.path)}"


def parse_github_link(link: str) -> GitHubFile:
    """The repository, ref and path a GitHub file link names.

    Accepts ``github.com/<o>/<r>/blob/<ref>/<path>`` (with ``?raw=true``, ``?plain=1`` or a ``#L``
    anchor), ``github.com/<o>/<r>/raw/<ref>/<path>``, ``raw.githubusercontent.com/<o>/<r>/<ref>/<path>``
    (also ``refs/heads/<branch>``) and ``media.githubusercontent.com/media/...``. Refuses folders
    (``/tree/``), repository pages and other hosts, saying why.
    """
    text = (link or "").strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host in {"github.com", "www.github.com"}:
        if len(segments) >= 3 and segments[2] == "tree":
            raise LinkError("That link is a folder (/tree/). Open the audio file on GitHub and copy its link.")
        if len(segments) < 5 or segments[2] not in {"blob", "raw"}:
            raise LinkError(
                f"Not a link to a file on GitHub: {text!r}. Expected github.com/<owner>/<repo>/blob/<ref>/<path>."
            )
        owner, repo, _, ref, *path = segments
    elif host == "raw.githubusercontent.com":
        if len(segments) < 4:
            raise LinkError(f"Incomplete raw link: {text!r}. Expected <owner>/<repo>/<ref>/<path>.")
        owner, repo, ref, *path = segments
        if ref == "refs" and len(path) >= 3 and path[0] in {"heads", "tags"}:
            ref, path = path[1], path[2:]
    elif host == "media.githubusercontent.com" and segments[:1] == ["media"] and len(segments) >= 5:
        _, owner, repo, ref, *path = segments
    else:
        raise LinkError(f"Not a GitHub link: {text!r}. Copy the file's link from github.com.")
    return GitHubFile(owner, repo, ref, unquote("/".join(path)))


def github_raw_url(link: str, base: str = GITHUB_RAW_BASE) -> str:
    """The raw URL of a GitHub file link (see :func:`parse_github_link`)."""
    return parse_github_link(link).raw_url(base)


def is_lfs_pointer(first_bytes: bytes) -> bool:
    """Whether a file's first bytes are a Git LFS pointer instead of its content."""
    return first_bytes.lstrip().startswith(_LFS_POINTER)


@dataclass(frozen=True)
class DownloadCheck:
    """What a URL served when asked for its first bytes."""

    url: str
    status: int
    content_type: str
    first_bytes: bytes

    @property
    def is_html(self) -> bool:
        start = self.first_bytes.lstrip()[:15].lower()
        return "html" in self.content_type or start.startswith((b"<!doctype", b"<html"))


def peek(url: str, size: int = 2048, timeout: float = 30) -> DownloadCheck:
    """GET the first ``size`` bytes of ``url`` (a Range request; nothing more is read)."""
    import requests

    with requests.get(url, headers={"Range": f"bytes=0-{size - 1}"}, stream=True, timeout=timeout) as response:
        first = response.raw.read(size, decode_content=True) if response.ok else b""
        return DownloadCheck(response.url, response.status_code, response.headers.get("content-type", ""), first)


def check_drive_download(url: str) -> DownloadCheck:
    """Raise :class:`DownloadCheckError` unless a Drive download URL serves the file's bytes."""
    check = peek(url)
    if check.status == 404:
        raise DownloadCheckError("Drive says this file does not exist: check the link, or that it was not deleted.")
    signed_out = "accounts.google.com" in check.url or "/ServiceLogin" in check.url
    if check.status in (401, 403) or signed_out:
        raise DownloadCheckError(
            "Drive asks for a sign-in: the file is not shared. In Drive, Share > General access > "
            "'Anyone with the link' (Viewer), then copy the link again."
        )
    if check.is_html and b"virus scan warning" in check.first_bytes.lower():
        raise DownloadCheckError(
            f"Drive answers with its virus-scan warning page instead of the file: it is larger than about "
            f"{DRIVE_SCAN_LIMIT_MB} MB. Download it and upload it with the SDK (transcriber.transcribe(path)), "
            "or host it where a URL serves the bytes (S3, your own server). Adding confirm=t to the URL accepts "
            "the warning, if you trust the file."
        )
    if check.status >= 400 or check.is_html:
        raise DownloadCheckError(
            f"Drive answered {check.status} with a web page, not the file: open the link in a private browser "
            "window to see what it shows."
        )
    return check


def resolve_github_audio(link: str, raw_base: str = GITHUB_RAW_BASE, media_base: str = GITHUB_MEDIA_BASE) -> str:
    """A URL that serves the audio a GitHub link names: the raw URL, or the LFS media URL when the
    raw file is a Git LFS pointer. Raises :class:`LinkError` or :class:`DownloadCheckError`."""
    file = parse_github_link(link)
    check = peek(file.raw_url(raw_base))
    if check.status == 404:
        raise DownloadCheckError(
            f"GitHub has no file {file.path!r} at {file.ref!r} in {file.owner}/{file.repo}, or the repository is "
            "private (raw links of private repositories need a token and expire: upload the file instead)."
        )
    if check.status >= 400 or check.is_html:
        raise DownloadCheckError(f"GitHub answered {check.status} with a web page, not the file: check the link.")
    if is_lfs_pointer(check.first_bytes):
        media = file.media_url(media_base)
        media_check = peek(media)
        if media_check.status >= 400 or is_lfs_pointer(media_check.first_bytes):
            raise DownloadCheckError(
                f"{file.path!r} is kept in Git LFS and its media URL answered {media_check.status}: the LFS "
                "object may be missing or over the repository's LFS bandwidth quota."
            )
        return media
    return file.raw_url(raw_base)
