"""The lesson code of soap-notes, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tests.recipes.whole_recipe_alone import answers_changed, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def soap_nb():
    return load_definitions("soap-notes", ["leaks", "parse_note"])


PRIVATE = {"Jonas Whitfield", "ninth of March nineteen eighty one", "twenty third"}


def test_soap_leaks_finds_private_values_whatever_their_case(soap_nb):
    assert soap_nb["leaks"]("Speaker B: jonas whitfield, born...", PRIVATE) == ["Jonas Whitfield"]
    assert soap_nb["leaks"]("Speaker B: [PERSON_NAME], born on [DATE_OF_BIRTH].", PRIVATE) == []


def test_soap_reference_note_validates_and_holds_no_private_value(soap_nb):
    note = soap_nb["parse_note"](answer("soap-notes", "1.json"), PRIVATE)
    assert note.assessment.diagnoses and note.plan.follow_up


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("plan"), "plan"),
        (lambda d: d["objective"].update(vitals="97%"), "objective.vitals"),
        (lambda d: d["plan"].update(follow_up="Back on the twenty third."), "1 redacted values"),
    ],
)
def test_soap_incomplete_malformed_or_leaking_notes_are_rejected(soap_nb, mutate, message):
    data = json.loads(answer("soap-notes", "1.json"))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        soap_nb["parse_note"](json.dumps(data), PRIVATE)


# --- the whole recipe, run alone (tools.whole_recipe) with the failures its steps handle -----------

needs_specs = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_specs
def test_the_whole_recipe_refuses_a_note_cut_off_at_max_tokens() -> None:
    # The emulator cuts an answer longer than max_tokens, with Claude's finish_reason "max_tokens".
    run = run_alone("soap-notes", replaced("max_tokens=1200", "max_tokens=60"))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: The note was cut off ('max_tokens'): raise max_tokens" in run.stderr


@needs_specs
def test_the_whole_recipe_refuses_a_note_without_its_plan(tmp_path) -> None:
    def drop_plan(text: str) -> str:
        return json.dumps({k: v for k, v in json.loads(text).items() if k != "plan"})

    run = run_alone("soap-notes", data_dir=answers_changed(tmp_path, "soap-notes", "1.json", drop_plan))
    assert run.returncode == 1 and run.stdout == ""
    assert "ValueError: not a SOAP note: plan: Field required" in run.stderr


@needs_specs
def test_the_whole_recipe_refuses_a_note_that_holds_a_redacted_name(tmp_path) -> None:
    def name_the_patient(text: str) -> str:
        note = json.loads(text)
        note["plan"]["follow_up"] = "Jonas Whitfield comes back in two weeks."
        return json.dumps(note)

    run = run_alone("soap-notes", data_dir=answers_changed(tmp_path, "soap-notes", "1.json", name_the_patient))
    assert run.returncode == 1 and run.stdout == ""
    assert "ValueError: the note holds 1 redacted values" in run.stderr
