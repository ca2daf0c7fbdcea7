"""The lesson code of action-items, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def actions_nb():
    return load_definitions("action-items", ["parse_actions", "check_assignees"])


def test_action_items_reference_answer_validates_and_its_assignees_spoke(actions_nb):
    actions = actions_nb["parse_actions"](answer("action-items", "2.json"))
    actions_nb["check_assignees"](actions, ["A", "B", "C", "D"])
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


def test_action_items_assignee_or_label_not_in_the_meeting_is_rejected(actions_nb):
    data = json.loads(answer("action-items", "2.json"))
    data["items"][0]["assignee"] = "Jordan"
    with pytest.raises(ValueError, match="Jordan"):
        actions_nb["check_assignees"](actions_nb["parse_actions"](json.dumps(data)), ["A", "B", "C", "D"])
    good = actions_nb["parse_actions"](answer("action-items", "2.json"))
    with pytest.raises(ValueError, match="labels not in the transcript"):
        actions_nb["check_assignees"](good, ["A", "B", "C"])
