"""Live mode and what only the reader has: ``Session.uses_stand_ins``, ``Session.reader_setting`` and
``SetupNeeded``, and the stand-ins' refusal to start in a live run."""

from __future__ import annotations

import json

import pytest

import cookbook_utils as cu
from cookbook_utils import paths
from cookbook_utils.standins import refuse_when_live

KEY = "live-setup-test-key"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with one notebook, ``demo``, and a recording of it."""
    (tmp_path / "notebooks" / "speakers").mkdir(parents=True)
    (tmp_path / "notebooks" / "speakers" / "demo.ipynb").write_text(json.dumps({"cells": []}))
    (tmp_path / "data" / "cassettes").mkdir(parents=True)
    (tmp_path / "data" / "cassettes" / "demo.yaml").write_text("provenance: {source: emulator}\ninteractions: []\n")
    monkeypatch.setenv("COOKBOOK_ROOT", str(tmp_path))
    for name in ("COOKBOOK_MODE", "COOKBOOK_RECORD", "ASSEMBLYAI_API_KEY", "COOKBOOK_API_BASE_URL", "COOKBOOK_X"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    paths.project_root.cache_clear()
    yield tmp_path
    cu.session._close_active()
    cu.session._mode = None
    paths.project_root.cache_clear()


def test_stand_ins_serve_replay_and_recording_against_the_emulator_but_never_a_live_run(project, monkeypatch):
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    assert cu.setup("demo", quiet=True).uses_stand_ins
    monkeypatch.delenv("COOKBOOK_MODE")
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
    live = cu.setup("demo", quiet=True)
    assert live.mode is cu.Mode.LIVE and not live.uses_stand_ins
    monkeypatch.setenv("COOKBOOK_API_BASE_URL", "http://127.0.0.1:9")  # live against a local server: still live
    assert not cu.setup("demo", quiet=True).uses_stand_ins
    monkeypatch.setenv("COOKBOOK_RECORD", "1")
    assert cu.setup("demo", quiet=True).uses_stand_ins  # recording against the emulator
    cu.session._close_active()


def test_a_stand_in_refuses_to_start_in_a_live_run_and_says_why(project, monkeypatch):
    refuse_when_live("a local S3")  # no setup yet: tests start stand-ins freely
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
    cu.setup("demo", quiet=True)
    with pytest.raises(cu.CookbookError, match="a local S3 is a local stand-in.*cannot reach this machine"):
        refuse_when_live("a local S3")
    from cookbook_utils.standins.web import LocalServer

    with pytest.raises(cu.CookbookError, match="a local web server"):
        LocalServer(project)


def test_reader_setting_returns_the_value_or_names_the_variable_to_set(project, monkeypatch):
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
    session = cu.setup("demo", quiet=True)
    with pytest.raises(cu.SetupNeeded) as raised:
        session.reader_setting("COOKBOOK_X", "a link to an audio file you can share", "https://example.com/a.mp3")
    assert raised.value.variable == "COOKBOOK_X"
    message = str(raised.value)
    assert message.startswith("Set COOKBOOK_X to a link to an audio file you can share (for example")
    assert all(len(line) <= 88 for line in message.splitlines())
    monkeypatch.setenv("COOKBOOK_X", "  https://example.com/b.mp3 ")
    assert session.reader_setting("COOKBOOK_X", "a link") == "https://example.com/b.mp3"
