"""call-segmentation's whole recipe in one cell, run alone as a pasted script, refuses phases that
overlap, as its steps do (the reference answer in data/answers/ changed in a copied data folder)."""

import json

import pytest

from tests.recipes.whole_recipe_alone import answers_changed, run_replaced
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def test_the_whole_recipe_prints_the_phases_the_notebook_shows():
    alone = run_replaced("call-segmentation")
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert alone.run.stdout == alone.shown and "resolution" in alone.shown


def test_the_whole_recipe_refuses_overlapping_phases(tmp_path):
    def overlap(text: str) -> str:
        data = json.loads(text)
        data["phases"][2]["start"] = data["phases"][1]["start"]  # verification starts with the problem
        return json.dumps(data)

    alone = run_replaced(
        "call-segmentation", data_dir=answers_changed(tmp_path, "call-segmentation", "1.json", overlap)
    )
    assert alone.run.returncode != 0
    assert "ValueError: verification: " in alone.run.stderr
    assert "is out of order or overlaps" in alone.run.stderr


def test_the_whole_recipe_refuses_a_time_that_is_no_caption_boundary(tmp_path):
    def too_late(text: str) -> str:
        data = json.loads(text)
        data["phases"][-1]["end"] = "00:09:00.000"
        return json.dumps(data)

    alone = run_replaced(
        "call-segmentation", data_dir=answers_changed(tmp_path, "call-segmentation", "1.json", too_late)
    )
    assert alone.run.returncode != 0
    assert "ValueError: closing: " in alone.run.stderr and "is not a caption's start and end" in alone.run.stderr


def test_the_whole_recipe_reports_captions_no_phase_covers(tmp_path):
    def drop_follow_up(text: str) -> str:
        data = json.loads(text)
        data["phases"] = [p for p in data["phases"] if p["phase"] != "follow-up"]
        return json.dumps(data)

    alone = run_replaced(
        "call-segmentation", data_dir=answers_changed(tmp_path, "call-segmentation", "1.json", drop_follow_up)
    )
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    assert "Captions in no phase: 00:01:22.327-00:01:27.337," in alone.run.stdout
