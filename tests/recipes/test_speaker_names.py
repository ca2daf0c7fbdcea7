"""speaker-names: the check of a mapping (the steps' ``checked_mapping``), and the whole recipe run
alone (``tools.whole_recipe``) with the failure its steps handle: a failed transcript."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.recipes.whole_recipe_alone import audio_replaced, not_audio_file, run_alone
from tools import spec
from tools.notebook_code import load_definitions

LABELS = ["A", "B", "C", "D"]
PEOPLE = ["Priya", "Daniel", "Sofia", "Marcus"]
#: Lines of the meeting's transcript, as the API gives them (the spelling "Sophia" included).
SPOKEN = (
    "Good morning, everyone. Daniel, where are we on engineering? The open question is the crash "
    "Sophia found. Please do, Marcus."
)
EVIDENCE = {
    "D": "Good morning, everyone.",
    "A": "Daniel, where are we on engineering?",
    "C": "the crash Sophia found",
    "B": "Please do, Marcus.",
}


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions("speaker-names", ["checked_mapping", "is_quoted", "tokens", "identification"])


def reply(mapping: dict[str, str], evidence: dict[str, str] | None = None) -> str:
    evidence = evidence or EVIDENCE
    return json.dumps(
        {"speakers": [{"label": k, "name": v, "evidence": evidence.get(k, "")} for k, v in mapping.items()]}
    )


def check(nb, text: str) -> dict[str, str]:
    return nb["checked_mapping"](text, LABELS, PEOPLE, nb["tokens"](SPOKEN))


def test_a_mapping_of_every_label_to_its_own_name_with_quoted_evidence_is_kept(nb) -> None:
    mapping = {"D": "Priya", "A": "Daniel", "C": "Sofia", "B": "Marcus"}
    assert check(nb, reply(mapping)) == mapping


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"A": "Daniel", "B": "Marcus", "C": "Sofia"}, "do not match the transcript's"),
        ({"A": "Daniel", "B": "Marcus", "C": "Sofia", "E": "Priya"}, "do not match the transcript's"),
        ({"A": "Daniel", "B": "Daniel", "C": "Sofia", "D": "Priya"}, "a name is given to two speakers"),
        ({"A": "Daniel", "B": "Marcus", "C": "Sophia", "D": "Priya"}, r"names not among the participants .*Sophia"),
        ({"A": "Daniel", "B": "Marcus", "C": "Sofia", "D": "Olivia"}, r"names not among the participants .*Olivia"),
    ],
)
def test_a_mapping_that_misses_invents_doubles_or_names_a_stranger_is_refused(nb, mapping, message) -> None:
    with pytest.raises(ValueError, match=message):
        check(nb, reply(mapping))


@pytest.mark.parametrize("evidence", ["Priya thanks Marcus.", "Please do, Martin.", ""])
def test_evidence_not_in_the_transcript_is_refused(nb, evidence) -> None:
    mapping = {"D": "Priya", "A": "Daniel", "C": "Sofia", "B": "Marcus"}
    with pytest.raises(ValueError, match=r"the evidence for \['B'\] is not in the transcript"):
        check(nb, reply(mapping, {**EVIDENCE, "B": evidence}))


def test_a_label_repeated_in_the_answer_is_refused(nb) -> None:
    entries = [
        {"label": label, "name": name, "evidence": EVIDENCE[label]} for label, name in zip(LABELS, PEOPLE, strict=True)
    ]
    doubled = json.dumps({"speakers": [*entries[:3], {**entries[0], "name": "Marcus"}]})
    with pytest.raises(ValueError, match="do not match the transcript's"):
        check(nb, doubled)


def test_identification_status_is_checked_before_the_mapping_is_read(nb) -> None:
    def answer(found: dict) -> SimpleNamespace:
        return SimpleNamespace(speech_understanding={"response": {"speaker_identification": found}})

    assert nb["identification"](answer({"status": "success", "mapping": {"A": "Daniel"}})) == {"A": "Daniel"}
    assert nb["identification"](answer({"status": "success"})) == {}  # the mapping is optional
    with pytest.raises(RuntimeError, match="did not succeed: 'failed'"):
        nb["identification"](answer({"status": "failed", "mapping": {"A": "Daniel"}}))


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_stops_at_a_failed_transcript(tmp_path) -> None:
    run = run_alone("speaker-names", audio_replaced("team-meeting.mp3", not_audio_file(tmp_path)))
    assert run.returncode == 1 and run.stdout == "names given:\n"
    assert "RuntimeError: Transcription failed:" in run.stderr
