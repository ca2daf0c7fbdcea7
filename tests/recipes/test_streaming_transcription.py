"""streaming-transcription's whole recipe, run alone as a reader's script (``tools/whole_recipe.py``),
meets the failures its steps handle: a chunk the API refuses (Step 7's 3007) and a key it refuses.
The SDK hands a server's error to the ``Error`` handler instead of raising; the recipe must stop
sending, and raise it rather than return a quiet, empty transcript."""

from __future__ import annotations

import time

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

SLUG = "streaming-transcription"
KEY = "whole-recipe-key"

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


def _recipe(**substitutions: str) -> str:
    """The whole recipe's code, each ``old`` in it replaced by ``new`` (``{old: new}``)."""
    source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))[1]
    for old, new in substitutions.items():
        assert old in source, f"the whole recipe no longer holds {old!r}"
        source = source.replace(old, new)
    return source


def _run(source: str, key: str = KEY):
    from tools.emulator import Emulator

    with Emulator(api_key=KEY, notebook=SLUG) as emulator:
        started = time.monotonic()
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator, {"ASSEMBLYAI_API_KEY": key}))
        seconds = time.monotonic() - started
        assert not emulator.streaming.violations
        heard = sum(m.get("audio_ms", 0) for who, m in emulator.streaming.traffic if who == "client")
    return run, seconds, heard


def test_a_chunk_the_api_refuses_stops_the_stream_and_is_raised():
    run, _, heard = _run(_recipe(**{"CHUNK_MS = 100": "CHUNK_MS = 2000"}))  # Step 7's two-second chunk
    assert run.returncode == 1, run.stderr[-2000:]
    assert "RuntimeError: The stream was refused: Input duration violation: 2000 ms" in run.stderr
    assert "(code 3007)" in run.stderr
    assert "Model that ran" not in run.stdout  # nothing printed as if it had worked
    assert heard <= 4000, "the recipe went on sending audio after the server ended the stream"


def test_a_key_the_api_refuses_is_raised_at_once():
    run, seconds, heard = _run(_recipe(), key="not-the-key")
    assert run.returncode == 1, run.stderr[-2000:]
    assert "RuntimeError: The stream was refused:" in run.stderr
    assert heard == 0 and seconds < 10, "the recipe streamed 12 s of audio into a refused connection"
