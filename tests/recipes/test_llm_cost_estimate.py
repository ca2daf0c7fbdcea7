"""The lesson code of llm-cost-estimate, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

from types import SimpleNamespace

import pytest

from cookbook_utils.tokenizers import offline_tiktoken
from tests.recipes.whole_recipe_alone import run_replaced
from tools import spec
from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def cost_nb():
    offline_tiktoken()  # the notebook's setup cell does the same: cl100k_base without a download
    namespace = load_definitions(
        "llm-cost-estimate", ["count_tokens", "check_fits", "cost", "price"], ("ENCODING", "TOKENS_PER_REPLY")
    )
    pricing = SimpleNamespace(global_=SimpleNamespace(prompt=3.0, completions=15.0), us=None, eu=None)
    namespace["catalogue"] = {"small": SimpleNamespace(context_length=1000, pricing=pricing)}
    return namespace


def test_cost_token_count_is_offline_and_counts_framing(cost_nb):
    one = cost_nb["count_tokens"]([{"role": "user", "content": "Hello there, world."}])
    two = cost_nb["count_tokens"]([{"role": "user", "content": "Hello there, world."}] * 2)
    assert cost_nb["ENCODING"].name == "cl100k_base"
    assert 4 <= one < 20 and two - one == one - cost_nb["TOKENS_PER_REPLY"]


def test_cost_too_long_a_prompt_is_refused_before_sending(cost_nb):
    cost_nb["check_fits"]("small", 700, 300)
    with pytest.raises(ValueError, match="exceed its context of 1,000"):
        cost_nb["check_fits"]("small", 701, 300)


def test_cost_uses_the_price_per_million_and_no_region_means_no_price(cost_nb):
    assert cost_nb["cost"]("small", 1_000_000, 100_000) == pytest.approx(4.5)
    assert cost_nb["price"]("small", "eu") is None


# The whole recipe in one cell, run alone as a pasted script, refuses a prompt too long for a model
# before sending it, as the steps do.

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_spec
def test_the_whole_recipe_sends_nothing_a_model_cannot_fit(tmp_path):
    """A year of weekly meetings in one prompt, as in the steps: too long for gpt-oss-120b, not for Claude."""
    meeting = 'meeting_text(str(session.audio("team-meeting.mp3")))'
    alone = run_replaced(
        "llm-cost-estimate",
        {
            'LLM_MODELS = ["claude-haiku-4-5-20251001", "gpt-5-mini"]': (
                'LLM_MODELS = ["gpt-oss-120b", "claude-haiku-4-5-20251001"]'
            ),
            f"text = {meeting}": f'text = "\\n".join([{meeting}] * 300)',
        },
        env={"TIKTOKEN_CACHE_DIR": str(offline_tiktoken(tmp_path / "tiktoken").parent)},
    )
    assert alone.run.returncode == 0, alone.run.stderr[-2000:]
    lines = alone.run.stdout.splitlines()
    assert lines[:2] == [
        "Too long: gpt-oss-120b: 146,739 prompt + 300 reply tokens exceed its context of 131,072;",
        "split the transcript or pick a longer-context model",
    ]
    assert lines[2].startswith("claude-haiku-4-5-20251001: estimated 146739 in; usage ")
    assert sum(path == "/v1/chat/completions" for _, path in alone.requests) == 1  # Claude's only
