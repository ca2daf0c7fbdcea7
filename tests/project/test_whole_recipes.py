"""Every notebook's "whole recipe in one cell" runs as a reader who pasted it into a script runs it:
a fresh ``.py`` file, a new interpreter, live mode against the emulator, nothing from the notebook's
earlier cells (``tools/whole_recipe.py``); and it prints what the notebook shows it printed."""

from __future__ import annotations

import contextlib

import nbformat
import pytest

from cookbook_utils import paths
from tests.project.whole_recipe_inputs import INPUTS
from tools import spec
from tools.whole_recipe import (
    as_script,
    real_origins,
    run_script,
    script_env,
    stored_stdout,
    undefined_names,
    whole_recipe_cell,
)

SLUGS = sorted(paths.notebooks())


def _cell(slug: str) -> tuple[nbformat.NotebookNode, int, str]:
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    index, source = whole_recipe_cell(nb)
    return nb, index, source


@pytest.mark.parametrize("slug", SLUGS)
def test_the_whole_recipe_names_nothing_it_does_not_import_or_define(slug):
    _, _, source = _cell(slug)
    script = as_script(source)  # raises for the notebook's session or IPython syntax
    assert undefined_names(script) == [], f"{slug}: a pasted script meets a NameError"


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
@pytest.mark.parametrize("slug", SLUGS)
def test_the_whole_recipe_runs_alone_and_prints_what_the_notebook_shows(slug, tmp_path):
    from tools.emulator import Emulator

    nb, index, source = _cell(slug)
    inputs = INPUTS.get(slug, lambda _: contextlib.nullcontext({}))
    with inputs(tmp_path) as extra, Emulator(api_key="whole-recipe-key", notebook=slug) as emulator:
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator, extra), cwd=tmp_path)
    assert run.returncode == 0, f"{slug}: the script failed:\n{run.stderr[-3000:]}"
    assert run.stdout == stored_stdout(nb, index), f"{slug}: the script printed something else than the notebook shows"


def test_the_script_gets_plain_paths_and_the_emulators_addresses_and_nothing_else_changes():
    source = (
        'transcribe(str(session.audio("support-call.mp3")), open(session.media("podcast-clip.mp4")))\n'
        'article = str(session.text("shop-newsletter.txt"))\n'
        'requests.post("https://api.assemblyai.com/v2/transcript", timeout=30)\n'
        'options = StreamingClientOptions(api_host="streaming.assemblyai.com")\n'
        'note = "docs: https://www.assemblyai.com/docs/api-reference"\n'
        'httpx.post("https://tts.us.assemblyai.com/v1/speech")\n'
    )

    class Fake:
        base_url, eu_base_url, streaming_url = "http://127.0.0.1:1", "http://127.0.0.1:2", "ws://127.0.0.1:3"
        stand_ins = {"tts.us.assemblyai.com": "http://127.0.0.1:4"}

    script = as_script(source, real_origins(Fake()))
    assert 'httpx.post("http://127.0.0.1:4/v1/speech")' in script, "a host of its own goes to its stand-in"
    audio, media = paths.audio_file("support-call.mp3"), paths.media_file("podcast-clip.mp4")
    assert f"transcribe({str(audio)!r}, open({str(media)!r}))" in script
    assert f"article = {str(paths.text_file('shop-newsletter.txt'))!r}" in script
    assert '"http://127.0.0.1:1/v2/transcript"' in script and 'api_host="ws://127.0.0.1:3"' in script
    assert '"docs: https://www.assemblyai.com/docs/api-reference"' in script


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        ("print(session.mode)", "session"),
        ("%time x = 1", "IPython"),
        ("get_ipython().run_line_magic('x', '')", "get_ipython"),
    ],
)
def test_what_a_script_cannot_have_is_refused_by_name(source, refused):
    with pytest.raises(ValueError, match=refused):
        as_script(source)


def test_the_word_session_in_a_comment_or_a_string_is_not_the_notebooks_session():
    source = '# one streaming session\nprint("Session ended")\nsession_id = 1\n'
    assert as_script(source) == source


def test_undefined_names_are_what_a_pasted_script_would_meet_as_a_name_error():
    source = "import json\n\ndef f(x, *a, k=1):\n    return json.dumps(x) + y\n\nfor i in z: f(i)\n"
    assert undefined_names(source) == ["y", "z"]
