"""The lesson code written in a notebook and the helper that does the same job (for tests, benchmarks and
other recipes) give the same result on the same input, so the two cannot drift apart.

Each test takes the function from the notebook's own cell source, runs it, and compares it with the helper.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import nbformat
import numpy as np
import pytest

import cookbook_utils as cu
from cookbook_utils import config, qa, routing, search

ROOT = Path(__file__).resolve().parents[1]


def from_notebook(notebook: str, *names: str, namespace: dict | None = None) -> dict:
    """Run the top-level definitions called ``names`` (functions or assignments) found in the code cells
    of ``notebook``, in cell order, in ``namespace``; returns the namespace."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    namespace = dict(namespace or {})
    wanted, found = set(names), set()
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.startswith("#") and "google.colab" in cell.source:
            continue
        tree = ast.parse("\n".join(line for line in cell.source.split("\n") if not line.startswith(("!", "%"))))
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), notebook, "exec"), namespace)
                continue
            if isinstance(node, ast.FunctionDef):
                defined = {node.name}
            elif isinstance(node, ast.Assign):
                defined = {t.id for t in node.targets if isinstance(t, ast.Name)}
            else:
                continue
            if defined & wanted:
                exec(compile(ast.Module([node], []), f"{notebook}", "exec"), namespace)
                found |= defined & wanted
    missing = wanted - found
    assert not missing, f"{notebook} no longer defines {sorted(missing)}: update this test with the lesson"
    return namespace


# --- structured-qa: the prompt, the schema and the answer check --------------------------------------

QUESTIONS = [
    {"question": "What was decided?", "answer_format": "one sentence"},
    {"question": "Why?", "context": "QA found a crash.", "answer_format": "one sentence naming the cause"},
    {"question": "Who fixes it?", "answer_options": ["Priya", "Daniel"]},
    {"question": "Any objection?", "answer_options": ["yes", "no"]},
]


def _as_helper(questions: list[dict]) -> list[qa.Question]:
    return [qa.Question(**q) for q in questions]


@pytest.fixture(scope="module")
def structured_qa():
    import json

    return from_notebook(
        "llm-gateway/structured-qa.ipynb",
        "SYSTEM_PROMPT",
        "format_questions",
        "build_messages",
        "answer_schema",
        "normal",
        "check_answers",
        namespace={"json": json},
    )


def test_structured_qa_builds_the_prompt_and_schema_the_helper_builds(structured_qa):
    context = "A weekly sync."
    transcript = "Speaker A: We move the release.\nSpeaker B: Fine."
    assert structured_qa["SYSTEM_PROMPT"] == qa.SYSTEM_PROMPT
    assert structured_qa["format_questions"](QUESTIONS) == qa.format_questions(_as_helper(QUESTIONS))
    assert structured_qa["build_messages"](transcript, QUESTIONS, context) == qa.build_messages(
        transcript, _as_helper(QUESTIONS), context=context
    )
    assert structured_qa["answer_schema"](QUESTIONS) == qa.answer_schema(_as_helper(QUESTIONS))


@pytest.mark.parametrize(
    "reply",
    [
        {"q1": "Moved a week.", "q2": "A crash.", "q3": "daniel.", "q4": "No"},
        {"q1": "Moved a week.", "q2": "A crash.", "q3": "Daniel, with Sofia", "q4": "no"},
        {"q1": "Moved a week.", "q2": "A crash.", "q3": "Daniel"},
    ],
)
def test_structured_qa_checks_answers_as_the_helper_does(structured_qa, reply):
    try:
        expected = [pair.answer for pair in qa.parse_answers(reply, _as_helper(QUESTIONS))]
    except cu.AnswerError:
        expected = None
    try:
        got = structured_qa["check_answers"](reply, QUESTIONS)
    except ValueError:
        got = None
    assert got == expected


# --- ald-routing: the routing rule --------------------------------------------------------------------


def test_ald_routing_routes_as_the_helper_does():
    lesson = from_notebook(
        "languages/ald-routing.ipynb",
        "PRO_LANGUAGES",
        "speech_models_for",
        namespace={"SPEECH_MODELS": list(config.SPEECH_MODELS)},
    )
    assert lesson["PRO_LANGUAGES"] == set(config.PRO_LANGUAGES)
    for code in ["en", "en_us", "EN-GB", " es ", "pt_br", "de", "fr", "it", "nl", "hi", "ja", "zh"]:
        assert lesson["speech_models_for"](code) == routing.speech_models_for(code), code


# --- transcript-citations: the nearest-neighbour search ------------------------------------------------


def test_citations_search_finds_what_the_passage_index_finds():
    class HashEmbedder:
        """Deterministic unit vectors from the words of a text: no model needed."""

        name = "hash"

        def embed(self, texts):
            rows = []
            for text in texts:
                vector = np.zeros(32)
                for word in text.lower().split():
                    vector[hash(word) % 32] += 1.0
                rows.append(vector / (np.linalg.norm(vector) or 1.0))
            return np.array(rows)

    embedder = HashEmbedder()
    words = "timer invoice export seat price offline sync reminder client project rate".split()
    rng = random.Random(5)
    passages = [
        search.Passage(f"t{i % 3}", " ".join(rng.choices(words, k=6)), i * 1000, i * 1000 + 900, "B") for i in range(30)
    ]
    vectors = embedder.embed([p.text for p in passages])
    lesson = from_notebook(
        "llm-gateway/transcript-citations.ipynb",
        "neighbours",
        "search_passages",
        namespace={"passages": passages, "vectors": vectors, "embed": embedder.embed},
    )
    index = search.PassageIndex(passages, embedder)
    for query in ["offline timer sync", "seat price", "client invoice reminder"]:
        every = {hit.passage: round(hit.score, 9) for hit in index.search(query, k=len(passages))}
        for k, min_score in ((3, None), (5, 0.3)):
            expected = [(hit.passage, round(hit.score, 9)) for hit in index.search(query, k=k, min_score=min_score)]
            got = [(p, round(s, 9)) for p, s in lesson["search_passages"](query, k=k, min_score=min_score)]
            # The same scores, each that of its passage; passages of equal score may come in another
            # order (the index puts them in passage order, scikit-learn in no set order).
            assert [s for _, s in got] == [s for _, s in expected]
            assert all(every[p] == s for p, s in got)
            assert len({p for p, _ in got}) == len(got)
