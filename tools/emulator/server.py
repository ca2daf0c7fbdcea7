"""The emulator as one object: ``Emulator`` runs the US and EU ports (``http``) and the streaming
port (``streaming``) over one shared state, as a context manager; ``main()`` is its command line.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cookbook_utils import config
from cookbook_utils.network import serve_in_background
from tools import spec
from tools.emulator import accounts
from tools.emulator.agents import AgentServer
from tools.emulator.faults import FaultPlan
from tools.emulator.http import Handler, RegionServer
from tools.emulator.redacted_audio import HOST as REDACTED_AUDIO_HOST
from tools.emulator.redacted_audio import RedactedAudioServer
from tools.emulator.state import ROOT, State
from tools.emulator.streaming import StreamingServer
from tools.emulator.tts import TTSServer

ENV_PROCESSING = "COOKBOOK_EMULATOR_PROCESSING_SECONDS"
ENV_ACCOUNT = accounts.ENV_ACCOUNT


def recorded_account(slug: str | None, data_dir: Path) -> str:
    """The account a notebook is recorded as: its entry in ``data/accounts.yml`` (a notebook that
    shows a free-credit account's answers), else ``paid``."""
    from cookbook_utils.yamlio import load_yaml

    path = data_dir / "accounts.yml"
    table = load_yaml(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return str((table or {}).get(slug) or "paid")


def settings_from_env(slug: str | None = None, data_dir: Path | None = None) -> dict[str, Any]:
    """Emulator settings for a recording: ``COOKBOOK_EMULATOR_PROCESSING_SECONDS`` (default 0, so
    recording stays fast), the fault plan (``COOKBOOK_EMULATOR_FAULTS`` or ``data/faults/<slug>.json``)
    and the account (``COOKBOOK_EMULATOR_ACCOUNT``: ``paid``, the default, or ``free``; else the
    notebook's entry in ``data/accounts.yml``)."""
    text = os.environ.get(ENV_PROCESSING) or "0"
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{ENV_PROCESSING} must be a number of seconds (e.g. 2.5), not {text!r}") from None
    account = accounts.checked(os.environ.get(ENV_ACCOUNT) or recorded_account(slug, data_dir or ROOT / "data"))
    return {
        "processing_seconds": seconds,
        "faults": FaultPlan.from_env(slug, data_dir or ROOT / "data"),
        "account": account,
    }


class Emulator:
    """The emulator on a free loopback port, as a context manager.

    >>> with Emulator(api_key="k", processing_seconds=2.0) as emulator:
    ...     aai.settings.base_url = emulator.base_url

    ``processing_seconds``: how long a transcript stays queued then processing before it finishes
    (whether or not anyone polls; then its webhook is called). ``faults``: a
    :class:`~tools.emulator.faults.FaultPlan`, also settable later as ``emulator.faults``.
    ``account``: ``paid`` (the default) or ``free``, a free-credit key's gateway (``accounts``);
    ``clock`` and ``rate_window``: the free account's rate-limit clock and window, for tests.
    ``internet``: answer as the real API does from the internet (``State.internet``): it cannot download
    a loopback or private ``audio_url`` nor deliver a webhook to one, and it keeps every URL it was sent
    in ``urls_sent`` (the rehearsal, ``tools/rehearse.py``).
    """

    def __init__(
        self,
        api_key: str,
        notebook: str | None = None,
        data_dir: Path | None = None,
        port: int = 0,
        processing_seconds: float = 0.0,
        faults: FaultPlan | None = None,
        account: str = "paid",
        clock: Callable[[], float] = time.monotonic,
        rate_window: float = accounts.WINDOW_SECONDS,
        internet: bool = False,
    ):
        if not spec.spec_available():
            raise RuntimeError(
                f"the emulator checks everything against the official specs; they are not in {spec.REFERENCE}"
            )
        if processing_seconds < 0:
            raise ValueError(f"processing_seconds must be 0 or more, not {processing_seconds}")
        self.api_key = api_key
        limiter = accounts.RateLimiter(window=rate_window, clock=clock)
        self.state = State(
            Path(data_dir or ROOT / "data"), notebook, processing_seconds, account, limiter, internet=internet
        )
        self.faults = faults
        self.chat_lock = threading.Lock()
        self.requests_seen: list[tuple[str, str]] = []
        self.error_count = 0  # the sequence of error request ids (http.Handler._error_id)
        self.violations: list[str] = self.state.problems  # background failures show here too
        self._server = RegionServer(("127.0.0.1", port), Handler)
        self._server.emulator = self
        # The EU deployment (api.eu / llm-gateway.eu) on a port of its own, sharing the state.
        self._eu_server = RegionServer(("127.0.0.1", 0), Handler, region="eu")
        self._eu_server.emulator = self
        # streaming.assemblyai.com (the /v3/ws WebSocket and GET /v3/token) on a loopback port of its own
        self.streaming = StreamingServer(api_key, self.state.data_dir)
        # tts.us / tts.eu.assemblyai.com (text to speech over HTTP), a port each; their failures show here
        self.tts, self.eu_tts = TTSServer(api_key, "us"), TTSServer(api_key, "eu")
        self.tts.violations = self.eu_tts.violations = self.violations
        self.tts.faults_from = self.eu_tts.faults_from = lambda: self.faults  # one plan for every host
        # agents.assemblyai.com and agents.eu (the Voice Agent /v1/ws and GET /v1/token) on one port of their own
        # Warmed up for a notebook (recording, rehearsal, a whole recipe, the probe, the command line); a test's
        # emulator speaks a reply when a session first asks for it.
        self.agents = AgentServer(api_key, self.state.data_dir, warm=notebook is not None)
        self.agents.violations = self.violations
        # the S3 host of redacted_audio_url (redact_pii_audio's files), on a port of its own, without a key
        self.redacted_audio = RedactedAudioServer(self.state)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def eu_base_url(self) -> str:
        """Where the emulator answers as the EU hosts (``config.EU_API_HOST``, ``config.EU_LLM_GATEWAY_HOST``)."""
        return f"http://127.0.0.1:{self._eu_server.server_port}"

    @property
    def stand_ins(self) -> dict[str, str]:
        """The real hosts that have a host of their own (``COOKBOOK_STAND_INS``) and where the emulator
        answers for each: sync and dictation on the region's main port, told apart there by the
        ``Host`` header the client sends (``sync_dictation.py``), and text to speech on a port per zone."""
        return {
            config.SYNC_HOST: self.base_url,
            config.DICTATION_HOST: self.base_url,
            config.EU_SYNC_HOST: self.eu_base_url,
            config.TTS_HOST: self.tts.base_url,
            config.EU_TTS_HOST: self.eu_tts.base_url,
            config.AGENTS_HOST: self.agents.base_url,
            config.EU_AGENTS_HOST: self.agents.base_url,
            REDACTED_AUDIO_HOST: self.redacted_audio.base_url,
        }

    @property
    def webhooks(self) -> list[dict]:
        """Every webhook delivery made: transcript id, status, the receiver's HTTP status."""
        return self.state.webhooks

    def settle_webhooks(self, timeout_s: float = 30.0) -> None:
        """Wait until every webhook delivery under way has made its last attempt (or ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        with self.state.lock:
            records = list(self.state.transcripts.values())
        for record in records:
            record.delivered.wait(max(0.0, deadline - time.monotonic()))

    @property
    def webhook_attempts(self) -> list[dict]:
        """Every POST of every webhook delivery, retries included (``State.webhook_attempts``)."""
        return self.state.webhook_attempts

    @property
    def urls_sent(self) -> list[tuple[str, str]]:
        """Every ``audio_url`` and ``webhook_url`` a request sent, as ``(field, url)``."""
        return self.state.urls_sent

    @property
    def streaming_url(self) -> str:
        """``ws://127.0.0.1:PORT``, for ``StreamingClientOptions(api_host=...)``."""
        return self.streaming.url

    @property
    def agents_url(self) -> str:
        """``ws://127.0.0.1:PORT``: the Voice Agent API (``/v1/ws``; ``GET /v1/token`` on the same port)."""
        return self.agents.url

    def __enter__(self) -> Emulator:
        serve_in_background(self._server)
        serve_in_background(self._eu_server)
        self.streaming.start()
        self.tts.start()
        self.eu_tts.start()
        self.agents.start()
        self.redacted_audio.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.streaming.stop()
        self.tts.stop()
        self.eu_tts.stop()
        self.agents.stop()
        self.redacted_audio.stop()
        for server in (self._server, self._eu_server):
            server.shutdown()
            server.server_close()
        self.state.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local emulator of AssemblyAI's API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--notebook", help="the notebook whose reference LLM answers to serve")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=None,
        help=f"how long a transcript stays queued/processing (default ${ENV_PROCESSING} or 0)",
    )
    parser.add_argument(
        "--faults", help="a fault plan as JSON, or a path to a JSON file (see tools/emulator/faults.py)"
    )
    parser.add_argument(
        "--account",
        choices=accounts.ACCOUNTS,
        default=None,
        help=f"answer as a paid or a free-credit account (default ${ENV_ACCOUNT} or paid)",
    )
    args = parser.parse_args(argv)
    try:
        settings = settings_from_env(args.notebook)
    except ValueError as error:
        parser.error(str(error))
    if args.account is not None:
        settings["account"] = args.account
    if args.processing_seconds is not None:
        settings["processing_seconds"] = args.processing_seconds
    if args.faults:
        text = Path(args.faults).read_text() if Path(args.faults).is_file() else args.faults
        try:
            settings["faults"] = FaultPlan.from_json(text, "--faults")
        except ValueError as error:
            parser.error(str(error))
    with Emulator(args.api_key, args.notebook, port=args.port, **settings) as emulator:
        print(f"Emulating {config.API_HOST} and {config.LLM_GATEWAY_HOST} at {emulator.base_url}")
        print(f"Answering as a {emulator.state.account} account")
        print(f"Emulating {config.TTS_HOST} at {emulator.tts.base_url}")
        print(f"Emulating {config.EU_TTS_HOST} at {emulator.eu_tts.base_url}")
        print(f"Emulating {config.AGENTS_HOST} at {emulator.agents_url}")
        print(f"Emulating streaming.assemblyai.com at {emulator.streaming_url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
