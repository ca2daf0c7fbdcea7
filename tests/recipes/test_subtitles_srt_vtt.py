"""subtitles-srt-vtt: every subtitle file the recipe writes is read back by a maintained parser."""

from __future__ import annotations

import shutil

import pytest

from tests.recipes.subtitle_files import check_written_files
from tests.recipes.whole_recipe_alone import replaced, run_alone
from tools import spec

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.mark.end_to_end
def test_every_subtitle_file_the_recipe_writes_parses(tmp_path, monkeypatch):
    expected = {"podcast-clip.srt", "podcast-clip.vtt", "whole-recipe/podcast-clip.srt"}
    check_written_files("subtitles-srt-vtt", expected, tmp_path, monkeypatch)


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
@needs_ffmpeg
@pytest.mark.parametrize("name", ["Episode 12: old bikes", "Ollie's bikes: episode 12"])
def test_the_whole_recipe_burns_captions_into_a_folder_with_a_colon_or_a_quote(tmp_path, name):
    """The name that broke ffmpeg in Step 5 (a colon), and one with a quote, work in the whole
    recipe, which quotes the path with ``filter_path``."""
    run = run_alone("subtitles-srt-vtt", replaced('/ "whole-recipe"', "/ " + repr(name)), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    folder = tmp_path / "output" / "subtitles-srt-vtt" / name
    assert (folder / "podcast-clip-subtitled.mp4").stat().st_size > 100_000
