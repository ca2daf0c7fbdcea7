"""What the emulator tests share: a data folder with a copy of the shipped scripts, an emulator
that must have sent nothing against the spec when it stops, and the SDK pointed at it. Each test
file keeps its own key and settings and wraps these in its fixtures."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from tools.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


def scripts_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data folder holding a copy of ``data/scripts`` (a test may add answers beside it)."""
    folder = tmp_path_factory.mktemp("data")
    shutil.copytree(ROOT / "data" / "scripts", folder / "scripts")
    return folder


@contextlib.contextmanager
def checked_emulator(api_key: str, **settings: object) -> Iterator[Emulator]:
    """An emulator running for the ``with`` block; on leaving, its ``violations`` must be empty."""
    from tools.emulator import Emulator

    with Emulator(api_key=api_key, **settings) as running:
        yield running
        assert running.violations == [], "the emulator sent responses that break the spec"


def point_sdk(monkeypatch: pytest.MonkeyPatch, emulator: Emulator, api_key: str) -> None:
    """The SDK's key, both base URLs (transcripts, LLM Gateway) and a fast poll, for this test only."""
    import assemblyai as aai

    monkeypatch.setattr(aai.settings, "api_key", api_key)
    monkeypatch.setattr(aai.settings, "base_url", emulator.base_url)
    monkeypatch.setattr(aai.settings, "llm_gateway_base_url", emulator.base_url)
    monkeypatch.setattr(aai.settings, "polling_interval", 0.01)
