"""Run a notebook's whole recipe alone, as a pasted script (``tools/whole_recipe.py``), with one
change a test makes to feed it a failure: ``edit`` rewrites the script's text (an audio path that is
not audio, an option left off, a smaller ``max_tokens``), and ``emulator_settings`` set the emulator up
(a fault plan, a copied ``data_dir`` whose reference answer was changed: :func:`answers_changed`). The
recipe tests use it to check that the whole recipe handles the failure as its steps do."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cookbook_utils import paths
from tools.whole_recipe import Run, as_script, real_origins, run_script, script_env, stored_stdout, whole_recipe_cell


def audio_literal(name: str) -> str:
    """How the script writes the cookbook's audio file ``name`` (what ``session.audio`` became)."""
    return repr(str(paths.audio_file(name)))


def media_literal(name: str) -> str:
    return repr(str(paths.media_file(name)))


def not_audio_file(folder: Path, name: str = "notes.mp3") -> Path:
    """A file a reader might pass by mistake: named like audio, holding text (the API fails its transcript)."""
    path = folder / name
    path.write_text("Meeting notes: these are words, not a recording.\n" * 20, encoding="utf-8")
    return path


def not_audio(folder: Path, name: str = "notes.mp3") -> str:
    """:func:`not_audio_file`'s path as the script would write it."""
    return repr(str(not_audio_file(folder, name)))


def audio_replaced(name: str, other: Path) -> Callable[[str], str]:
    """An ``edit`` that gives the script ``other`` instead of the cookbook's audio ``name``."""
    return replaced(audio_literal(name), repr(str(other)))


def replaced(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    """An ``edit`` that replaces ``old`` with ``new`` (it must occur exactly ``count`` times)."""

    def edit(script: str) -> str:
        assert script.count(old) == count, f"{old!r} occurs {script.count(old)} times in the script, not {count}"
        return script.replace(old, new)

    return edit


def run_alone(
    slug: str,
    edit: Callable[[str], str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    **emulator_settings,
) -> Run:
    """The whole recipe of ``slug`` run alone against a fresh emulator, with ``edit`` applied (which must
    change the script); the emulator must have answered within the spec."""
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    _, source = whole_recipe_cell(nb)
    with Emulator(api_key="whole-recipe-key", notebook=slug, **emulator_settings) as emulator:
        script = as_script(source, real_origins(emulator))
        if edit is not None:
            edited = edit(script)
            assert edited != script, f"{slug}: the edit changed nothing in the whole recipe"
            script = edited
        run = run_script(script, script_env(emulator, env), cwd=cwd)
        assert emulator.violations == [], emulator.violations
    return run


@dataclass
class Alone:
    """A run of the whole recipe, what the notebook shows it printed, and the requests the emulator saw."""

    run: Run
    shown: str
    requests: list[tuple[str, str]]
    chats: list[dict]  # the body of every chat completion the emulator accepted


def run_replaced(
    slug: str,
    replace: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    **emulator_settings,
) -> Alone:
    """Run ``slug``'s whole recipe with each ``old`` text of ``replace`` (which must occur in the cell)
    made ``new``: the run, what the notebook shows and the requests the emulator saw."""
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    index, source = whole_recipe_cell(nb)
    for old, new in (replace or {}).items():
        assert old in source, f"{slug}'s whole recipe no longer holds {old!r}"
        source = source.replace(old, new)
    with Emulator(api_key="whole-recipe-key", notebook=slug, **emulator_settings) as emulator:
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator, env), cwd=cwd)
        requests, chats = list(emulator.requests_seen), list(emulator.state.chat_requests)
    return Alone(run, stored_stdout(nb, index), requests, chats)


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
