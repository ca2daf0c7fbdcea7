"""The ``Emulator``'s settings from the environment (``tools/emulator/server.py``)."""

import pytest

from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def test_processing_seconds_from_the_environment(monkeypatch):
    from tools.emulator.server import settings_from_env

    monkeypatch.setenv("COOKBOOK_EMULATOR_PROCESSING_SECONDS", "2.5")
    monkeypatch.delenv("COOKBOOK_EMULATOR_FAULTS", raising=False)
    monkeypatch.delenv("COOKBOOK_EMULATOR_ACCOUNT", raising=False)
    expected = {"processing_seconds": 2.5, "faults": None, "account": "paid"}
    assert settings_from_env("no-such-notebook") == expected


def test_a_bad_processing_time_in_the_environment_says_what_to_do(monkeypatch):
    from tools.emulator.server import settings_from_env

    monkeypatch.setenv("COOKBOOK_EMULATOR_PROCESSING_SECONDS", "fast")
    with pytest.raises(ValueError, match="number of seconds"):
        settings_from_env()
