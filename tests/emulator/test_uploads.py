"""Uploads and audio URLs (``tools/emulator/uploads.py``): audio known by its file name or by its
bytes (downloaded from a loopback URL, or re-encoded), and audio that cannot be used ends the
transcript in the API's error."""

import io
import shutil
import wave

import pytest

from tests.emulator.support import MODELS, ROOT, call, wait
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def test_audio_url_by_file_name(emulator):
    body = {"audio_url": "https://example.com/media/support-call.mp3", "speech_models": MODELS}
    result = wait(emulator, call(emulator, "POST", "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "completed" and result["audio_duration"] == 110  # 109.x s, rounded up


def _wav(ms):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x10\x00" * (16 * ms))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [(None, "Audio duration is too short."), (b"just some text, not audio", "does not appear to contain audio")],
)
def test_unusable_uploads_end_in_error_status(emulator, data, message):
    if data is None:
        if not shutil.which("ffmpeg"):
            pytest.skip("ffmpeg is needed to measure uploaded audio")
        data = _wav(100)
    upload = call(emulator, "POST", "/v2/upload", data=data).json()
    created = call(
        emulator, "POST", "/v2/transcript", json={"audio_url": upload["upload_url"], "speech_models": MODELS}
    ).json()
    result = wait(emulator, created["id"])
    assert result["status"] == "error" and message in result["error"]


def test_undownloadable_url(emulator):
    created = call(
        emulator,
        "POST",
        "/v2/transcript",
        json={"audio_url": "https://example.com/missing.mp3", "speech_models": MODELS},
    )
    assert "Download error" in wait(emulator, created.json()["id"])["error"]


@pytest.fixture
def media_server(tmp_path):
    """A loopback server holding one of our files under another name, as a local S3 would."""
    from cookbook_utils.standins.web import serve_folder

    shutil.copy(ROOT / "data" / "audio" / "clip-es.mp3", tmp_path / "renamed.mp3")
    with serve_folder(tmp_path) as server:
        yield server


def test_loopback_urls_are_downloaded_like_the_real_api_does(emulator, media_server):
    """The file is fetched and recognised by its bytes, not by its name; a missing one fails."""
    body = {"audio_url": media_server.url("renamed.mp3"), "speech_models": MODELS}
    result = wait(emulator, call(emulator, "POST", "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "completed" and result["language_code"] == "es"
    body["audio_url"] = media_server.url("missing.mp3")
    result = wait(emulator, call(emulator, "POST", "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "error" and result["error"].startswith("Download error")


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is needed to re-encode audio")
def test_re_encoded_audio_is_recognised_by_its_length(emulator, tmp_path):
    """yt-dlp hands over AAC from a video, not our mp3: the emulator still knows the speech."""
    import subprocess

    out = tmp_path / "podcast.m4a"
    source = ROOT / "data" / "audio" / "podcast-clip.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(source), "-c:a", "aac", "-b:a", "48k", str(out)], check=True)
    upload = call(emulator, "POST", "/v2/upload", data=out.read_bytes()).json()
    body = {"audio_url": upload["upload_url"], "speech_models": MODELS}
    result = wait(emulator, call(emulator, "POST", "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "completed"
    assert result["text"].startswith("Welcome back to Work Bench Radio")  # the script's mishearing
    # Cut to 60 s and it is no longer any script's speech.
    short = tmp_path / "short.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-t", "60", "-c", "copy", str(short)], check=True)
    upload = call(emulator, "POST", "/v2/upload", data=short.read_bytes()).json()
    body["audio_url"] = upload["upload_url"]
    result = wait(emulator, call(emulator, "POST", "/v2/transcript", json=body).json()["id"])
    assert result["status"] == "error" and "no script for this audio" in result["error"]
