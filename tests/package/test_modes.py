"""Mode resolution: the order of the rules and the errors for contradictory settings."""

import pytest

from cookbook_utils import CookbookError, Mode, resolve_mode


@pytest.fixture
def no_dotenv(tmp_path):
    """A working folder with no .env file anywhere above it that we control."""
    return tmp_path


def test_no_key_means_replay(no_dotenv):
    decision = resolve_mode({}, cwd=no_dotenv)
    assert decision.mode is Mode.REPLAY
    assert "no API key" in decision.reason
    assert decision.api_key is None


def test_key_in_environment_means_live(no_dotenv):
    decision = resolve_mode({"ASSEMBLYAI_API_KEY": "k" * 32}, cwd=no_dotenv)
    assert decision.mode is Mode.LIVE
    assert decision.api_key == "k" * 32
    assert "$ASSEMBLYAI_API_KEY" in decision.reason


def test_replay_forced_even_with_a_key(no_dotenv):
    decision = resolve_mode({"ASSEMBLYAI_API_KEY": "k" * 32, "COOKBOOK_MODE": "replay"}, cwd=no_dotenv)
    assert decision.mode is Mode.REPLAY
    assert decision.api_key is None
    assert "COOKBOOK_MODE=replay" in decision.reason


def test_record_needs_key_and_flag(no_dotenv):
    decision = resolve_mode({"ASSEMBLYAI_API_KEY": "k" * 32, "COOKBOOK_RECORD": "1"}, cwd=no_dotenv)
    assert decision.mode is Mode.RECORD


def test_record_without_key_says_what_to_do(no_dotenv):
    with pytest.raises(CookbookError, match="ASSEMBLYAI_API_KEY"):
        resolve_mode({"COOKBOOK_RECORD": "1"}, cwd=no_dotenv)


def test_live_forced_without_key_fails(no_dotenv):
    with pytest.raises(CookbookError, match="COOKBOOK_MODE=live"):
        resolve_mode({"COOKBOOK_MODE": "live"}, cwd=no_dotenv)


def test_contradiction_is_refused(no_dotenv):
    with pytest.raises(ValueError, match="contradict"):
        resolve_mode({"COOKBOOK_MODE": "replay", "COOKBOOK_RECORD": "1"}, cwd=no_dotenv)


def test_unknown_mode_is_refused(no_dotenv):
    with pytest.raises(ValueError, match="not a mode"):
        resolve_mode({"COOKBOOK_MODE": "offline"}, cwd=no_dotenv)


def test_key_from_dotenv_in_a_parent_folder(tmp_path):
    (tmp_path / ".env").write_text("ASSEMBLYAI_API_KEY=from-dotenv-1234\n")
    nested = tmp_path / "notebooks" / "speakers"
    nested.mkdir(parents=True)
    decision = resolve_mode({}, cwd=nested)
    assert decision.mode is Mode.LIVE
    assert decision.api_key == "from-dotenv-1234"
    assert ".env" in decision.reason


def test_key_from_colab_secrets(tmp_path, monkeypatch):
    import sys
    import types

    userdata = types.SimpleNamespace(get=lambda name: "from-colab-5678" if name == "ASSEMBLYAI_API_KEY" else None)
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    decision = resolve_mode({}, cwd=tmp_path)
    assert decision.mode is Mode.LIVE
    assert decision.api_key == "from-colab-5678"
    assert "Colab" in decision.reason
