"""translate-subtitles: every subtitle file the recipe writes is read back by a maintained parser."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.recipes.subtitle_files import check_written_files
from tests.recipes.whole_recipe_alone import replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

ROOT_DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.end_to_end
def test_every_subtitle_file_the_recipe_writes_parses(tmp_path, monkeypatch):
    expected = {"podcast-clip.es.srt", "podcast-clip.whole-recipe.es.srt"}
    check_written_files("translate-subtitles", expected, tmp_path, monkeypatch)


# --- the whole recipe, run alone ------------------------------------------------------------------


def _data_with_answer(folder: Path, slug: str, name: str, change) -> Path:
    """A copy of data/ (links, except ``slug``'s answers) where answer ``name`` is ``change(answer)``."""
    data = folder / "data"
    (data / "answers").mkdir(parents=True)
    for entry in ROOT_DATA.iterdir():
        if entry.name != "answers":
            (data / entry.name).symlink_to(entry)
    for entry in (ROOT_DATA / "answers").iterdir():
        if entry.name != slug:
            (data / "answers" / entry.name).symlink_to(entry)
    shutil.copytree(ROOT_DATA / "answers" / slug, data / "answers" / slug)
    path = data / "answers" / slug / name
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8"))), ensure_ascii=False), "utf-8")
    return data


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_raises_when_the_repair_still_merges_captions(tmp_path):
    """The first answer merges caption 16 into 15 (as in the steps); here the repair merges them
    again: the script raises what is still missing and writes no file."""

    def merged(answer: dict) -> dict:
        return {"cues": [cue for cue in answer["cues"] if cue["index"] != 16]}

    data = _data_with_answer(tmp_path, "translate-subtitles", "2.json", merged)
    work = tmp_path / "work"
    work.mkdir()
    run = run_alone("translate-subtitles", cwd=work, data_dir=data)
    assert run.returncode == 1
    assert "RuntimeError: Still mismatched after a retry: missing [16], unexpected []" in run.stderr
    assert not list(work.rglob("*.srt"))


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_counts_an_empty_caption_as_missing(tmp_path):
    """A repair that keeps every index but returns caption 16 empty (its text moved into 15) is a
    merge all the same: the script raises it as missing and writes no file."""

    def emptied(answer: dict) -> dict:
        return {"cues": [{**cue, "text": "" if cue["index"] == 16 else cue["text"]} for cue in answer["cues"]]}

    data = _data_with_answer(tmp_path, "translate-subtitles", "2.json", emptied)
    work = tmp_path / "work"
    work.mkdir()
    run = run_alone("translate-subtitles", cwd=work, data_dir=data)
    assert run.returncode == 1
    assert "RuntimeError: Still mismatched after a retry: missing [16], unexpected []" in run.stderr
    assert not list(work.rglob("*.srt"))


def test_the_steps_check_counts_an_empty_caption_as_missing():
    import srt

    mismatched = load_definitions("translate-subtitles", ["mismatched"])["mismatched"]
    cues = [srt.Subtitle(i, timedelta(seconds=i), timedelta(seconds=i + 1), f"caption {i}") for i in (1, 2, 3)]
    assert mismatched(cues, {1: "uno", 2: "dos", 3: "tres"}) == ([], [])
    assert mismatched(cues, {1: "uno dos", 2: " ", 3: "tres"}) == ([2], [])
    assert mismatched(cues, {1: "uno", 3: "tres", 4: "cuatro"}) == ([2], [4])


def test_the_whole_recipe_keeps_the_steps_strict_schema():
    import nbformat

    from cookbook_utils import paths
    from tools.whole_recipe import whole_recipe_cell

    nb = nbformat.read(paths.notebook_path("translate-subtitles"), as_version=4)
    step = next(c.source for c in nb.cells if c.source.startswith("SCHEMA = {"))
    _, whole = whole_recipe_cell(nb)
    schema = step.split("PROMPT = (")[0]
    assert schema.count('"additionalProperties": False') == 2
    assert schema in whole


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_raises_an_answer_cut_off_at_max_tokens(tmp_path):
    """A real failure: with a small ``max_tokens`` the answer stops short, and the script says so
    instead of parsing half a JSON document."""
    run = run_alone("translate-subtitles", replaced("max_tokens=4000", "max_tokens=40"), cwd=tmp_path)
    assert run.returncode == 1
    assert "RuntimeError: the answer was cut off at max_tokens" in run.stderr
    assert not list(tmp_path.rglob("*.srt"))
