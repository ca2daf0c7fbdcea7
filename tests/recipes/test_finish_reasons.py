"""Every notebook's check of ``finish_reason``, fed a Claude-shaped and an OpenAI-shaped reply.

The gateway passes ``finish_reason`` on as each provider sends it (docs/platform-2026-12.md, section
5): Claude says ``end_turn``, ``max_tokens``, ``tool_use`` (and ``refusal``); OpenAI models, and the
Gemini and Qwen models the gateway serves through OpenAI-compatible APIs, ``stop``, ``length``,
``tool_calls``. Each notebook's own parser is loaded (``tools.notebook_code``) and fed both
families' replies, truncated and not; a source scan over every notebook then holds new code to the
same rule: a comparison with ``finish_reason`` names both families' word for what it tests, and
never tests for tool calls (``message.tool_calls`` says that).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from tests.recipes.answers import answer
from tools.notebook_code import load_definitions

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: Each family's words, by what they mean.
FAMILIES = {
    "claude": {"complete": "end_turn", "cut_off": "max_tokens", "tools": "tool_use"},
    "openai": {"complete": "stop", "cut_off": "length", "tools": "tool_calls"},
}
BOTH = pytest.mark.parametrize("family", sorted(FAMILIES))
#: The same meaning in the two families: a check that names one must name the other.
PAIRS = [("end_turn", "stop"), ("max_tokens", "length")]
TOOL_WORDS = {"tool_use", "tool_calls"}


def choice(content: str, reason: str) -> SimpleNamespace:
    """A reply's first choice as the SDK gives it (``message.content``, ``finish_reason``)."""
    message = SimpleNamespace(content=content, role="assistant", tool_calls=None)
    return SimpleNamespace(index=0, message=message, finish_reason=reason)


def completion(content: str, reason: str) -> SimpleNamespace:
    return SimpleNamespace(choices=[choice(content, reason)])


def word(family: str, meaning: str) -> str:
    return FAMILIES[family][meaning]


# ----------------------------------------------------------------------------- the notebooks' parsers


@BOTH
def test_structured_qa_reads_a_complete_reply_and_refuses_a_cut_off_one(family) -> None:
    read_reply = load_definitions("structured-qa", ["read_reply"], ("CUT_OFF",))["read_reply"]
    assert read_reply(choice('{"q1": "yes"}', word(family, "complete"))) == {"q1": "yes"}
    with pytest.raises(RuntimeError, match="cut off"):
        read_reply(choice('{"q1": "ye', word(family, "cut_off")))


@BOTH
def test_action_items_parses_a_complete_reply_and_refuses_a_cut_off_one(family) -> None:
    parse = load_definitions("action-items", ["parse_actions"])["parse_actions"]
    text = answer("action-items", "2.json")
    assert parse(text, word(family, "complete")).items
    with pytest.raises(ValueError, match="cut off"):
        parse(text, word(family, "cut_off"))


@BOTH
def test_quotes_semantic_search_reads_a_complete_reply_and_refuses_a_cut_off_one(family) -> None:
    read_quotes = load_definitions("quotes-semantic-search", ["read_quotes"], whole_recipe=False)["read_quotes"]
    good = json.dumps({"quotes": [{"quote": "Steel lasts.", "speaker": "A", "why": "memorable"}]})
    assert read_quotes(completion(good, word(family, "complete")))[0]["quote"] == "Steel lasts."
    with pytest.raises(ValueError, match="cut off"):
        read_quotes(completion(good[:20], word(family, "cut_off")))


@BOTH
def test_transcript_citations_reads_a_complete_reply_and_refuses_a_cut_off_one(family) -> None:
    read_json = load_definitions("transcript-citations", ["read_json"], whole_recipe=False)["read_json"]
    schema = {"type": "object", "required": ["points"], "properties": {"points": {"type": "array"}}}
    assert read_json(completion('{"points": ["a"]}', word(family, "complete")), schema) == {"points": ["a"]}
    with pytest.raises(ValueError, match="cut off"):
        read_json(completion('{"points": ["a', word(family, "cut_off")), schema)


@pytest.mark.parametrize("reason", ["refusal", "content_filter", None])
def test_transcript_citations_refuses_a_reply_that_did_not_finish(reason) -> None:
    read_json = load_definitions("transcript-citations", ["read_json"], whole_recipe=False)["read_json"]
    with pytest.raises(ValueError, match="did not finish"):
        read_json(completion('{"points": ["a"]}', reason), {"type": "object"})


class ScriptedGateway:
    """A stand-in for ``aai.LLMGateway()`` that answers from a list and records each request."""

    def __init__(self, replies: list[tuple[str, str]]) -> None:
        self.replies, self.requests = list(replies), []
        self.chat = SimpleNamespace(completions=self)

    def create(self, **body) -> SimpleNamespace:
        self.requests.append(body)
        return completion(*self.replies.pop(0))


