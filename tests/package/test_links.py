"""Share-link conversion (Drive, GitHub) and the download checks, against loopback stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from cookbook_utils import links
from cookbook_utils.standins import DriveStandIn, GitHubStandIn, lfs_pointer

AUDIO = Path(__file__).resolve().parents[2] / "data" / "audio" / "clip-es.mp3"
FILE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
DIRECT = f"https://drive.usercontent.google.com/download?id={FILE_ID}&export=download"

DRIVE_LINKS = [
    (f"https://drive.google.com/file/d/{FILE_ID}/view?usp=sharing", DIRECT),
    (f"https://drive.google.com/file/d/{FILE_ID}/view?usp=drive_link", DIRECT),
    (f"https://drive.google.com/file/d/{FILE_ID}/edit", DIRECT),
    (f"https://drive.google.com/file/d/{FILE_ID}/preview", DIRECT),
    (f"https://drive.google.com/file/d/{FILE_ID}", DIRECT),
    (f"https://drive.google.com/file/u/1/d/{FILE_ID}/view?usp=share_link", DIRECT),
    (f"  drive.google.com/file/d/{FILE_ID}/view  ", DIRECT),
    (f"https://drive.google.com/open?id={FILE_ID}", DIRECT),
    (f"https://drive.google.com/uc?id={FILE_ID}", DIRECT),
    (f"https://drive.google.com/uc?export=download&id={FILE_ID}", DIRECT),
    (f"https://docs.google.com/uc?export=download&id={FILE_ID}", DIRECT),
    (f"https://drive.usercontent.google.com/download?id={FILE_ID}&export=download&authuser=0", DIRECT),
    (
        f"https://drive.google.com/file/d/{FILE_ID}/view?usp=sharing&resourcekey=0-AbC_dEf",
        f"{DIRECT}&resourcekey=0-AbC_dEf",
    ),
    (f"https://drive.google.com/file/d/{FILE_ID}/view#heading", DIRECT),
]

BAD_DRIVE_LINKS = [
    ("https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOp", "folder"),
    ("https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrS/edit", "Docs editor"),
    ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrS/edit", "Docs editor"),
    ("https://drive.google.com/open", "No file id"),
    ("https://drive.google.com/file/d/abc/view", "not a Drive file id"),
    ("https://drive.google.com/file/d/1AbC%3Cscript%3E0123456/view", "not a Drive file id"),
    ("https://dropbox.com/s/abc/file.mp3", "Not a Google Drive link"),
    ("", "Not a Google Drive link"),
]

GITHUB_RAW = "https://raw.githubusercontent.com/acme/podcasts/main/audio/episode%201.mp3"
GITHUB_LINKS = [
    ("https://github.com/acme/podcasts/blob/main/audio/episode 1.mp3", GITHUB_RAW),
    ("https://github.com/acme/podcasts/blob/main/audio/episode%201.mp3", GITHUB_RAW),
    ("https://github.com/acme/podcasts/blob/main/audio/episode%201.mp3?raw=true", GITHUB_RAW),
    ("https://github.com/acme/podcasts/blob/main/audio/episode%201.mp3?plain=1#L3", GITHUB_RAW),
    ("https://github.com/acme/podcasts/raw/main/audio/episode%201.mp3", GITHUB_RAW),
    ("https://www.github.com/acme/podcasts/blob/main/audio/episode%201.mp3", GITHUB_RAW),
    ("github.com/acme/podcasts/blob/main/audio/episode%201.mp3", GITHUB_RAW),
    (GITHUB_RAW, GITHUB_RAW),
    ("https://raw.githubusercontent.com/acme/podcasts/refs/heads/main/audio/episode%201.mp3", GITHUB_RAW),
    ("https://media.githubusercontent.com/media/acme/podcasts/main/audio/episode%201.mp3", GITHUB_RAW),
    (
        "https://github.com/acme/podcasts/blob/3f2a9c1/audio/episode%201.mp3",
        "https://raw.githubusercontent.com/acme/podcasts/3f2a9c1/audio/episode%201.mp3",
    ),
]

BAD_GITHUB_LINKS = [
    ("https://github.com/acme/podcasts/tree/main/audio", "folder"),
    ("https://github.com/acme/podcasts", "Not a link to a file"),
    ("https://github.com/acme/podcasts/issues/12", "Not a link to a file"),
    ("https://github.com/acme/podcasts/blob/main", "Not a link to a file"),
    ("https://raw.githubusercontent.com/acme/podcasts/main", "Incomplete raw link"),
    ("https://gitlab.com/acme/podcasts/-/raw/main/a.mp3", "Not a GitHub link"),
    ("not a url", "Not a GitHub link"),
]


@pytest.mark.parametrize(("link", "expected"), DRIVE_LINKS)
def test_drive_link_forms_become_the_direct_download_url(link: str, expected: str) -> None:
    assert links.drive_download_url(link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_DRIVE_LINKS)
def test_malformed_drive_links_say_why(link: str, reason: str) -> None:
    with pytest.raises(links.LinkError, match=reason):
        links.drive_download_url(link)


@pytest.mark.parametrize(("link", "expected"), GITHUB_LINKS)
def test_github_link_forms_become_the_raw_url(link: str, expected: str) -> None:
    assert links.github_raw_url(link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_GITHUB_LINKS)
def test_malformed_github_links_say_why(link: str, reason: str) -> None:
    with pytest.raises(links.LinkError, match=reason):
        links.github_raw_url(link)


def test_media_url_of_an_lfs_file() -> None:
    file = links.parse_github_link("https://github.com/acme/podcasts/blob/v2/a/b.mp3")
    assert file.media_url() == "https://media.githubusercontent.com/media/acme/podcasts/v2/a/b.mp3"


@pytest.fixture
def drive():
    with DriveStandIn(
        shared={"1SharedFile0123": AUDIO}, private={"1PrivateFile012"}, too_large={"1HugeFile012345": AUDIO}
    ) as server:
        yield server


def test_a_shared_file_passes_the_check_with_its_audio_bytes(drive: DriveStandIn) -> None:
    url = links.drive_download_url("https://drive.google.com/file/d/1SharedFile0123/view", base=drive.base_url)
    check = links.check_drive_download(url)
    assert check.first_bytes == AUDIO.read_bytes()[: len(check.first_bytes)]
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()


def test_a_file_that_is_not_shared_fails_with_the_sharing_setting(drive: DriveStandIn) -> None:
    url = links.drive_download_url("https://drive.google.com/file/d/1PrivateFile012/view", base=drive.base_url)
    with pytest.raises(links.DownloadCheckError, match="Anyone with the link"):
        links.check_drive_download(url)


def test_a_file_over_the_scan_limit_fails_with_the_size_limit(drive: DriveStandIn) -> None:
    url = links.drive_download_url("https://drive.google.com/file/d/1HugeFile012345/view", base=drive.base_url)
    with pytest.raises(links.DownloadCheckError, match="larger than about 100 MB"):
        links.check_drive_download(url)
    # Accepting the warning serves the bytes, as Drive does.
    assert requests.get(url + "&confirm=t", timeout=10).content == AUDIO.read_bytes()


def test_a_missing_drive_file_fails(drive: DriveStandIn) -> None:
    url = links.drive_download_url("https://drive.google.com/file/d/1NoSuchFile0123/view", base=drive.base_url)
    with pytest.raises(links.DownloadCheckError, match="does not exist"):
        links.check_drive_download(url)


@pytest.fixture
def github():
    with GitHubStandIn(
        owner="acme", repo="podcasts", files={"audio/plain.mp3": AUDIO}, lfs={"audio/big.mp3": AUDIO}
    ) as server:
        yield server


def _resolve(server: GitHubStandIn, path: str) -> str:
    link = f"https://github.com/acme/podcasts/blob/main/{path}"
    return links.resolve_github_audio(link, raw_base=server.base_url, media_base=server.base_url)


def test_a_file_in_git_is_served_from_its_raw_url(github: GitHubStandIn) -> None:
    url = _resolve(github, "audio/plain.mp3")
    assert url == f"{github.base_url}/acme/podcasts/main/audio/plain.mp3"
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()


def test_an_lfs_file_is_detected_and_served_from_its_media_url(github: GitHubStandIn) -> None:
    raw = requests.get(f"{github.base_url}/acme/podcasts/main/audio/big.mp3", timeout=10).content
    assert links.is_lfs_pointer(raw) and raw == lfs_pointer(AUDIO)
    url = _resolve(github, "audio/big.mp3")
    assert url == f"{github.base_url}/media/acme/podcasts/main/audio/big.mp3"
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()


def test_a_missing_github_file_fails_before_anything_is_submitted(github: GitHubStandIn) -> None:
    with pytest.raises(links.DownloadCheckError, match="private"):
        _resolve(github, "audio/missing.mp3")


def _notebook_namespace(slug: str) -> dict:
    """The link converters as the notebook defines them (tools/notebook_code.py)."""
    from tools.notebook_code import load_definitions

    names = ["drive_download_url"] if slug == "google-drive-links" else ["raw_url", "github_parts"]
    return load_definitions(slug, names)


@pytest.mark.parametrize(("link", "expected"), DRIVE_LINKS)
def test_the_notebooks_drive_converter_agrees_with_the_helper(link: str, expected: str) -> None:
    assert _notebook_namespace("google-drive-links")["drive_download_url"](link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_DRIVE_LINKS)
def test_the_notebooks_drive_converter_refuses_what_the_helper_refuses(link: str, reason: str) -> None:
    with pytest.raises(ValueError):
        _notebook_namespace("google-drive-links")["drive_download_url"](link)


@pytest.mark.parametrize(("link", "expected"), GITHUB_LINKS)
def test_the_notebooks_github_converter_agrees_with_the_helper(link: str, expected: str) -> None:
    assert _notebook_namespace("github-raw-links")["raw_url"](link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_GITHUB_LINKS)
def test_the_notebooks_github_converter_refuses_what_the_helper_refuses(link: str, reason: str) -> None:
    with pytest.raises(ValueError):
        _notebook_namespace("github-raw-links")["raw_url"](link)
