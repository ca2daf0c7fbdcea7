"""The lesson code of sales-playbook, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tests.recipes.whole_recipe_alone import answers_changed, replaced, run_alone
from tools import spec
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


# --- the whole recipe, run alone (tools.whole_recipe) with the failures its steps handle -----------

needs_specs = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_specs
def test_the_whole_recipe_refuses_a_scorecard_cut_off_at_max_tokens() -> None:
    # The emulator cuts an answer longer than max_tokens, with Claude's finish_reason "max_tokens".
    run = run_alone("sales-playbook", replaced("max_tokens=1200", "max_tokens=80"))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: The scorecard was cut off ('max_tokens'): raise max_tokens" in run.stderr


@needs_specs
def test_the_whole_recipe_refuses_an_answer_outside_its_options(tmp_path) -> None:
    def off_scale(text: str) -> str:
        grades = json.loads(text)
        grades["objection"]["answer"] = "probably"
        return json.dumps(grades)

    run = run_alone("sales-playbook", data_dir=answers_changed(tmp_path, "sales-playbook", "1.json", off_scale))
    assert run.returncode == 1 and run.stdout == ""
    assert "ValueError: objection/answer: 'probably' is not one of ['yes', 'no']" in run.stderr
