"""google-drive-links: the notebook's share-link converter on every link form people paste, and its
download check against the local Drive stand-in (shared, not shared, over the scan limit, gone); and
the whole recipe run alone on the files Drive does not serve (refused before anything is submitted)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import requests

from cookbook_utils import paths
from cookbook_utils.standins.web import DriveStandIn
from tests.project.whole_recipe_inputs import DRIVE_FILES, drive_link
from tests.recipes.whole_copies import copies
from tools import spec
from tools.notebook_code import load_definitions
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

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

#: Links the notebook refuses, with the reason its ValueError gives.
BAD_DRIVE_LINKS = [
    ("https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOp", "a folder or a Docs file"),
    ("https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrS/edit", "a folder or a Docs file"),
    ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrS/edit", "a folder or a Docs file"),
    ("https://docs.google.com/presentation/d/1AbCdEfGhIjKlMnOpQrS/edit", "a folder or a Docs file"),
    ("https://drive.google.com/open", "no Drive file id"),
    ("https://drive.google.com/file/d/abc/view", "no Drive file id"),
    ("https://drive.google.com/file/d/1AbC%3Cscript%3E0123456/view", "no Drive file id"),
    ("https://dropbox.com/s/abc/file.mp3", "not a Google Drive link"),
    ("", "not a Google Drive link"),
]


@pytest.fixture(scope="module")
def lesson() -> dict:
    """The notebook's own converter and check (tools/notebook_code.py)."""
    return load_definitions(
        "google-drive-links",
        ["drive_download_url", "check_drive_url", "NotDownloadable", "TooLargeToScan", "downloadable_url"],
    )


@pytest.mark.parametrize(("link", "expected"), DRIVE_LINKS)
def test_drive_link_forms_become_the_direct_download_url(lesson: dict, link: str, expected: str) -> None:
    assert lesson["drive_download_url"](link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_DRIVE_LINKS)
