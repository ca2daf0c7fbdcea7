"""speaker-names: the check of a mapping (the steps' ``checked_mapping``), and the whole recipe run
alone (``tools.whole_recipe``) with the failure its steps handle: a failed transcript."""

from __future__ import annotations

import json

import pytest

from tests.recipes.whole_recipe_alone import audio_replaced, not_audio_file, run_alone
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def nb() -> dict:
    found = load_definitions("speaker-names", ["checked_mapping"])
    found["labels"] = ["A", "B", "C", "D"]
    return found


def reply(mapping: dict[str, str]) -> str:
    return json.dumps({"speakers": [{"label": k, "name": v, "evidence": ""} for k, v in mapping.items()]})


def test_a_mapping_of_every_label_to_its_own_name_is_kept(nb) -> None:
    mapping = {"D": "Priya", "A": "Daniel", "C": "Sofia", "B": "Marcus"}
    assert nb["checked_mapping"](reply(mapping)) == mapping


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"A": "Daniel", "B": "Marcus", "C": "Sofia"}, "do not match the transcript's"),
        ({"A": "Daniel", "B": "Marcus", "C": "Sofia", "E": "Priya"}, "do not match the transcript's"),
        ({"A": "Daniel", "B": "Daniel", "C": "Sofia", "D": "Priya"}, "a name is given to two speakers"),
    ],
)
def test_a_mapping_that_misses_invents_or_doubles_is_refused(nb, mapping, message) -> None:
    with pytest.raises(ValueError, match=message):
        nb["checked_mapping"](reply(mapping))


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_stops_at_a_failed_transcript(tmp_path) -> None:
    run = run_alone("speaker-names", audio_replaced("team-meeting.mp3", not_audio_file(tmp_path)))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: Transcription failed:" in run.stderr
