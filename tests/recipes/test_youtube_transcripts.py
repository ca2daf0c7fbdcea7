"""youtube-transcripts: the notebook's own download (``ytdlp_options``, ``download_audio``) and its
error explanation, run for real: yt-dlp's generic extractor against a loopback server holding our
video, and ffmpeg extracting its audio; and the whole recipe run alone on a video that is not there and
without ffmpeg (each refused with what to do, before anything reaches the API)."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import paths
from cookbook_utils.audio import duration_ms
from cookbook_utils.network import serve_in_background
from cookbook_utils.standins.web import serve_folder
from tests.project.whole_recipe_inputs import video_url
from tests.recipes.whole_copies import copies
from tools import spec
from tools.notebook_code import load_definitions
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

ROOT = Path(__file__).resolve().parents[2]
VIDEO = ROOT / "data" / "media" / "podcast-clip.mp4"
SLUG = "youtube-transcripts"
ERRORS = ["MediaDownloadError", "MediaUnreachableError", "MediaAccessError", "FFmpegMissingError"]

needs_ffmpeg = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed (make setup installs it)")


@pytest.fixture(scope="module")
def lesson() -> dict:
    names = ["QuietLogger", "ytdlp_options", "explain_download_error", "download_audio", *ERRORS]
    return load_definitions(SLUG, names, ("ACCESS", "UNREACHABLE", "NO_FFMPEG", "NO_JS_RUNTIME", "CAUSED_BY"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(VIDEO, folder / "episode 12.mp4")
    with serve_folder(folder) as server:
        yield server


def _streams(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f"{s['codec_type']}:{s['codec_name']}" for s in json.loads(out)["streams"]]


def test_the_options_ask_for_m4a_then_any_audio_kept_as_it_is_named_by_id(lesson, tmp_path):
    logger = lesson["QuietLogger"]()
    options = lesson["ytdlp_options"](tmp_path, logger)
    assert options["format"] == "m4a/bestaudio/best"
    assert options["outtmpl"] == str(tmp_path / "%(id)s.%(ext)s")
    assert options["postprocessors"] == [{"key": "FFmpegExtractAudio"}]  # copied, never re-encoded
    assert options["noplaylist"] and options["quiet"] and options["noprogress"]
    assert "no_warnings" not in options and options["logger"] is logger  # warnings reach the logger
    mp3 = lesson["ytdlp_options"](tmp_path, logger, "mp3")["postprocessors"]
    assert mp3 == [{"key": "FFmpegExtractAudio", "preferredcodec": "mp3"}]


def test_a_missing_javascript_runtime_is_named_in_the_error(lesson):
    warned = ["[youtube] abc: No supported JavaScript runtime could be found. Only deno is enabled by default"]
    error = lesson["explain_download_error"]("ERROR: [youtube] abc: Requested format is not available", "u", warned)
    assert type(error) is lesson["MediaDownloadError"]
    assert "Requested format is not available" in str(error) and "install Deno" in str(error)
    plain = lesson["explain_download_error"]("ERROR: [youtube] abc: Requested format is not available", "u", [])
    assert "Deno" not in str(plain)


@needs_ffmpeg
def test_download_extracts_the_audio_of_a_video(lesson, site, tmp_path, capsys):
    assert _streams(VIDEO) == ["video:h264", "audio:aac"]
    path = lesson["download_audio"](site.url("episode 12.mp4"), tmp_path)
    assert path == tmp_path / "episode 12.m4a" and path.is_file()  # named by the id (the generic one: the name)
    assert _streams(path) == ["audio:aac"]  # the picture is gone, the sound copied as it was
    timing = json.loads((ROOT / "data" / "scripts" / "podcast-clip.timing.json").read_text())
    assert duration_ms(path) / 1000 == pytest.approx(timing["duration_ms"] / 1000, abs=0.1)
    assert capsys.readouterr() == ("", "")  # the quiet logger: nothing printed


@needs_ffmpeg
def test_other_formats_are_re_encoded_by_ffmpeg(lesson, site, tmp_path):
    path = lesson["download_audio"](site.url("episode 12.mp4"), tmp_path, audio_format="mp3")
    assert path.suffix == ".mp3" and _streams(path) == ["audio:mp3"]


@needs_ffmpeg
def test_the_same_download_gives_the_same_bytes(lesson, site, tmp_path):
    """Replay matches the upload by its hash, so the extraction must be repeatable."""
    first = lesson["download_audio"](site.url("episode 12.mp4"), tmp_path / "1").read_bytes()
    second = lesson["download_audio"](site.url("episode 12.mp4"), tmp_path / "2").read_bytes()
    assert first == second


@needs_ffmpeg
def test_missing_file_is_unreachable(lesson, site, tmp_path, capsys):
    with pytest.raises(lesson["MediaUnreachableError"], match="HTTP Error 404.*Check the address"):
        lesson["download_audio"](site.url("no-such-episode.mp4"), tmp_path)
    assert not any(tmp_path.iterdir())
    assert capsys.readouterr() == ("", "")  # reported once, as the exception


@needs_ffmpeg
def test_closed_port_is_unreachable(lesson, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(lesson["MediaUnreachableError"], match="Connection refused"):
        lesson["download_audio"](f"http://127.0.0.1:{port}/video.mp4", tmp_path)


class _Forbidden(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args):
        pass


@needs_ffmpeg
def test_private_video_says_how_to_sign_in(lesson, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    serve_in_background(server)
    try:
        with pytest.raises(lesson["MediaAccessError"], match="cookies"):
            lesson["download_audio"](f"http://127.0.0.1:{server.server_address[1]}/private.mp4", tmp_path)
    finally:
        server.shutdown()
        server.server_close()


def test_no_ffmpeg_is_reported_before_downloading(lesson, site, tmp_path, monkeypatch):
    python_only = tmp_path / "bin"
    python_only.mkdir()
    monkeypatch.setenv("PATH", str(python_only))
    with pytest.raises(lesson["FFmpegMissingError"], match="apt-get install ffmpeg"):
        lesson["download_audio"](site.url("episode 12.mp4"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


#: Texts yt-dlp prints for YouTube and for its post-processor, and the error each becomes.
MESSAGES = [
    (
        "ERROR: [youtube] dQw4w9WgXcQ: Private video. Sign in if you've been granted access to this video",
        "MediaAccessError",
    ),
    (
        "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
        "MediaAccessError",
    ),
    (
        "ERROR: [youtube] abc: Join this channel to get access to members-only content like this video",
        "MediaAccessError",
    ),
    (
        "ERROR: Postprocessing: ffprobe and ffmpeg not found. Please install or provide the path using "
        "--ffmpeg-location",
        "FFmpegMissingError",
    ),
    (
        "ERROR: [generic] x: Unable to download webpage: <urlopen error [Errno -2] Name or service not known>",
        "MediaUnreachableError",
    ),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", "MediaDownloadError"),
]


@pytest.mark.parametrize(("message", "kind"), MESSAGES)
def test_yt_dlp_messages_become_clear_errors(lesson, message, kind):
    error = lesson["explain_download_error"](message, "https://www.youtube.com/watch?v=abc", [])
    assert type(error) is lesson[kind]
    assert isinstance(error, lesson["MediaDownloadError"])
    assert "ERROR:" not in str(error)


def test_the_low_level_cause_is_left_out_of_the_message(lesson):
    message = "ERROR: [generic] x: Unable to download webpage: timed out (caused by TimeoutError('timed out'))"
    error = lesson["explain_download_error"](message, "https://example.com/v", [])
    assert str(error) == (
        "Could not download https://example.com/v ([generic] x: Unable to download webpage: timed out). "
        "Check the address (open it in a browser) and your network connection."
    )


# The whole recipe, run alone as a reader's script (tools/whole_recipe.py) against the emulator, with
# the local video site started by tests/project/whole_recipe_inputs.py.
needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def _run_alone(tmp_path: Path, name: str, path: str | None = None):
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    with video_url(tmp_path, name) as extra, Emulator(api_key="whole-recipe-key", notebook=SLUG) as emulator:
        env = script_env(emulator, extra)
        if path is not None:
            env["PATH"] = path
        run = run_script(as_script(source, real_origins(emulator)), env, cwd=tmp_path)
    return run, emulator.state


@needs_spec
@needs_ffmpeg
def test_the_whole_recipe_fails_with_the_reason_before_any_upload(tmp_path):
    run, state = _run_alone(tmp_path, "episode-13.mp4")
    assert run.returncode == 1 and run.stdout == ""
    assert re.fullmatch(
        r"MediaUnreachableError: Could not download http://127\.0\.0\.1:\d+/episode-13\.mp4 \(\[generic\] "
        r"episode-13: Unable to download webpage: HTTP Error 404: File not found\)\. Check the address "
        r"\(open it in a browser\) and your network connection\.\n",
        run.stderr,
    ), run.stderr
    assert state.uploads == {} and state.transcripts == {}  # nothing reached the API


@needs_spec
def test_the_whole_recipe_says_how_to_install_ffmpeg_before_downloading(tmp_path):
    python_only = tmp_path / "bin"
    python_only.mkdir()
    run, state = _run_alone(tmp_path, "podcast-clip.mp4", path=str(python_only))
    assert run.returncode == 1 and run.stdout == ""
    assert (
        run.stderr.startswith("FFmpegMissingError: ffmpeg is not installed") and "apt-get install ffmpeg" in run.stderr
    )
    assert state.uploads == {} and state.transcripts == {}


def test_the_whole_recipe_repeats_the_steps_download_and_its_errors_word_for_word() -> None:
    repeated, differing = copies(SLUG)
    assert {"ytdlp_options", "download_audio", "explain_download_error", "FFMPEG_HELP", *ERRORS} <= repeated
    assert differing == set()
