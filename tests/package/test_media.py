"""The download helper, run for real: yt-dlp's generic extractor against a loopback server holding
our video, and ffmpeg extracting its audio."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from cookbook_utils import media
from cookbook_utils.network import serve_in_background

ROOT = Path(__file__).resolve().parents[2]
VIDEO = ROOT / "data" / "media" / "podcast-clip.mp4"

needs_ffmpeg = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed (make setup installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(VIDEO, folder / "episode 12.mp4")
    with media.serve_folder(folder) as server:
        yield server


def _streams(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f"{s['codec_type']}:{s['codec_name']}" for s in json.loads(out)["streams"]]


@needs_ffmpeg
def test_download_extracts_the_audio_of_a_video(site, tmp_path):
    assert _streams(VIDEO) == ["video:h264", "audio:aac"]
    result = media.download_audio(site.url("episode 12.mp4"), tmp_path)
    assert result.path == tmp_path / "episode 12.m4a" and result.path.is_file()
    assert _streams(result.path) == ["audio:aac"]  # the picture is gone
    timing = json.loads((ROOT / "data" / "scripts" / "podcast-clip.timing.json").read_text())
    assert result.duration_s == pytest.approx(timing["duration_ms"] / 1000, abs=0.1)
    assert result.extractor == "Generic" and result.title == "episode 12"


@needs_ffmpeg
def test_other_formats_are_re_encoded_by_ffmpeg(site, tmp_path):
    result = media.download_audio(site.url("episode 12.mp4"), tmp_path, audio_format="mp3")
    assert result.path.suffix == ".mp3" and _streams(result.path) == ["audio:mp3"]


def test_the_same_download_gives_the_same_bytes(site, tmp_path):
    """Replay matches the upload by its hash, so the extraction must be repeatable."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    first = media.download_audio(site.url("episode 12.mp4"), tmp_path / "1").path.read_bytes()
    second = media.download_audio(site.url("episode 12.mp4"), tmp_path / "2").path.read_bytes()
    assert first == second


def test_missing_file_is_unreachable(site, tmp_path):
    with pytest.raises(media.MediaUnreachableError, match="HTTP Error 404.*Check the address"):
        media.download_audio(site.url("no-such-episode.mp4"), tmp_path)
    assert not any(tmp_path.iterdir())


def test_closed_port_is_unreachable(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(media.MediaUnreachableError, match="Connection refused"):
        media.download_audio(f"http://127.0.0.1:{port}/video.mp4", tmp_path)


class _Forbidden(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_private_video_says_how_to_sign_in(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    serve_in_background(server)
    try:
        with pytest.raises(media.MediaAccessError, match="cookies"):
            media.download_audio(f"http://127.0.0.1:{server.server_address[1]}/private.mp4", tmp_path)
    finally:
        server.shutdown()
        server.server_close()


def test_no_ffmpeg_is_reported_before_downloading(site, tmp_path, monkeypatch):
    python_only = tmp_path / "bin"
    python_only.mkdir()
    monkeypatch.setenv("PATH", str(python_only))
    with pytest.raises(media.FFmpegMissingError, match="apt-get install ffmpeg"):
        media.download_audio(site.url("episode 12.mp4"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("message", "kind"),
    [  # texts yt-dlp prints for YouTube and for its post-processor
        (
            "ERROR: [youtube] dQw4w9WgXcQ: Private video. Sign in if you've been granted access to this video",
            media.MediaAccessError,
        ),
        (
            "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
            media.MediaAccessError,
        ),
        (
            "ERROR: [youtube] abc: Join this channel to get access to members-only content like this video",
            media.MediaAccessError,
        ),
        (
            "ERROR: Postprocessing: ffprobe and ffmpeg not found. Please install or provide the path using "
            "--ffmpeg-location",
            media.FFmpegMissingError,
        ),
        (
            "ERROR: [generic] x: Unable to download webpage: <urlopen error [Errno -2] Name or service not known>",
            media.MediaUnreachableError,
        ),
        (
            "ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader",
            media.MediaDownloadError,
        ),
    ],
)
def test_yt_dlp_messages_become_clear_errors(message, kind):
    error = media.explain_download_error(message, "https://www.youtube.com/watch?v=abc")
    assert type(error) is kind
    assert "ERROR:" not in str(error)
