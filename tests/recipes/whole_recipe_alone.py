"""Run a notebook's whole recipe alone, as a pasted script (``tools/whole_recipe.py``), with one
change a test makes to feed it a failure: ``edit`` rewrites the script's text (an audio path that is
not audio, an option left off, a smaller limit), and ``emulator_settings`` set the emulator up (a
fault plan, a copied ``data_dir``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from cookbook_utils import paths
from tools.whole_recipe import Run, as_script, real_origins, run_script, script_env, whole_recipe_cell


def audio_literal(name: str) -> str:
    """How the script writes the cookbook's audio file ``name`` (what ``session.audio`` became)."""
    return repr(str(paths.audio_file(name)))


def media_literal(name: str) -> str:
    return repr(str(paths.media_file(name)))


def not_audio(folder: Path, name: str = "notes.mp3") -> str:
    """A file named like audio that holds text, as the script would write its path."""
    path = folder / name
    path.write_text("Meeting notes, not a recording.\n", encoding="utf-8")
    return repr(str(path))


def replaced(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    """An ``edit`` that replaces ``old`` with ``new`` (it must occur exactly ``count`` times)."""

    def edit(script: str) -> str:
        assert script.count(old) == count, f"{old!r} occurs {script.count(old)} times in the script, not {count}"
        return script.replace(old, new)

    return edit


def run_alone(
    slug: str,
    edit: Callable[[str], str] = lambda script: script,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    **emulator_settings,
) -> Run:
    """The whole recipe of ``slug`` run alone against a fresh emulator, with ``edit`` applied."""
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    _, source = whole_recipe_cell(nb)
    with Emulator(api_key="whole-recipe-key", notebook=slug, **emulator_settings) as emulator:
        script = edit(as_script(source, real_origins(emulator)))
        return run_script(script, script_env(emulator, env), cwd=cwd)