@BOTH
def test_follow_up_questions_keeps_a_complete_answer_and_asks_again_after_a_cut_off_one(family, capsys) -> None:
    nb = load_definitions("follow-up-questions", ["ask"], ("SYSTEM",))
    history = [{"role": "system", "content": nb["SYSTEM"] + "The call."}]
    nb["gateway"] = ScriptedGateway([("Half an", word(family, "cut_off")), ("Whole.", word(family, "complete"))])
    new_history, text = nb["ask"](history, "What happened?", max_tokens=10)
    assert text == "Whole." and new_history[-1] == {"role": "assistant", "content": "Whole."}
    assert [r["max_tokens"] for r in nb["gateway"].requests] == [10, 40]
    assert "cut off at 10 tokens" in capsys.readouterr().out

    nb["gateway"] = ScriptedGateway([("Whole.", word(family, "complete"))])
    assert nb["ask"](history, "What happened?")[1] == "Whole."
    assert len(nb["gateway"].requests) == 1


# ----------------------------------------------------------------------------- the source scan


def _code_cells(path: Path) -> list[str]:
    cells = nbformat.read(path, as_version=4).cells
    return [
        "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        for cell in cells
        if cell.cell_type == "code"
    ]


def _mentions_finish_reason(node: ast.AST, aliases: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "finish_reason":
            return True
        if isinstance(sub, ast.Name) and (sub.id == "finish_reason" or sub.id in aliases):
            return True
    return False


def _words(node: ast.AST, constants: dict[str, set[str]]) -> set[str] | None:
    """The strings a comparison operand stands for; None when the scan cannot tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        found = [_words(element, constants) for element in node.elts]
        return None if None in found else set().union(*found)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def finish_reason_problems(cells: list[str]) -> list[str]:
    """Each comparison with ``finish_reason`` in ``cells`` that one provider family would fail."""
    trees = [ast.parse(source) for source in cells]
    constants: dict[str, set[str]] = {}
    aliases: set[str] = set()
    for tree in trees:  # names bound to string tuples, and names bound to a finish_reason
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                words = _words(node.value, {})
                if words is not None and isinstance(node.value, (ast.Tuple, ast.List, ast.Set)):
                    constants[node.targets[0].id] = words
                elif _mentions_finish_reason(node.value, set()):
                    aliases.add(node.targets[0].id)
    problems = []
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            if not any(_mentions_finish_reason(o, aliases) for o in operands):
                continue
            others = [o for o in operands if not _mentions_finish_reason(o, aliases)]
            found = [_words(o, constants) for o in others]
            line = ast.unparse(node)
            if not others or None in found:
                problems.append(f"{line}: compared with something the scan cannot read")
                continue
            words = set().union(*found)
            if words & TOOL_WORDS:
                problems.append(f"{line}: detect tool calls by message.tool_calls, not finish_reason")
            for pair in PAIRS:
                if len(words & set(pair)) == 1:
                    problems.append(f"{line}: names one family's word of {pair} alone")
    return problems


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ('if choice.finish_reason == "length": pass', "alone"),
        ('if choice.finish_reason != "stop": pass', "alone"),
        ('CUT = ("length",)\nif choice.finish_reason in CUT: pass', "alone"),
        ('reason = c.finish_reason\nif reason == "max_tokens": pass', "alone"),
        ('if choice.finish_reason == "tool_calls": pass', "message.tool_calls"),
        ("if choice.finish_reason in reasons(): pass", "cannot read"),
    ],
)
def test_the_scan_finds_a_check_that_one_family_fails(code, problem) -> None:
    found = finish_reason_problems([code])
    assert found and problem in found[0]


def test_the_scan_accepts_both_families_words() -> None:
    cells = [
        'CUT_OFF = ("length", "max_tokens")\nFINISHED = ("stop", "end_turn")',
        "reason = choice.finish_reason\nif reason in CUT_OFF or reason not in FINISHED: pass",
        'if choice.finish_reason in ("max_tokens", "length"): pass',
    ]
    assert finish_reason_problems(cells) == []


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_no_notebook_checks_finish_reason_in_one_familys_words(path) -> None:
    assert finish_reason_problems(_code_cells(path)) == []


def test_the_scan_sees_the_notebooks_that_check_finish_reason() -> None:
    checking = {p.stem for p in NOTEBOOKS.glob("*/*.ipynb") if "finish_reason" in p.read_text()}
    tested = {"structured-qa", "action-items", "quotes-semantic-search", "transcript-citations"}
    assert tested | {"follow-up-questions"} <= checking
