"""cookbook_utils.qa: the prompt and schema built from questions, and the answers parsed back,
including malformed replies and answers outside their options."""

import json

import pytest
from jsonschema import Draft202012Validator

from cookbook_utils.errors import AnswerError, AnswerOutsideOptionsError
from cookbook_utils.qa import Question, answer_schema, build_messages, parse_answers, question_ids

QUESTIONS = [
    Question("When is the release now?", context="It was planned for the 14th.", answer_format="a date phrase"),
    Question("Was the release date changed?", answer_options=["yes", "no"]),
    Question("Who fixes the crash?", answer_options=("Priya", "Daniel", "Sofia", "Marcus")),
]
TRANSCRIPT = "A: We move the release to the twenty first.\nB: I'll take the fix."
GOOD = {"q1": "The twenty first", "q2": "yes", "q3": "Daniel"}


def test_ids_and_schema():
    assert question_ids(QUESTIONS) == ["q1", "q2", "q3"]
    schema = answer_schema(QUESTIONS)
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["q1", "q2", "q3"] and schema["additionalProperties"] is False
    assert "enum" not in schema["properties"]["q1"]
    assert schema["properties"]["q3"]["enum"] == ["Priya", "Daniel", "Sofia", "Marcus"]
    validator = Draft202012Validator(schema)
    assert validator.is_valid(GOOD)
    assert not validator.is_valid({**GOOD, "q3": "Dan"})


def test_prompt_carries_the_transcript_and_every_detail_of_each_question():
    system, user = build_messages(TRANSCRIPT, QUESTIONS, context="A weekly product sync.")
    assert system["role"] == "system" and "only its transcript" in system["content"]
    text = user["content"]
    assert user["role"] == "user"
    assert text.startswith("About the recording: A weekly product sync.")
    assert f"<transcript>\n{TRANSCRIPT}\n</transcript>" in text
    q1 = "q1: When is the release now?\n    Context: It was planned for the 14th.\n    Answer format: a date phrase"
    assert q1 in text
    assert 'q3: Who fixes the crash?\n    Answer with exactly one of: "Priya", "Daniel", "Sofia", "Marcus"' in text
    assert text.index("q1:") < text.index("q2:") < text.index("q3:")


def test_parse_good_answers_in_order():
    pairs = parse_answers(GOOD, QUESTIONS)
    assert [(p.question.question, p.answer) for p in pairs] == [
        ("When is the release now?", "The twenty first"),
        ("Was the release date changed?", "yes"),
        ("Who fixes the crash?", "Daniel"),
    ]
    assert parse_answers(json.dumps(GOOD), QUESTIONS) == pairs


def test_option_answers_forgive_case_and_punctuation_and_return_the_option():
    pairs = parse_answers({**GOOD, "q2": " Yes. ", "q3": "daniel"}, QUESTIONS)
    assert [p.answer for p in pairs[1:]] == ["yes", "Daniel"]


def test_answer_outside_its_options():
    with pytest.raises(AnswerOutsideOptionsError, match=r"q3 .*'Daniel and Sofia'.*not one of its options"):
        parse_answers({**GOOD, "q3": "Daniel and Sofia"}, QUESTIONS)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"q1": "x", "q2": "yes"', "not JSON"),
        ("The release moves to the 21st.", "not JSON"),
        (["The twenty first", "yes", "Daniel"], "JSON object keyed by question id, got list"),
        ({"q1": "x", "q2": "yes"}, r"missing \['q3'\], unexpected none"),
        ({**GOOD, "q4": "extra"}, r"missing none, unexpected \['q4'\]"),
        ({**GOOD, "q1": "  "}, "q1 .* has no answer text"),
        ({**GOOD, "q1": 21}, "q1 .* has no answer text: 21"),
        ({**GOOD, "q2": None}, "q2 .* has no answer text: None"),
    ],
)
def test_malformed_replies(reply, expected):
    with pytest.raises(AnswerError, match=expected):
        parse_answers(reply, QUESTIONS)


def test_question_checks():
    with pytest.raises(ValueError, match="needs its text"):
        Question("  ")
    with pytest.raises(ValueError, match="two or more distinct"):
        Question("Pick one", answer_options=["yes", "Yes"])
    with pytest.raises(ValueError, match="two or more distinct"):
        Question("Pick one", answer_options=["only"])
    with pytest.raises(ValueError, match="not both"):
        Question("Pick one", answer_options=["a", "b"], answer_format="one word")
    with pytest.raises(ValueError, match="transcript is empty"):
        build_messages(" ", QUESTIONS)
    with pytest.raises(ValueError, match="at least one question"):
        build_messages(TRANSCRIPT, [])
    with pytest.raises(ValueError, match="at least one question"):
        answer_schema([])
