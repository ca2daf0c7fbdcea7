"""Run a notebook's whole recipe alone (``tools.whole_recipe``) with a failure fed to it: the script's
text changed as a reader might change it (a smaller ``max_tokens``, another audio file), or the
emulator answering from a copy of ``data/`` whose reference answer was changed (a malformed answer).
The recipe tests use it to check that the whole recipe handles the failure as its steps do."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from cookbook_utils import paths
from tools.whole_recipe import Run, as_script, real_origins, run_script, script_env, whole_recipe_cell

KEY = "whole-recipe-key"


def whole_recipe_script(slug: str, origins: dict[str, str] | None = None) -> str:
    """``slug``'s whole recipe as a reader's script (audio as plain paths, origins mapped)."""
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    return as_script(whole_recipe_cell(nb)[1], origins)


def run_alone(
    slug: str,
    edit: Callable[[str], str] | None = None,
    data_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``slug``'s whole recipe alone against a fresh emulator, its text changed by ``edit`` (which
    must change it) and the emulator's answers read from ``data_dir``."""
    from tools.emulator import Emulator

    with Emulator(api_key=KEY, notebook=slug, data_dir=data_dir) as emulator:
        script = whole_recipe_script(slug, real_origins(emulator))
        if edit is not None:
            edited = edit(script)
            assert edited != script, f"{slug}: the edit changed nothing in the whole recipe"
            script = edited
        run = run_script(script, script_env(emulator, env))
        assert emulator.violations == [], emulator.violations
    return run


def replace_once(old: str, new: str) -> Callable[[str], str]:
    """An edit that replaces ``old``, which must be in the script exactly once, by ``new``."""

    def edit(script: str) -> str:
        assert script.count(old) == 1, f"{old!r} is in the whole recipe {script.count(old)} times, not once"
        return script.replace(old, new)

    return edit


def audio_replaced(name: str, other: Path) -> Callable[[str], str]:
    """An edit that gives the script ``other`` instead of the cookbook's audio ``name``."""
    return replace_once(repr(str(paths.audio_file(name))), repr(str(other)))


def not_audio(folder: Path) -> Path:
    """A file a reader might pass by mistake: text, not audio (the API fails its transcript)."""
    path = folder / "notes.txt"
    path.write_text("Meeting notes: these are words, not a recording.\n" * 20)
    return path


def answers_changed(folder: Path, slug: str, file: str, change: Callable[[str], str]) -> Path:
    """A copy of ``data/`` (links, but ``answers/<slug>`` copied) in which ``change`` rewrote the
    reference answer ``file`` of ``slug``; pass it as ``data_dir``."""
    data = folder / "data"
    data.mkdir()
    for entry in paths.data_dir().iterdir():
        if entry.name != "answers":
            (data / entry.name).symlink_to(entry)
    (data / "answers").mkdir()
    for entry in (paths.data_dir() / "answers").iterdir():
        if entry.name != slug:
            (data / "answers" / entry.name).symlink_to(entry)
    shutil.copytree(paths.data_dir() / "answers" / slug, data / "answers" / slug)
    target = data / "answers" / slug / file
    text = target.read_text()
    changed = change(text)
    assert changed != text, f"the change left {slug}/{file} as it was"
    target.write_text(changed)
    return data
