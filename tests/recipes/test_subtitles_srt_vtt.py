"""subtitles-srt-vtt: every subtitle file the recipe writes is read back by a maintained parser."""

from __future__ import annotations

from tests.recipes.subtitle_files import check_written_files


def test_every_subtitle_file_the_recipe_writes_parses(tmp_path, monkeypatch):
    expected = {"podcast-clip.srt", "podcast-clip.vtt", "whole-recipe/podcast-clip.srt"}
    check_written_files("subtitles-srt-vtt", expected, tmp_path, monkeypatch)
