"""The lesson code of sales-playbook, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from cookbook_utils import paths
from cookbook_utils.yamlio import load_yaml
from tests.recipes.answers import answer
from tests.recipes.whole_recipe_alone import answers_changed, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def sales_nb():
    return load_definitions(
        "sales-playbook",
        ["build_schema", "build_prompt", "parse_grades", "tokens", "check_evidence", "points"],
        ("PLAYBOOK",),
    )


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


def recorded_transcript_text(slug: str) -> str:
    """The text of the completed transcript in ``slug``'s recording."""
    cassette = load_yaml(paths.cassette_path(slug).read_text())
    for interaction in cassette["interactions"]:
        body = interaction["response"]["body"]
        try:
            found = json.loads(body["string"] if isinstance(body, dict) else body)
        except (TypeError, ValueError):
            continue
        if isinstance(found, dict) and found.get("status") == "completed" and found.get("text"):
            return found["text"]
    raise LookupError(f"no completed transcript in {slug}'s recording")


CALL = (  # two lines of the sales call's transcript, as the API gives them
    "Great. Before I show you anything, can you tell me how your clinics book appointments today? "
    "No-shows, mostly. We lose about 12% of appointments, and nobody sends reminders."
)


def test_evidence_copied_word_for_word_is_quoted_whatever_its_case_and_punctuation(sales_nb):
    spoken = sales_nb["tokens"](CALL)
    grades = {
        "discovery": {"answer": "yes", "evidence": "before I show you anything, can you tell me"},
        "pain": {"answer": "quantified", "evidence": "No-shows, mostly. We lose about 12% of appointments"},
    }
    assert sales_nb["check_evidence"](grades, spoken) == {"discovery": "quoted", "pain": "quoted"}


@pytest.mark.parametrize(
    "evidence",
    [
        "The rep asked how the clinics book appointments today.",  # a paraphrase
        "We lose about 15% of appointments",  # one word off
        "Tuesday works for the demo.",  # never said
        "",  # nothing quoted
    ],
)
def test_evidence_not_in_the_transcript_is_caught_and_not_scored(sales_nb, evidence):
    spoken = sales_nb["tokens"](CALL)
    grades = {"discovery": {"answer": "yes", "evidence": evidence}}
    check = sales_nb["check_evidence"](grades, spoken)["discovery"]
    assert check == "not in the transcript"
    question = sales_nb["PLAYBOOK"][0]
    assert sales_nb["points"](question, grades["discovery"], check) == "evidence not found"
    assert sales_nb["points"](question, grades["discovery"], "quoted") == 2


def test_the_reference_evidence_is_quoted_from_the_transcript(sales_nb):
    # The reference answer must obey the prompt: every evidence is in the transcript of the sales
    # call that the recording holds (the emulator's), word for word.
    spoken = sales_nb["tokens"](recorded_transcript_text("sales-playbook"))
    grades = json.loads(answer("sales-playbook", "1.json"))
    assert set(sales_nb["check_evidence"](grades, spoken).values()) == {"quoted"}


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


@needs_specs
def test_the_whole_recipe_does_not_score_a_grade_whose_evidence_is_not_in_the_transcript(tmp_path) -> None:
    def paraphrased(text: str) -> str:
        grades = json.loads(text)
        grades["discovery"]["evidence"] = "Before showing anything, the rep asked how the clinics book appointments."
        return json.dumps(grades)

    run = run_alone("sales-playbook", data_dir=answers_changed(tmp_path, "sales-playbook", "1.json", paraphrased))
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0] == "discovery: yes (not scored; evidence EVIDENCE NOT IN THE TRANSCRIPT)"
    assert lines[-1] == "score: 9 / 10"
