"""Every LLM notebook, run as a reader on a free-credit key would run it (issue 26): live against the
emulator started with ``account="free"``, whose gateway answers every Claude, GPT and Gemini model
with the real 400 of such an account (``no_model_access_400`` of the 2026-09-24 capture,
../shared/real-responses/probes/live-2026-09-24-smoke.json).

Each notebook that asks a chat model must stop at a gateway call, and that cell must show the short
display of ``cookbook_utils.session`` instead of a traceback: the model-access cause and what to do,
or, for one that asks speech understanding first, the free account's 429 and when to try again. A
notebook that asks only speech understanding may run to its end within the free account's rate
limit. No output anywhere may hold a traceback. common-errors is left out: it meets these errors on purpose and
handles them (its own test, tests/recipes/test_common_errors.py). Each notebook is one test, and
stops at its first error, so the file costs a kernel start and the cells before the first
gateway call per notebook; the runs share a small pool, since they mostly wait.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from cookbook_utils import paths
from cookbook_utils.session import NO_MODEL_ACCESS
from tools import spec
from tools.record import live_env, notebook_client

#: The notebooks that handle a free account's errors themselves, instead of stopping at them.
HANDLES_THEM = {"common-errors"}
#: A code cell that asks the LLM Gateway (the SDK's client, or a helper made from it).
ASKS_GATEWAY = re.compile(r"LLMGateway|\bllm\.|understanding")
#: A code cell that asks a chat model (which a free account may not use).
ASKS_CHAT = re.compile(r"chat\.completions|/v1/chat/completions")
#: What the cell that stopped shows: a cause the session's display knows, with its advice.
STOPPED_WITH = {
    "model access": (NO_MODEL_ACCESS, "LLM_MODEL"),
    "rate limit": ("too many requests for this action", "retry-after"),
}
CELL_TIMEOUT_S = 60
#: Notebooks left out for now, and why (each a finding to fix in the notebook, not here).
NOT_YET: dict[str, str] = {}


def llm_notebooks() -> list[str]:
    """Slugs of the notebooks whose recording asks the gateway, or whose code does."""
    found = []
    for slug in sorted(paths.notebooks()):
        cassette = paths.cassette_path(slug)
        recorded = cassette.is_file() and "://llm-gateway." in cassette.read_text(encoding="utf-8")
        nb = nbformat.read(paths.notebook_path(slug), as_version=4)
        coded = any(c.cell_type == "code" and ASKS_GATEWAY.search(c.source) for c in nb.cells)
        if (recorded or coded) and slug not in HANDLES_THEM:
            found.append(slug)
    return found


#: Notebooks run at once: their time is mostly waiting (kernel start, a stream in real time).
PARALLEL = 3

pytestmark = pytest.mark.rehearsal  # a reader on a free key runs each notebook live: make rehearse


def _run_as_free_reader(slug: str) -> tuple[nbformat.NotebookNode, int | None]:
    """Run the notebook live against a free-account emulator until its first error; the notebook
    with its outputs, and the index of the cell that failed (None if none did). The kernel gets its
    own environment, so that several notebooks can run at once."""
    from tools.emulator import Emulator

    key = "free-" + secrets.token_hex(8)
    notebook = paths.notebook_path(slug)
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    with Emulator(api_key=key, notebook=slug, account="free") as emulator:
        env = live_env(emulator, key)
        try:
            notebook_client(nb, notebook, CELL_TIMEOUT_S).execute(env=env)
        except CellExecutionError:
            pass
    failed = [i for i, c in enumerate(nb.cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
    return nb, (failed[0] if failed else None)


@pytest.fixture(scope="module")
def free_runs() -> Iterator[dict[str, Future]]:
    """Every LLM notebook's free-reader run, started at once on a small pool (each test waits for its own)."""
    pool = ThreadPoolExecutor(max_workers=PARALLEL)
    runs = {slug: pool.submit(_run_as_free_reader, slug) for slug in llm_notebooks() if slug not in NOT_YET}
    yield runs
    pool.shutdown(wait=True, cancel_futures=True)


def _text(output) -> str:
    if output.output_type == "error":
        return "\n".join(output.traceback)
    if output.output_type == "stream":
        return output.text
    return "\n".join(str(v) for v in output.get("data", {}).values())


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
@pytest.mark.parametrize(
    "slug", [pytest.param(s, marks=pytest.mark.skip(reason=NOT_YET[s])) if s in NOT_YET else s for s in llm_notebooks()]
)
def test_a_free_credit_reader_is_stopped_at_a_gateway_call_with_advice(slug, free_runs):
    nb, failed = free_runs[slug].result()
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    if failed is None:
        assert not any(ASKS_CHAT.search(source) for source in code), (
            f"{slug} asks a chat model, yet ran to the end on a free-credit account"
        )
    else:
        first_asking = next(
            i for i, c in enumerate(nb.cells) if c.cell_type == "code" and ASKS_GATEWAY.search(c.source)
        )
        assert failed >= first_asking, f"{slug} failed in cell {failed}, before it asks the gateway ({first_asking})"
        (error,) = [o for o in nb.cells[failed].outputs if o.output_type == "error"]
        shown = _text(error)
        assert error.ename == "LLMGatewayError", (slug, error.ename, shown[-2000:])
        causes = [name for name, words in STOPPED_WITH.items() if all(w in shown for w in words)]
        assert causes and "What to do:" in shown, shown
        assert len(error.traceback) <= 8, error.traceback
        earlier = "\n".join(_text(o) for c in nb.cells[:failed] if c.cell_type == "code" for o in c.outputs)
        assert NO_MODEL_ACCESS not in earlier, f"{slug} met the model-access error before cell {failed} and went on"
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = _text(output)
            assert "Traceback" not in text and "----> " not in text, (slug, index, text[-2000:])


def test_the_notebooks_found_are_the_llm_ones():
    found = llm_notebooks()
    assert len(found) >= 15 and {"structured-qa", "speaker-names", "streaming-llm-notes"} <= set(found)
    assert not HANDLES_THEM & set(found) and set(NOT_YET) <= set(found)
