"""audio-duration-check's whole recipe, run alone as a reader's script (tools/whole_recipe.py)
against the emulator: a file one of the three tools cannot read is not trusted (its spread is
unknown, so it is transcoded) whichever tool it is, and the file the recipe chose is transcribed
with its status checked.

The failure is fed as a reader meets it: a SoX that cannot read the file (Debian's sox reads MP3 only
with ``libsox-fmt-mp3``), played here by a ``soxi`` first on the script's PATH that fails as SoX's
does, so the test does not depend on which SoX formats this machine has."""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec
from tools.notebook_code import load_definitions
from tools.whole_recipe import (
    as_script,
    real_origins,
    run_script,
    script_env,
    whole_recipe_cell,
)

pytestmark = [
    pytest.mark.skipif(
        not spec.spec_available(),
        reason="../shared/reference/ (the official specs) is absent",
    ),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("ffmpeg", "ffprobe", "mediainfo")),
        reason="needs ffmpeg, mediainfo",
    ),
]

SLUG = "audio-duration-check"
SOXI_FAILS = '#!/bin/sh\necho "soxi FAIL formats: no handler for file extension" >&2\nexit 1\n'


def test_a_file_sox_cannot_read_is_transcoded_not_trusted_on_two_tools(tmp_path):
    from tools.emulator import Emulator

    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "soxi").write_text(SOXI_FAILS)
    (tools / "soxi").chmod(0o755)
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    assert 'session.audio("clip-es-wrong-size.wav")' in source
    source = source.replace('session.audio("clip-es-wrong-size.wav")', 'session.audio("clip-es.mp3")')
    with Emulator(api_key="whole-recipe-key", notebook=SLUG) as emulator:
        env = script_env(emulator, {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
        run = run_script(as_script(source, real_origins(emulator)), env, timeout_s=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    # ffprobe and MediaInfo agree on the MP3; with SoX silent, that is not three tools agreeing.
    assert lines[0] == "spread unknown (a tool cannot read it) -> send clip-es-16k-mono.wav"
    assert lines[2].startswith("API audio_duration: ")


def test_a_file_that_is_not_audio_stops_the_run_before_anything_is_sent(tmp_path):
    """Every tool fails on it and ffmpeg cannot transcode it either: the run stops there, before
    anything is sent, with ffmpeg's refusal (a CalledProcessError), as Step 4's transcode does."""
    from tools.emulator import Emulator

    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not a recording\n" * 50)
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    source = source.replace('session.audio("clip-es-wrong-size.wav")', repr(str(not_audio)))
    with Emulator(api_key="whole-recipe-key", notebook=SLUG) as emulator:
        run = run_script(
            as_script(source, real_origins(emulator)),
            script_env(emulator),
            timeout_s=120,
            cwd=tmp_path,
        )
        sent = list(emulator.requests_seen)
    assert run.returncode == 1
    assert "CalledProcessError" in run.stderr and "ffmpeg" in run.stderr
    assert sent == []


def _steps():
    return load_definitions(SLUG, ["durations", "trustworthy", "transcode", "TOOLS"])


def test_steps_a_file_one_tool_cannot_read_is_not_trustworthy(tmp_path):
    """Step 2 and 3's own code: a WAV all three tools agree on is trusted; the same WAV with SoX
    failing on it (as SoX fails on an MP3 without libsox-fmt-mp3) is not, although the other two
    still agree, because max/min would skip the NaN."""
    steps = _steps()
    clean = steps["transcode"](paths.audio_file("clip-es-wrong-size.wav"), tmp_path)
    assert steps["trustworthy"](steps["durations"](clean))

    def sox_cannot_read(path):
        raise ValueError("soxi FAIL formats: no handler for file extension")

    steps["TOOLS"]["sox"] = sox_cannot_read
    row = steps["durations"](clean)
    assert row["ffprobe"] == row["mediainfo"] and row["sox"] != row["sox"]  # NaN
    assert row["spread (s)"] != row["spread (s)"]
    assert not steps["trustworthy"](row)


@pytest.mark.skipif(not shutil.which("soxi"), reason="needs sox")
def test_steps_an_m4a_sox_has_no_handler_for_is_not_trustworthy(tmp_path):
    """The notebook's second file, made as Step 2 makes it: real SoX, real failure."""
    import subprocess

    steps = _steps()
    m4a = tmp_path / "clip-es.m4a"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(paths.audio_file("clip-es.mp3")),
            "-c:a",
            "aac",
            str(m4a),
        ],
        check=True,
    )
    row = steps["durations"](m4a)
    assert abs(row["ffprobe"] - row["mediainfo"]) < 0.1
    assert not steps["trustworthy"](row)
