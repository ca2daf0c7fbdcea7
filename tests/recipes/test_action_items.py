"""The lesson code of action-items, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tests.recipes.whole_recipe_alone import answers_changed, run_replaced
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def actions_nb():
    return load_definitions("action-items", ["parse_actions", "check_assignees"])


def test_action_items_reference_answer_validates_and_its_assignees_spoke(actions_nb):
    actions = actions_nb["parse_actions"](answer("action-items", "2.json"))
    assert actions_nb["check_assignees"](actions, ["A", "B", "C", "D"]) == []
    assert all(i.due_date is None or i.due_as_said for i in actions.items)
    assert {item.assignee for item in actions.items} == {"Priya", "Daniel", "Sofia", "Marcus"}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["items"][0].update(status="soon"), "items.0.status"),
        (lambda d: d["items"][0].pop("assignee"), "items.0.assignee"),
        (lambda d: d["items"][0].update(priority="high"), "items.0.priority"),
        (lambda d: d.pop("speakers"), "speakers"),
    ],
)
def test_action_items_off_schema_answers_are_rejected(actions_nb, mutate, message):
    data = json.loads(answer("action-items", "2.json"))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        actions_nb["parse_actions"](json.dumps(data))


def test_action_items_truncated_or_cut_answers_are_rejected(actions_nb):
    text = answer("action-items", "2.json")
    with pytest.raises(ValueError, match="does not fit the schema"):
        actions_nb["parse_actions"](text[: len(text) // 2])
    with pytest.raises(ValueError, match="cut off"):
        actions_nb["parse_actions"](text, "length")


def test_action_items_assignee_not_in_the_meeting_is_flagged_and_unknown_label_rejected(actions_nb):
    data = json.loads(answer("action-items", "2.json"))
    data["items"][0]["assignee"] = "Jordan"
    flagged = actions_nb["check_assignees"](actions_nb["parse_actions"](json.dumps(data)), ["A", "B", "C", "D"])
    assert flagged == ["Jordan"]
    good = actions_nb["parse_actions"](answer("action-items", "2.json"))
    with pytest.raises(ValueError, match="labels not in the transcript"):
        actions_nb["check_assignees"](good, ["A", "B", "C"])


# The whole recipe in one cell, run alone as a pasted script, meets the failures the steps handle.

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_spec
def test_the_whole_recipe_refuses_a_cut_off_answer():
    alone = run_replaced("action-items", {"max_tokens=1000": "max_tokens=60"})
    assert alone.run.returncode != 0
    assert "ValueError: the answer was cut off: raise max_tokens" in alone.run.stderr


@needs_spec
def test_the_whole_recipe_flags_an_assignee_who_did_not_speak(tmp_path):
    def stranger(text: str) -> str:
        data = json.loads(text)
        data["items"][0]["assignee"] = "Jordan"
        return json.dumps(data)

    alone = run_replaced("action-items", data_dir=answers_changed(tmp_path, "action-items", "2.json", stranger))
    assert alone.run.returncode == 0
    assert "assignees who did not speak: ['Jordan']" in alone.run.stdout


@needs_spec
def test_the_whole_recipe_refuses_a_due_date_that_is_not_iso(tmp_path):
    def spoken(text: str) -> str:
        data = json.loads(text)
        data["items"][0]["due_date"] = "Wednesday evening"
        return json.dumps(data)

    alone = run_replaced("action-items", data_dir=answers_changed(tmp_path, "action-items", "2.json", spoken))
    assert alone.run.returncode != 0
    assert "items.0.due_date" in alone.run.stderr
