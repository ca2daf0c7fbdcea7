"""What the emulator tests share, imported by name: a data folder with a copy of the shipped scripts,
an emulator that must have sent nothing against the spec when it stops, the SDK pointed at it, and
plain clients (``call``, ``submit``, ``wait``). The fixtures are in ``conftest.py``."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from cookbook_utils import config

if TYPE_CHECKING:
    from tools.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-service-test-key"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter
AUDIO_URL = "https://example.com/media/support-call.mp3"


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


def call(emulator: Emulator, method: str, path: str, key: str = KEY, **kwargs: Any) -> requests.Response:
    """One request to the emulator's US port, with ``key`` as the API key."""
    kwargs.setdefault("timeout", 10)
    headers = {"authorization": key, **kwargs.pop("headers", {})}
    return requests.request(method, f"{emulator.base_url}{path}", headers=headers, **kwargs)


def submit(emulator: Emulator, **extra: Any) -> dict:
    """POST /v2/transcript for ``AUDIO_URL`` (or what ``extra`` sets), which must be accepted."""
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": MODELS, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def wait(emulator: Emulator, transcript_id: str, key: str = KEY, seconds: float = 30.0) -> dict:
    """Poll as a client does until the transcript finishes.

    With ``processing_seconds=0`` a transcript finishes as soon as its audio is known, but a loopback
    ``audio_url`` is downloaded on a thread: on a loaded machine that can outlast a few back-to-back
    polls, so poll against a deadline (a download that hangs still fails here).
    """
    deadline = time.monotonic() + seconds
    while True:
        result = call(emulator, "GET", f"/v2/transcript/{transcript_id}", key=key).json()
        if result["status"] in {"completed", "error"}:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"the transcript never finished in {seconds:.0f} s: {result['status']}")
        time.sleep(0.02)
