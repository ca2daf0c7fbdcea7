"""The emulator tests' fixtures: ``emulator`` and ``make_emulator`` use ``support.KEY``; ``keyed_emulator``
runs on ``data_dir`` (a copy of the scripts, which a test file may override to add answers) with the test
file's own ``KEY``; ``sdk`` points the SDK at the test's ``emulator``. A test file with other settings
wraps the helpers of ``support.py`` in fixtures of its own."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.emulator.support import KEY, checked_emulator, point_sdk, scripts_folder

if TYPE_CHECKING:
    from tools.emulator import Emulator


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with any settings; each is checked for spec violations and stopped."""
    with contextlib.ExitStack() as started:
        yield lambda **settings: started.enter_context(checked_emulator(KEY, **settings))


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scripts_folder(tmp_path_factory)


@pytest.fixture
def keyed_emulator(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Emulator]:
    """An emulator on ``data_dir`` that takes the test file's own ``KEY``."""
    with checked_emulator(request.module.KEY, data_dir=data_dir) as running:
        yield running


@pytest.fixture
def sdk(emulator: Emulator, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The SDK pointed at this test's ``emulator``, with the test file's ``KEY``."""
    point_sdk(monkeypatch, emulator, getattr(request.module, "KEY", KEY))
    return emulator
