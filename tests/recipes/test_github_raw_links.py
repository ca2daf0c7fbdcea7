"""github-raw-links: the notebook's link parser on every GitHub link form, and its ``audio_url_for``
against the local GitHub stand-in (a file in git, a file in Git LFS, a missing file); and the whole
recipe run alone on a link to a missing file (refused before anything is submitted) and to a file in git."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import requests

from cookbook_utils import paths
from cookbook_utils.standins.web import GitHubStandIn, lfs_pointer
from tests.project.whole_recipe_inputs import github_link
from tests.recipes.whole_copies import copies
from tools import spec
from tools.notebook_code import load_definitions
from tools.whole_recipe import Run, as_script, real_origins, run_script, script_env, whole_recipe_cell

AUDIO = Path(__file__).resolve().parents[2] / "data" / "audio" / "clip-es.mp3"
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

#: Links the notebook refuses, with the reason its ValueError gives.
BAD_GITHUB_LINKS = [
    ("https://github.com/acme/podcasts/tree/main/audio", "not a link to a file"),
    ("https://github.com/acme/podcasts", "not a link to a file"),
    ("https://github.com/acme/podcasts/issues/12", "not a link to a file"),
    ("https://github.com/acme/podcasts/blob/main", "not a link to a file"),
    ("https://raw.githubusercontent.com/acme/podcasts/main", "not a GitHub file link"),
    ("https://gitlab.com/acme/podcasts/-/raw/main/a.mp3", "not a GitHub file link"),
    ("not a url", "not a GitHub file link"),
]


@pytest.fixture(scope="module")
def lesson() -> dict:
    """The notebook's own parser and resolver (tools/notebook_code.py)."""
    return load_definitions("github-raw-links", ["github_parts", "raw_url", "audio_url_for"], ("LFS_POINTER",))


@pytest.mark.parametrize(("link", "expected"), GITHUB_LINKS)
def test_github_link_forms_become_the_raw_url(lesson: dict, link: str, expected: str) -> None:
    assert lesson["raw_url"](link) == expected


@pytest.mark.parametrize(("link", "reason"), BAD_GITHUB_LINKS)
def test_malformed_github_links_say_why(lesson: dict, link: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        lesson["raw_url"](link)


def test_the_parts_of_a_link_are_unquoted() -> None:
    parts = load_definitions("github-raw-links", ["github_parts"])["github_parts"]
    assert parts("https://github.com/acme/podcasts/blob/v2/a/episode%201.mp3") == (
        "acme",
        "podcasts",
        "v2",
        "a/episode 1.mp3",
    )


@pytest.fixture
def github(lesson: dict):
    with GitHubStandIn(
        owner="acme", repo="podcasts", files={"audio/plain.mp3": AUDIO}, lfs={"audio/big.mp3": AUDIO}
    ) as server:
        # audio_url_for reads the hosts the notebook chose (the stand-in's, in replay).
        lesson["raw_host"] = lesson["media_host"] = server.base_url
        yield server


def _resolve(lesson: dict, path: str) -> str:
    return lesson["audio_url_for"](f"https://github.com/acme/podcasts/blob/main/{path}")


def test_a_file_in_git_is_served_from_its_raw_url(lesson: dict, github: GitHubStandIn, capsys) -> None:
    url = _resolve(lesson, "audio/plain.mp3")
    assert url == f"{github.base_url}/acme/podcasts/main/audio/plain.mp3"
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()
    assert capsys.readouterr().out == ""


def test_an_lfs_file_is_detected_and_served_from_its_media_url(lesson: dict, github: GitHubStandIn, capsys) -> None:
    raw = requests.get(f"{github.base_url}/acme/podcasts/main/audio/big.mp3", timeout=10).content
    assert raw.startswith(lesson["LFS_POINTER"]) and raw == lfs_pointer(AUDIO)
    url = _resolve(lesson, "audio/big.mp3")
    assert url == f"{github.base_url}/media/acme/podcasts/main/audio/big.mp3"
    assert requests.get(url, timeout=10).content == AUDIO.read_bytes()
    size = AUDIO.stat().st_size
    assert capsys.readouterr().out == f"audio/big.mp3: a Git LFS pointer ({size} bytes), using the media URL\n"


def test_a_missing_github_file_fails_before_anything_is_submitted(lesson: dict, github: GitHubStandIn) -> None:
    with pytest.raises(FileNotFoundError, match=r"no audio/missing.mp3 in acme/podcasts@main \(or private\)"):
        _resolve(lesson, "audio/missing.mp3")


# The whole recipe, run alone as a reader's script (tools/whole_recipe.py) against the emulator, with
# the notebook's local GitHub started by tests/project/whole_recipe_inputs.py.
needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def _run_alone(tmp_path: Path, path: str) -> tuple[Run, object]:
    """Run the whole recipe alone on the reader's link to ``path`` in the local GitHub."""
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("github-raw-links"), as_version=4))
    with github_link(tmp_path, path) as extra, Emulator(api_key="whole-recipe-key", notebook="github-raw-links") as emu:
        run = run_script(as_script(source, real_origins(emu)), script_env(emu, extra), cwd=tmp_path)
    return run, emu.state


@needs_spec
def test_the_whole_recipe_refuses_a_missing_file_before_submitting_anything(tmp_path: Path) -> None:
    run, state = _run_alone(tmp_path, "calls/missing.mp3")
    assert run.returncode == 1 and run.stdout == ""
    assert (
        run.stderr
        == "Refused before submitting: no calls/missing.mp3 in acme-audio/call-recordings@main (or\nprivate)\n"
    )
    assert state.transcripts == {}  # the API was never asked


@needs_spec
def test_the_whole_recipe_sends_a_file_in_git_by_its_raw_url(tmp_path: Path) -> None:
    run, state = _run_alone(tmp_path, "calls/support-call.mp3")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "292 words, speakers A, B"  # no LFS line: the raw URL serves it
    assert [url.split("/", 3)[3] for _, url in state.urls_sent] == [
        "acme-audio/call-recordings/main/calls/support-call.mp3"
    ]


def test_the_whole_recipe_repeats_the_steps_parser_and_lfs_check_word_for_word() -> None:
    repeated, differing = copies("github-raw-links")
    assert {"github_parts", "audio_url_for", "LFS_POINTER"} <= repeated and differing == set()


@needs_spec
def test_the_whole_recipe_without_the_readers_link_says_what_to_set(tmp_path) -> None:
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("github-raw-links"), as_version=4))
    with Emulator(api_key="whole-recipe-key", notebook="github-raw-links") as emu:
        env = {k: v for k, v in script_env(emu).items() if k != "COOKBOOK_GITHUB_LINK"}
        run = run_script(as_script(source, real_origins(emu)), env, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == "Set COOKBOOK_GITHUB_LINK to a link to an audio file in a public GitHub repository.\n"
    assert emu.state.transcripts == {}
