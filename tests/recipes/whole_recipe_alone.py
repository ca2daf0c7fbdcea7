"""Run a notebook's whole recipe alone, as a pasted script (``tools/whole_recipe.py``), with the
failure it handles fed in: a change to its text (a smaller ``max_tokens``, another model, a file that
is not audio) or reference answers from a copied ``data_dir`` with one answer changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cookbook_utils import paths
from tools.whole_recipe import Run, as_script, real_origins, run_script, script_env, whole_recipe_cell


@dataclass
class Alone:
    """A run of the whole recipe, what the notebook shows it printed, and the requests the emulator saw."""

    run: Run
    shown: str
    requests: list[tuple[str, str]]


def run_alone(
    slug: str,
    replace: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    **emulator_settings,
) -> Alone:
    """Run ``slug``'s whole recipe with each ``old`` text of ``replace`` (which must occur) made ``new``."""
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    index, source = whole_recipe_cell(nb)
    for old, new in (replace or {}).items():
        assert old in source, f"{slug}'s whole recipe no longer holds {old!r}"
        source = source.replace(old, new)
    shown = "".join(o.text for o in nb.cells[index].outputs if o.output_type == "stream" and o.name == "stdout")
    with Emulator(api_key="whole-recipe-key", notebook=slug, **emulator_settings) as emulator:
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator, env), cwd=cwd)
        requests = list(emulator.requests_seen)
    return Alone(run, shown, requests)


def data_with_answer(tmp_path: Path, slug: str, name: str, change: Callable[[str], str]) -> Path:
    """A data folder like the cookbook's, whose reference answer ``name`` of ``slug`` is ``change``d."""
    data = tmp_path / "data"
    data.mkdir()
    for entry in paths.data_dir().iterdir():
        if entry.name != "answers":
            (data / entry.name).symlink_to(entry)
    shutil.copytree(paths.data_dir() / "answers" / slug, data / "answers" / slug)
    answer = data / "answers" / slug / name
    answer.write_text(change(answer.read_text()))
    return data