def test_malformed_drive_links_say_why(lesson: dict, link: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        lesson["drive_download_url"](link)


def test_another_host_replaces_drive_in_the_download_url(lesson: dict) -> None:
    url = lesson["drive_download_url"](f"https://drive.google.com/open?id={FILE_ID}", "http://127.0.0.1:9")
    assert url == f"http://127.0.0.1:9/download?id={FILE_ID}&export=download"


@pytest.fixture
def drive():
    with DriveStandIn(
        shared={"1SharedFile0123": AUDIO}, private={"1PrivateFile012"}, too_large={"1HugeFile012345": AUDIO}
    ) as server:
        yield server


def _url(lesson: dict, drive: DriveStandIn, file_id: str) -> str:
    return lesson["drive_download_url"](f"https://drive.google.com/file/d/{file_id}/view", drive.base_url)


def test_a_shared_file_passes_the_check_and_serves_its_audio_bytes(lesson: dict, drive: DriveStandIn) -> None:
    url = _url(lesson, drive, "1SharedFile0123")
    assert lesson["check_drive_url"](url) == "audio/mpeg"
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()


def test_a_file_that_is_not_shared_fails_with_the_sharing_setting(lesson: dict, drive: DriveStandIn) -> None:
    with pytest.raises(lesson["NotDownloadable"], match="Anyone with the link"):
        lesson["check_drive_url"](_url(lesson, drive, "1PrivateFile012"))


def test_a_file_over_the_scan_limit_fails_with_the_size_limit(lesson: dict, drive: DriveStandIn) -> None:
    url = _url(lesson, drive, "1HugeFile012345")
    with pytest.raises(lesson["NotDownloadable"], match="over ~100 MB"):
        lesson["check_drive_url"](url)
    # Accepting the warning serves the bytes, as Drive does.
    assert requests.get(url + "&confirm=t", timeout=10).content == AUDIO.read_bytes()


def test_a_file_over_the_scan_limit_is_fetched_with_confirm_t(lesson: dict, drive: DriveStandIn) -> None:
    link = "https://drive.google.com/file/d/1HugeFile012345/view"
    url = lesson["downloadable_url"](link, drive.base_url)
    assert url == f"{drive.base_url}/download?id=1HugeFile012345&export=download&confirm=t"
    assert lesson["drive_download_url"](link, unscanned=True).endswith("&confirm=t")
    # a shared file keeps the plain URL: confirm=t is only the answer to the warning
    shared = lesson["downloadable_url"]("https://drive.google.com/file/d/1SharedFile0123/view", drive.base_url)
    assert "confirm" not in shared


def test_a_warning_page_that_confirm_t_does_not_clear_is_refused(
    lesson: dict, drive: DriveStandIn, monkeypatch
) -> None:
    """Drive's form can ask for more than confirm=t (a uuid): then the recipe says to upload the file."""
    calls = []

    def always_warning(url: str) -> str:
        calls.append(url)
        raise lesson["TooLargeToScan"]("over ~100 MB")

    monkeypatch.setitem(lesson["downloadable_url"].__globals__, "check_drive_url", always_warning)
    with pytest.raises(lesson["NotDownloadable"], match="upload the file"):
        lesson["downloadable_url"]("https://drive.google.com/file/d/1HugeFile012345/view", drive.base_url)
    assert len(calls) == 2 and calls[1].endswith("&confirm=t")


class _Landed:
    """What ``requests.get`` answers after following redirects to ``url`` (a sign-in page)."""

    def __init__(self, url: str) -> None:
        import io

        self.url, self.status_code, self.ok = url, 200, True
        self.headers = {"content-type": "text/html; charset=utf-8"}
        self.raw = type("Raw", (), {"read": lambda _, n, decode_content=True: io.BytesIO(b"<html>").read(n)})()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(
    "signin",
    [
        "https://accounts.google.com/ServiceLogin?service=wise&continue=https://drive.google.com/",
        "https://accounts.google.com/v3/signin/identifier?continue=https%3A%2F%2Fdrive.google.com&flowName=GlifWebSignIn",
    ],
)
def test_both_forms_of_googles_sign_in_redirect_mean_not_shared(lesson: dict, monkeypatch, signin: str) -> None:
    monkeypatch.setattr(requests, "get", lambda url, **kwargs: _Landed(signin))
    with pytest.raises(lesson["NotDownloadable"], match="Anyone with the link"):
        lesson["check_drive_url"](DIRECT)


def test_a_missing_drive_file_fails(lesson: dict, drive: DriveStandIn) -> None:
    with pytest.raises(lesson["NotDownloadable"], match="no such file"):
        lesson["check_drive_url"](_url(lesson, drive, "1NoSuchFile0123"))


# The whole recipe, run alone as a reader's script (tools/whole_recipe.py) against the emulator, with
# the notebook's local Drive started by tests/project/whole_recipe_inputs.py.
needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


@needs_spec
@pytest.mark.parametrize(
    ("file_id", "reason"),
    [
        (DRIVE_FILES["private"], "not shared: set General access to 'Anyone with the link'"),
        ("1NoSuchFile00000000", "no such file: check the link"),
    ],
)
def test_the_whole_recipe_refuses_a_file_drive_does_not_serve_before_submitting(tmp_path, file_id, reason) -> None:
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("google-drive-links"), as_version=4))
    with (
        drive_link(tmp_path, file_id) as extra,
        Emulator(api_key="whole-recipe-key", notebook="google-drive-links") as emu,
    ):
        run = run_script(as_script(source, real_origins(emu)), script_env(emu, extra), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == f"Refused before submitting: {reason}\n"
    assert emu.state.transcripts == {}  # the API was never asked


@needs_spec
def test_the_whole_recipe_transcribes_a_file_over_the_scan_limit_through_confirm_t(tmp_path) -> None:
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("google-drive-links"), as_version=4))
    with (
        drive_link(tmp_path, "1AllHandsMeeting4GB0007") as extra,
        Emulator(api_key="whole-recipe-key", notebook="google-drive-links") as emu,
    ):
        run = run_script(as_script(source, real_origins(emu)), script_env(emu, extra), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.endswith("utterances\n") and run.stderr == ""
    [transcript] = emu.state.transcripts.values()
    assert "confirm=t" in str(transcript)


def test_the_whole_recipe_repeats_the_steps_converter_and_check_word_for_word() -> None:
    repeated, differing = copies("google-drive-links")
    assert {
        "drive_download_url",
        "check_drive_url",
        "NotDownloadable",
        "TooLargeToScan",
        "downloadable_url",
        "DRIVE_HOSTS",
    } <= repeated
    assert differing == set()


@needs_spec
def test_the_whole_recipe_without_the_readers_link_says_what_to_set(tmp_path) -> None:
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("google-drive-links"), as_version=4))
    with Emulator(api_key="whole-recipe-key", notebook="google-drive-links") as emu:
        env = {k: v for k, v in script_env(emu).items() if k != "COOKBOOK_DRIVE_LINK"}
        run = run_script(as_script(source, real_origins(emu)), env, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == "Set COOKBOOK_DRIVE_LINK to the share link of an audio file ('Anyone with the link').\n"
    assert emu.state.transcripts == {}
