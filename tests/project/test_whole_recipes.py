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
