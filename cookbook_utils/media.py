"""Getting audio out of online videos with yt-dlp and ffmpeg, and serving media on loopback.

:func:`download_audio` downloads the best audio a page offers and has ffmpeg extract it into an
audio file; its failures become errors that say what to do. :func:`serve_folder` serves a folder
on ``127.0.0.1``, which is how replay mode and the tests stand in for a video site: yt-dlp's
generic extractor downloads from it for real.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .audio import duration_ms
from .errors import CookbookError
from .network import serve_in_background

#: The audio container ffmpeg writes by default: AAC in MP4, copied from most videos without re-encoding.
DEFAULT_AUDIO_FORMAT = "m4a"


class MediaDownloadError(CookbookError):
    """yt-dlp could not produce an audio file; the message says why and what to try."""


class FFmpegMissingError(MediaDownloadError):
    """ffmpeg, which extracts the audio, is not installed."""


class MediaUnreachableError(MediaDownloadError):
    """The URL could not be fetched: wrong address, no connection, or nothing there."""


class MediaAccessError(MediaDownloadError):
    """The video exists but is private, members-only or needs a sign-in."""


@dataclass(frozen=True)
class AudioDownload:
    """What :func:`download_audio` produced."""

    path: Path
    title: str
    duration_s: float | None
    extractor: str
    url: str


def ytdlp_options(folder: Path, audio_format: str = DEFAULT_AUDIO_FORMAT) -> dict:
    """The yt-dlp options the cookbook uses: best audio, extracted by ffmpeg into ``audio_format``,
    named after the video's title, with no progress bars or console noise."""
    return {
        "format": "bestaudio/best",  # an audio-only stream when the site has one, else the whole video
        "outtmpl": str(Path(folder) / "%(title)s.%(ext)s"),
        "postprocessors": [{"key": "FFmpegExtractAudio", "preferredcodec": audio_format}],
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _SilentLogger(),  # failures are raised as errors below, not printed as well
    }


class _SilentLogger:
    def debug(self, message: str) -> None:
        pass

    info = warning = error = debug


_ACCESS = re.compile(
    r"private video|sign in to confirm|members-only|join this channel|login required|"
    r"http error 40[13]|age-restricted|requires authentication",
    re.IGNORECASE,
)
_UNREACHABLE = re.compile(
    r"connection refused|failed to establish|name or service not known|failed to resolve|"
    r"temporary failure in name resolution|timed out|http error 404|unable to download webpage|"
    r"no route to host|network is unreachable|unsupported url|is not a valid url",
    re.IGNORECASE,
)
_CAUSED_BY = re.compile(r" \(caused by .*\)$", re.DOTALL)  # yt-dlp repeats the low-level exception
_NO_FFMPEG = re.compile(r"ffmpeg (?:and ffprobe )?not found|ffprobe and ffmpeg not found", re.IGNORECASE)


def explain_download_error(message: str, url: str) -> MediaDownloadError:
    """Turn yt-dlp's error text into an error that says what to do."""
    detail = _CAUSED_BY.sub("", message.removeprefix("ERROR: ")).strip()
    if _NO_FFMPEG.search(detail):
        return _ffmpeg_missing()
    if _ACCESS.search(detail):
        return MediaAccessError(
            f"The video at {url} is private, members-only or needs a sign-in ({detail}). If your account can "
            "watch it, give yt-dlp your browser's cookies (option 'cookiesfrombrowser' or 'cookiefile'; "
            "`--cookies-from-browser` on the command line); otherwise choose a public video."
        )
    if _UNREACHABLE.search(detail):
        return MediaUnreachableError(
            f"Could not download {url} ({detail}). Check the address (open it in a browser) and your "
            "network connection."
        )
    return MediaDownloadError(f"yt-dlp could not download the audio of {url}: {detail}")


def _ffmpeg_missing() -> FFmpegMissingError:
    return FFmpegMissingError(
        "ffmpeg is not installed, and yt-dlp needs it to extract the audio. Install it "
        "(Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: `brew install ffmpeg`; `make setup` in "
        "this project does it) and run the cell again."
    )


def download_audio(url: str, folder: Path | str, *, audio_format: str = DEFAULT_AUDIO_FORMAT) -> AudioDownload:
    """Download the best audio of the video at ``url`` into ``folder`` as ``audio_format``.

    Raises :class:`FFmpegMissingError`, :class:`MediaUnreachableError`, :class:`MediaAccessError`
    or :class:`MediaDownloadError`, each saying what to do.
    """
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:  # yt-dlp calls both
        raise _ffmpeg_missing()
    import yt_dlp

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with yt_dlp.YoutubeDL(ytdlp_options(folder, audio_format)) as ydl:
            info = ydl.extract_info(url, download=True)
    except yt_dlp.utils.DownloadError as error:
        raise explain_download_error(str(error), url) from None
    if info.get("_type") == "playlist":  # a playlist page: noplaylist only helps on watch-with-list URLs
        raise MediaDownloadError(f"{url} is a playlist; pass the URL of one video.")
    path = Path(info["requested_downloads"][0]["filepath"])
    return AudioDownload(
        path=path,
        title=info.get("title") or path.stem,
        duration_s=info.get("duration") or duration_ms(path) / 1000,
        extractor=info.get("extractor_key") or info.get("extractor") or "unknown",
        url=url,
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep notebook and test output clean
        pass


class LocalServer:
    """A folder served over HTTP on 127.0.0.1 (a free port) until :meth:`stop`."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
