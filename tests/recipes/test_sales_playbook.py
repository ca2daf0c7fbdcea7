"""The lesson code of sales-playbook, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def sales_nb():
    return load_definitions("sales-playbook", ["build_schema", "build_prompt", "parse_grades"], ("PLAYBOOK",))


def test_sales_prompt_and_schema_come_from_the_playbook(sales_nb):
    playbook = sales_nb["PLAYBOOK"]
    schema = sales_nb["build_schema"](playbook)
    prompt = sales_nb["build_prompt"](playbook)
    assert schema["required"] == [q["id"] for q in playbook]
    assert schema["properties"]["budget"]["properties"]["answer"]["enum"][1] == "can be found"
    assert "enum" not in schema["properties"]["pain_summary"]["properties"]["answer"]
    assert all(q["id"] in prompt for q in playbook) and "one sentence" in prompt


def test_sales_reference_grades_validate(sales_nb):
    schema = sales_nb["build_schema"](sales_nb["PLAYBOOK"])
    grades = sales_nb["parse_grades"](answer("sales-playbook", "1.json"), schema)
    assert grades["next_step"]["answer"] == "booked with a date"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["objection"].update(answer="probably"), "objection/answer: 'probably' is not one of"),
        (lambda d: d.pop("buyer"), "'buyer' is a required property"),
        (lambda d: d["pain"].pop("evidence"), "pain: 'evidence' is a required property"),
    ],
)
def test_sales_answers_outside_their_options_or_missing_are_rejected(sales_nb, mutate, message):
    schema = sales_nb["build_schema"](sales_nb["PLAYBOOK"])
    data = json.loads(answer("sales-playbook", "1.json"))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        sales_nb["parse_grades"](json.dumps(data), schema)
    with pytest.raises(ValueError, match="not JSON"):
        sales_nb["parse_grades"]('{"discovery": ', schema)
