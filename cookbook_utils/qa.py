"""Structured question answering over a transcript: what LeMUR's Q&A did, for the LLM Gateway.

Questions (with optional context, answer format and answer options) become one prompt and one
JSON schema with a property per question (``q1``, ``q2``...); an option question's answer is
constrained to its options by the schema. :func:`parse_answers` turns the reply back into
question/answer pairs and checks every answer, in case a model ignores the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import AnswerError, AnswerOutsideOptionsError

SYSTEM_PROMPT = (
    "You answer questions about a recorded conversation, using only its transcript. When the transcript "
    "does not settle a question, say so in that answer instead of guessing. Reply with JSON only, with "
    "one answer per question id."
)


@dataclass(frozen=True)
class Question:
    """One question, as LeMUR's ``LemurQuestion`` had it."""

    question: str
    context: str | None = None  # what the model should know to answer well
    answer_format: str | None = None  # how to phrase the answer ("one sentence", "YYYY-MM-DD")
    answer_options: tuple[str, ...] | None = field(default=None)  # the answer must be one of these

    def __post_init__(self) -> None:
        if not self.question or not self.question.strip():
            raise ValueError("a question needs its text")
        if self.answer_options is not None:
            options = tuple(self.answer_options)
            if len(options) < 2 or len({_normal(o) for o in options}) != len(options):
                raise ValueError(f"answer options must be two or more distinct texts, got {list(options)!r}")
            if self.answer_format:
                raise ValueError("give a question answer options or an answer format, not both")
            object.__setattr__(self, "answer_options", options)


@dataclass(frozen=True)
class QAPair:
    """A question and the answer the model gave to it."""

    question: Question
    answer: str


def question_ids(questions: Sequence[Question]) -> list[str]:
    """The keys the answers come back under: ``q1``, ``q2``, ..."""
    return [f"q{number}" for number in range(1, len(questions) + 1)]


def answer_schema(questions: Sequence[Question]) -> dict:
    """A JSON schema with one string property per question; option questions get an ``enum``."""
    if not questions:
        raise ValueError("ask at least one question")
    properties: dict[str, Any] = {}
    for key, question in zip(question_ids(questions), questions, strict=True):
        entry: dict[str, Any] = {"type": "string", "description": question.question}
        if question.answer_options:
            entry["enum"] = list(question.answer_options)
        properties[key] = entry
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def format_questions(questions: Sequence[Question]) -> str:
    """The question block of the prompt: id, question, and its context, format or options."""
    blocks = []
    for key, question in zip(question_ids(questions), questions, strict=True):
        lines = [f"{key}: {question.question.strip()}"]
        if question.context:
            lines.append(f"    Context: {question.context.strip()}")
        if question.answer_format:
            lines.append(f"    Answer format: {question.answer_format.strip()}")
        if question.answer_options:
            lines.append("    Answer with exactly one of: " + ", ".join(json.dumps(o) for o in question.answer_options))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def build_messages(transcript: str, questions: Sequence[Question], *, context: str | None = None) -> list[dict]:
    """The chat messages that ask every question about ``transcript`` in one request.

    ``context`` describes the recording as a whole (who is speaking, what it is about).
    """
    if not transcript or not transcript.strip():
        raise ValueError("the transcript is empty: transcribe the audio first, and check its status")
    if not questions:
        raise ValueError("ask at least one question")
    parts = []
    if context:
        parts.append(f"About the recording: {context.strip()}")
    parts.append(f"<transcript>\n{transcript.strip()}\n</transcript>")
    parts.append("Answer each question below under its id.\n\n" + format_questions(questions))
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def _normal(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!\"'")


def parse_answers(reply: Mapping[str, Any] | str, questions: Sequence[Question]) -> list[QAPair]:
    """Question/answer pairs from a structured reply (the parsed object or its JSON text).

    Raises :class:`AnswerError` when the reply is not an object holding one non-empty string per
    question id, and :class:`AnswerOutsideOptionsError` when an option question's answer is none
    of its options (letter case, spacing and a final full stop are forgiven; the option's own
    spelling is returned).
    """
    if isinstance(reply, str):
        try:
            reply = json.loads(reply)
        except ValueError as error:
            raise AnswerError(f"The reply is not JSON ({error}): {reply[:200]!r}") from None
    if not isinstance(reply, Mapping):
        raise AnswerError(f"The reply should be a JSON object keyed by question id, got {type(reply).__name__}.")
    keys = question_ids(questions)
    missing = [key for key in keys if key not in reply]
    extra = sorted(set(reply) - set(keys))
    if missing or extra:
        raise AnswerError(
            f"The reply does not answer the questions asked: missing {missing or 'none'}, unexpected {extra or 'none'}."
        )
    pairs = []
    for key, question in zip(keys, questions, strict=True):
        answer = reply[key]
        if not isinstance(answer, str) or not answer.strip():
            raise AnswerError(f"{key} ({question.question!r}) has no answer text: {answer!r}")
        answer = answer.strip()
        if question.answer_options:
            matches = [o for o in question.answer_options if _normal(o) == _normal(answer)]
            if not matches:
                raise AnswerOutsideOptionsError(
                    f"{key} ({question.question!r}) was answered {answer!r}, which is not one of its options "
                    f"{list(question.answer_options)!r}. Ask again, or check that the schema was sent."
                )
            answer = matches[0]
        pairs.append(QAPair(question, answer))
    return pairs
