"""The lesson code of follow-up-questions, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import pytest

from tests.recipes.whole_recipe_alone import run_replaced
from tools import spec
from tools.notebook_code import load_definitions


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


# The whole recipe in one cell, run alone as a pasted script, meets the cut-off answer the steps handle.

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_spec
def test_the_whole_recipe_asks_again_with_more_room_after_a_cut_off_answer():
    alone = run_replaced("follow-up-questions", {"max_tokens: int = 300": "max_tokens: int = 20"})
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    lines = alone.run.stdout.splitlines(keepends=True)
    retries = [line for line in lines if line.startswith("cut off at ")]
    assert retries == ["cut off at 20 tokens; asking again with 80\n"] * 3
    assert "".join(line for line in lines if line not in retries) == alone.shown  # only complete answers count


@needs_spec
def test_the_whole_recipe_gives_up_after_three_cut_off_answers():
    alone = run_replaced("follow-up-questions", {"max_tokens: int = 300": "max_tokens: int = 1"})
    assert alone.run.returncode != 0
    assert alone.run.stdout.splitlines() == [
        "cut off at 1 tokens; asking again with 4",
        "cut off at 4 tokens; asking again with 16",
        "cut off at 16 tokens; asking again with 64",
    ]
    assert "RuntimeError: the answer was still cut off; ask a narrower question" in alone.run.stderr
