"""structured-qa's lesson on its own functions: the prompt and the schema built from questions, and
the answers checked against the questions asked and their options."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests.recipes.whole_recipe_alone import answers_changed, replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

QUESTIONS = [
    {
        "question": "When is the release now?",
        "context": "It was planned for the 14th.",
        "answer_format": "a date phrase",
    },
    {"question": "Was the release date changed?", "answer_options": ["yes", "no"]},
    {"question": "Who fixes the crash?", "answer_options": ["Priya", "Daniel", "Sofia", "Marcus"]},
]
TRANSCRIPT = "A: We move the release to the twenty first.\nB: I'll take the fix."
GOOD = {"q1": "The twenty first", "q2": "yes", "q3": "Daniel"}


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "structured-qa",
        ["format_questions", "build_messages", "answer_schema", "normal", "check_answers"],
        ("SYSTEM_PROMPT",),
    )


def test_schema_has_one_required_string_per_question_and_enums_for_options(nb) -> None:
    schema = nb["answer_schema"](QUESTIONS)
    Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == ["q1", "q2", "q3"]
    assert schema["required"] == ["q1", "q2", "q3"] and schema["additionalProperties"] is False
    assert schema["properties"]["q1"] == {"type": "string", "description": "When is the release now?"}
    assert schema["properties"]["q3"]["enum"] == ["Priya", "Daniel", "Sofia", "Marcus", "not stated"]
    validator = Draft202012Validator(schema)
    assert validator.is_valid(GOOD)
    assert not validator.is_valid({**GOOD, "q3": "Dan"})
    assert not validator.is_valid({"q1": "x", "q2": "yes"})
    assert not validator.is_valid({**GOOD, "q4": "extra"})


def test_prompt_carries_the_transcript_and_every_detail_of_each_question(nb) -> None:
    system, user = nb["build_messages"](f"  {TRANSCRIPT}\n", QUESTIONS, "A weekly product sync. ")
    assert system == {"role": "system", "content": nb["SYSTEM_PROMPT"]}
    assert "using only its transcript" in system["content"] and "JSON only" in system["content"]
    text = user["content"]
    assert user["role"] == "user"
    assert text.startswith(f"About the recording: A weekly product sync.\n\n<transcript>\n{TRANSCRIPT}\n</transcript>")
    q1 = "q1: When is the release now?\n    Context: It was planned for the 14th.\n    Answer format: a date phrase"
    assert f"Answer each question below under its id.\n\n{q1}\n\n" in text
    assert 'q3: Who fixes the crash?\n    Answer with exactly one of: "Priya", "Daniel", "Sofia", "Marcus"' in text
    assert text.index("q1:") < text.index("q2:") < text.index("q3:")


def test_question_block_without_hints_is_the_question_alone(nb) -> None:
    assert nb["format_questions"]([{"question": " Anything else? "}, {"question": "Why?"}]) == (
        "q1: Anything else?\n\nq2: Why?"
    )


def test_good_answers_come_back_in_question_order(nb) -> None:
    assert nb["check_answers"](GOOD, QUESTIONS) == ["The twenty first", "yes", "Daniel"]
    reordered = {"q3": "Daniel", "q1": " The twenty first ", "q2": "yes"}
    assert nb["check_answers"](reordered, QUESTIONS) == ["The twenty first", "yes", "Daniel"]


def test_option_answers_forgive_case_spacing_and_a_full_stop_and_return_the_option(nb) -> None:
    assert nb["check_answers"]({**GOOD, "q2": " Yes. ", "q3": "daniel"}, QUESTIONS)[1:] == ["yes", "Daniel"]
    assert nb["normal"]('  "Daniel  Smith!" ') == "daniel smith"


def test_an_answer_outside_its_options_is_refused(nb) -> None:
    with pytest.raises(ValueError, match=r"q3 was answered 'Daniel and Sofia', not one of \['Priya'"):
        nb["check_answers"]({**GOOD, "q3": "Daniel and Sofia"}, QUESTIONS)


@pytest.mark.parametrize(
    "reply",
    [{"q1": "x", "q2": "yes"}, {**GOOD, "q4": "extra"}, {}],
)
def test_a_reply_that_does_not_answer_the_questions_asked_is_refused(nb, reply) -> None:
    with pytest.raises(ValueError, match=r"not the questions asked \['q1', 'q2', 'q3'\]"):
        nb["check_answers"](reply, QUESTIONS)


# --- the whole recipe, run alone (tools.whole_recipe) with the failures its steps handle -----------

needs_specs = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_specs
def test_the_whole_recipe_refuses_a_reply_cut_off_at_max_tokens() -> None:
    # The emulator cuts an answer longer than max_tokens, with Claude's finish_reason "max_tokens".
    run = run_alone("structured-qa", replaced("max_tokens=1500", "max_tokens=4"))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: The reply was cut off ('max_tokens'): raise max_tokens" in run.stderr


@needs_specs
@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            {"q1": "Daniel, with help from Sofia", "q2": "no"},
            "q1 was answered 'Daniel, with help from Sofia', not one of",
        ),
        ({"q1": "Daniel"}, r"The reply answers ['q1'], not the questions asked ['q1', 'q2']"),
    ],
    ids=["outside-its-options", "a-question-unanswered"],
)
def test_the_whole_recipe_refuses_a_reply_that_strays(tmp_path, reply, message) -> None:
    data = answers_changed(tmp_path, "structured-qa", "2.json", lambda _: json.dumps(reply))
    run = run_alone("structured-qa", data_dir=data)
    assert run.returncode == 1 and run.stdout == ""
    assert f"ValueError: {message}" in run.stderr
