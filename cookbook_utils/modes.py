"""Deciding whether a notebook replays its recording, talks to the API, or re-records."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import ENV_API_KEY, ENV_MODE, ENV_RECORD
from .errors import CookbookError


class Mode(enum.StrEnum):
    """How a notebook's HTTP calls are served."""

    REPLAY = "replay"  # from data/cassettes/<slug>.yaml; nothing reaches the network
    LIVE = "live"  # to the real API with the reader's key
    RECORD = "record"  # live, and the recording is rewritten from the responses


@dataclass(frozen=True)
class ModeDecision:
    """The chosen mode, why it was chosen, and the key to use (None in replay)."""

    mode: Mode
    reason: str
    api_key: str | None = None


def _key_from_dotenv(folder: Path) -> str | None:
    """Read ``ASSEMBLYAI_API_KEY`` from a ``.env`` file in ``folder`` or above it."""
    for candidate in (folder, *folder.parents):
        env_file = candidate / ".env"
        if env_file.is_file():
            from dotenv import dotenv_values

            return dotenv_values(env_file).get(ENV_API_KEY) or None
    return None


def find_api_key(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> tuple[str, str] | None:
    """Look for an API key: the environment, then a ``.env`` file, then Colab's secrets.

    Returns ``(key, where it was found)`` or ``None``.
    """
    env = os.environ if env is None else env
    if env.get(ENV_API_KEY):
        return env[ENV_API_KEY], f"${ENV_API_KEY}"
    key = _key_from_dotenv(cwd or Path.cwd())
    if key:
        return key, "a .env file"
    from .colab import key_from_secrets  # imported here: subprocess and friends are not needed off Colab

    key = key_from_secrets()
    if key:
        return key, "Colab's secrets"
    return None


def resolve_mode(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> ModeDecision:
    """Choose the mode from the environment, in the order the design fixes:
    ``COOKBOOK_MODE=replay`` forces replay; otherwise a key means live, or record when
    ``COOKBOOK_RECORD=1``; no key means replay."""
    env = os.environ if env is None else env
    forced = env.get(ENV_MODE, "").strip().lower()
    recording = env.get(ENV_RECORD, "").strip().lower() in {"1", "true", "yes"}
    if forced not in {"", "replay", "live"}:
        raise ValueError(f"{ENV_MODE}={forced!r} is not a mode: use 'replay' or 'live', or unset it.")
    if forced == "replay":
        if recording:
            raise ValueError(f"{ENV_MODE}=replay and {ENV_RECORD}=1 contradict each other: unset one.")
        return ModeDecision(Mode.REPLAY, f"{ENV_MODE}=replay is set")
    found = find_api_key(env, cwd)
    if found is None:
        if recording or forced == "live":
            wanted = f"{ENV_RECORD}=1" if recording else f"{ENV_MODE}=live"
            raise CookbookError(
                f"{wanted} needs an AssemblyAI API key, and none was found. Set {ENV_API_KEY} in the "
                "environment or in a .env file (on Colab: add it under Secrets), or unset "
                f"{wanted} to replay the recording."
            )
        return ModeDecision(Mode.REPLAY, f"no API key found; set {ENV_API_KEY} to run live")
    key, where = found
    if recording:
        return ModeDecision(Mode.RECORD, f"API key from {where} and {ENV_RECORD}=1", key)
    return ModeDecision(Mode.LIVE, f"API key from {where}", key)
