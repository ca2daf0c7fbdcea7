"""The lesson code of soap-notes, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
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
