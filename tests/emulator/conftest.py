"""The emulator tests' fixtures: ``emulator`` and ``make_emulator`` use ``support.KEY``; a test file with
its own key or settings wraps the helpers of ``support.py`` in fixtures of its own."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.emulator.support import KEY, checked_emulator

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
