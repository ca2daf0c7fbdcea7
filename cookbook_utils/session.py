"""``setup(slug)``: the one call at the top of every notebook."""

from __future__ import annotations

import atexit
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import paths
from .config import (
    API_BASE_URL,
    ENV_API_BASE_URL,
    ENV_API_KEY,
    ENV_EU_API_BASE_URL,
    ENV_STAND_INS,
    HOSTS_BY_PATH,
    LLM_GATEWAY_BASE_URL,
    RECORD_COMMAND,
    RECORD_EMULATOR_COMMAND,
    SPEECH_MODELS,
)
from .errors import CookbookError, SetupNeeded
from .modes import Mode, resolve_mode
from .network import allow_network, block_network, is_loopback
from .recording import Recording, Scrubber, read_provenance

#: The key the SDK is given in replay: it must have one, and nothing ever sees it.
REPLAY_KEY = "replay-mode-no-key"

#: Seconds between status polls when the API is a server on this machine (the local emulator):
#: recording against it then takes as long as the emulator does, not the SDK's live interval.
LOCAL_POLLING_INTERVAL_S = 0.01

#: Environment variables whose values are credentials; the recorder blanks them everywhere.
SECRET_ENV_VARS = (
    "ASSEMBLYAI_API_KEY",
    "OPENAI_API_KEY",
    "HF_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


@dataclass(frozen=True)
class Session:
    """What a notebook gets back from :func:`setup`."""

    slug: str
    mode: Mode
    reason: str
    speech_models: tuple[str, ...]
    cassette: Path
    provenance: dict
    #: Real host -> the local emulator's base URL for it, while recording against the emulator.
    stand_ins: dict = field(default_factory=dict)

    def route(self, url: str) -> str:
        """``url`` as written, except while the notebook is re-recorded against the local emulator,
        which answers each region's hosts on a port of its own: then the emulator's address."""
        parts = urlsplit(url)
        base = self.stand_ins.get(parts.hostname or "")
        if base is None:
            return url
        return base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def replaying(self) -> bool:
        """True when HTTP calls are served from the recording."""
        return self.mode is Mode.REPLAY

    @property
    def uses_stand_ins(self) -> bool:
        """True when the cookbook's local stand-ins (a local S3, GitHub, Drive or media server) serve
        what a reader would bring: in replay, and while recording against the local emulator. Never
        live: then the API is on the internet and cannot reach this machine."""
        return self.mode is Mode.REPLAY or (self.mode is Mode.RECORD and bool(self.stand_ins))

    def reader_setting(self, variable: str, what: str, example: str = "") -> str:
        """The value of ``variable``, something only the reader has (``what``: "a link to an audio
        file in a GitHub repository you can read"). Raises :class:`SetupNeeded`, which names the
        variable and says what to set it to, when it is not set."""
        value = os.environ.get(variable, "").strip()
        if value:
            return value
        import textwrap

        hint = f" (for example {example})" if example else ""
        raise SetupNeeded(
            variable,
            textwrap.fill(
                f"Set {variable} to {what}{hint}, then run this cell again. This step runs live on "
                "what you bring; without an API key the notebook replays its recording instead.",
                width=LINE_WIDTH,
            ),
        )

    def audio(self, name: str) -> Path:
        """Path of a reference recording shipped in ``data/audio``."""
        return paths.audio_file(name)

    def media(self, name: str) -> Path:
        """Path of a video shipped in ``data/media``."""
        return paths.media_file(name)

    def text(self, name: str) -> Path:
        """Path of a text shipped in ``data/texts`` (the input of a text-to-speech recipe)."""
        return paths.text_file(name)

    def arrival(self, event: object) -> float:
        """When ``event`` (an event of a text-to-speech or voice-agent WebSocket session, or its message)
        arrived, in seconds: a clock live, the time in the recording in replay. Subtract two of one
        session's."""
        from .recording import streams

        return streams.arrival(event)

    @property
    def stream_pace(self) -> float:
        """Seconds of wall time per second of audio a notebook streams: 1.0 (as fast as it was spoken),
        or in replay ``COOKBOOK_REPLAY_PACE`` (unset: 0, at once; the recording holds the timing)."""
        if self.mode is not Mode.REPLAY:
            return 1.0
        return float(os.environ.get("COOKBOOK_REPLAY_PACE") or 0.0)


_active: Recording | None = None
_mode: Mode | None = None  # the mode of the last setup() in this process
#: Real host -> the local server that answers for it, while one does (:func:`_route_real_hosts`).
_routes: dict[bytes, tuple[bytes, bytes, int | None]] = {}


def _route_real_hosts(stand_ins: dict[str, str]) -> None:
    """While a local emulator answers for the real hosts (recording against it, a rehearsal), send a
    request a cell writes for a real host (a whole recipe's literal ``"https://api.eu.assemblyai.com"``)
    to the emulator's address for that host. It happens below httpx (and httpx2, which the ``openai``
    package uses) and the recorder, so the cell runs
    as a reader writes it and the recording names the real host. Empty ``stand_ins`` (replay, or the
    real API): nothing is routed."""
    _routes.clear()
    for host, base in stand_ins.items():
        parts = urlsplit(base)
        _routes[host.encode()] = (parts.scheme.encode(), (parts.hostname or "").encode(), parts.port)
    if not _routes:
        return
    import httpcore

    _route_below(httpcore)
    try:  # the `openai` package (3.x) sends through httpx2, on httpcore2
        import httpcore2
    except ImportError:
        return
    _route_below(httpcore2)


def _route_below(core) -> None:
    """Patch ``core`` (``httpcore`` or ``httpcore2``): its pools send a routed host to its stand-in."""
    if getattr(core.ConnectionPool.handle_request, "_cookbook_routes", False):
        return
    original = core.ConnectionPool.handle_request

    def handle_request(self, request):
        route = _routes.get(request.url.host)
        if route is not None:
            scheme, host, port = route
            request.url = core.URL(scheme=scheme, host=host, port=port, target=request.url.target)
        return original(self, request)

    handle_request._cookbook_routes = True
    core.ConnectionPool.handle_request = handle_request


def _single_host_stand_ins() -> dict[str, str]:
    """``COOKBOOK_STAND_INS``: each real host a local server answers for alone (sync, dictation, text
    to speech), as ``{"sync.assemblyai.com": "http://127.0.0.1:PORT", ...}``."""
    import json

    text = os.environ.get(ENV_STAND_INS, "").strip()
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, str) and "://" in v for v in found.values()):
        raise CookbookError(
            f"{ENV_STAND_INS} must be a JSON object of real hosts and the local servers that answer for "
            f'them, for example {{"tts.us.assemblyai.com": "http://127.0.0.1:8766"}}; it is {text!r}'
        )
    return {host: url.rstrip("/") for host, url in found.items()}


def current_mode() -> Mode | None:
    """The mode the last :func:`setup` in this process chose (None before any)."""
    return _mode


def _close_active() -> None:
    global _active
    if _active is not None:
        _active.close()
        _active = None


def save_recording() -> Path | None:
    """Finish a record-mode run: write the cassette. Returns its path (None if not recording)."""
    global _active
    if _active is None or not _active.record:
        return None
    path = _active.close()
    _active = None
    return path


def _describe_source(source: dict) -> str:
    where = "the local emulator" if source.get("source") == "emulator" else source.get("source", "an unknown source")
    when = f" on {source['recorded_on']}" if source.get("recorded_on") else ""
    return f"recorded against {where}{when}"


#: Printed lines stay within this many columns (the house style), so the site never scrolls them.
LINE_WIDTH = 88


def replay_line(slug: str, source: dict, *, llm: bool = False) -> str:
    """What a reader sees in replay: where the answers come from and how to run live. It says the
    same whether replay was forced (the tests) or chosen because no key was found."""
    import textwrap

    text = (
        f"Mode: replay. No API key is in use, so the API calls are answered from the recording "
        f"data/cassettes/{slug}.yaml, {_describe_source(source)}."
    )
    if source.get("source") == "emulator":
        text += " The emulator answers from the script the audio was made from"
        text += ", and its LLM answers are reference answers written for it." if llm else "."
    text += f" Set {ENV_API_KEY} to run against the real API and see its own output."
    return textwrap.fill(text, width=LINE_WIDTH)


def _error_cell_line(tb) -> tuple[int, str] | None:
    """``(line number, source line)`` of the innermost frame that is a notebook cell."""
    import re
    import traceback

    cell = re.compile(r"(^<ipython-input-|^<cell|ipykernel_\d+[/\\])")
    frames = [f for f in traceback.extract_tb(tb) if cell.search(f.filename)]
    return (frames[-1].lineno or 0, (frames[-1].line or "").strip()) if frames else None


def short_traceback(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """IPython's handler for :class:`CookbookError`: the error's message and the notebook line that
    raised it, instead of a long traceback through the HTTP and recording libraries."""
    found = _error_cell_line(tb)
    lines = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}"]
    if found:
        lines.append(f"Raised in this cell, line {found[0]}: {found[1]}")
    shell._showtraceback(etype, value, lines)
    return lines


#: Causes and messages of the LLM Gateway's errors that get advice of their own: the real texts of a
#: free-credit account's answers, captured on 2026-09-24 (../shared/real-responses/probes/
#: live-2026-09-24-smoke.json: ``no_model_access_400`` and the understanding ``status_429``).
NO_MODEL_ACCESS = "Your account does not have access to this LLM Gateway model"
RATE_LIMITED = "too many requests for this action"

#: What to do, by case. SDK 1.8.2's ``LLMGatewayError`` keeps no response headers, so the 429's
#: ``retry-after`` cannot be read from it: the advice says a minute, the free-credit window.
GATEWAY_ADVICE = {
    "model access": (
        "This account cannot use the model the cell asks for (LLM_MODEL, set in the setup "
        "cell). Pick a model your plan includes (see your dashboard; aai.LLMGateway().models.list() "
        "or GET /v1/models gives every model's id, usable or not), set LLM_MODEL to it and run "
        "again, or upgrade the account."
    ),
    "rate limit": (
        "The account's rate limit for this action is used up. Wait a minute (the response's "
        "retry-after header gives the seconds; the SDK's error does not keep it), then run "
        "the cell again."
    ),
    "auth": "Check ASSEMBLYAI_API_KEY, and that the account may use the LLM Gateway.",
    "server": "A fault on the gateway's side: run the cell again in a moment.",
    "request": "The request was refused: the cause above says what to change.",
}


def gateway_error_lines(error, where: str | None = None) -> list[str]:
    """The lines that show an ``assemblyai.types.LLMGatewayError``: status, message and causes,
    the request id, ``where`` (the line that raised it), and what to do (wrapped to
    :data:`LINE_WIDTH`)."""
    import textwrap

    status = getattr(error, "status_code", None)
    causes = [str(c) for c in getattr(error, "errors", None) or []]
    head = f"{type(error).__name__} ({status}): {error}"
    lines = [head + (f": {'; '.join(causes)}" if causes else "")]
    if getattr(error, "request_id", None):
        lines.append(f"Request id: {error.request_id}")
    if where:
        lines.append(where)
    if any(NO_MODEL_ACCESS in c for c in causes):
        case = "model access"
    elif status == 429 or RATE_LIMITED in str(error):
        case = "rate limit"
    elif status == 401:
        case = "auth"
    elif status is not None and status >= 500:
        case = "server"
    else:
        case = "request"
    lines += textwrap.wrap(f"What to do: {GATEWAY_ADVICE[case]}", width=LINE_WIDTH)
    return lines


def short_gateway_traceback(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """IPython's handler for the SDK's ``LLMGatewayError``: :func:`gateway_error_lines` and the
    notebook line that raised it, instead of a traceback through the SDK and httpx."""
    found = _error_cell_line(tb)
    where = f"Raised in this cell, line {found[0]}: {found[1]}" if found else None
    first, *rest = gateway_error_lines(value, where)
    name = etype.__name__
    lines = [first.replace(name, f"\x1b[0;31m{name}\x1b[0m", 1), *rest]
    shell._showtraceback(etype, value, lines)
    return lines


def _show_short(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """The one custom handler IPython takes: gateway errors one way, cookbook errors the other."""
    from assemblyai.types import LLMGatewayError

    if isinstance(value, LLMGatewayError):
        return short_gateway_traceback(shell, etype, value, tb, tb_offset)
    return short_traceback(shell, etype, value, tb, tb_offset)


def install_error_display() -> bool:
    """In IPython or Jupyter, show a :class:`CookbookError` as :func:`short_traceback` does and the
    SDK's ``LLMGatewayError`` as :func:`short_gateway_traceback` does; other errors keep their full
    traceback. Returns False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    from assemblyai.types import LLMGatewayError

    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((CookbookError, LLMGatewayError), _show_short)
    return True


def _sdk_default_polling_interval() -> float:
    """The polling interval the SDK itself starts with (what a live run keeps)."""
    import assemblyai as aai

    fields = getattr(type(aai.settings), "model_fields", None) or getattr(type(aai.settings), "__fields__", {})
    default = getattr(fields.get("polling_interval"), "default", None)
    return float(default) if isinstance(default, (int, float)) else 3.0


def _configure_sdk(api_key: str, base_url: str, *, replay: bool) -> None:
    import assemblyai as aai

    aai.settings.api_key = api_key
    aai.settings.base_url = base_url
    aai.settings.llm_gateway_base_url = base_url if base_url != API_BASE_URL else LLM_GATEWAY_BASE_URL
    if replay:
        aai.settings.polling_interval = 0  # recorded responses come back at once
    elif is_loopback(urlsplit(base_url).hostname):
        aai.settings.polling_interval = LOCAL_POLLING_INTERVAL_S  # the emulator answers at once too
    else:
        aai.settings.polling_interval = _sdk_default_polling_interval()


#: The plain-text form of a table (what a terminal or a stored notebook's text shows, beside the HTML a
#: reader sees): columns cut at this many characters, rows wrapped at the page's width.
PLAIN_TABLE_COLUMN = 40


def _plain_table(frame) -> str:
    return frame.to_string(max_colwidth=PLAIN_TABLE_COLUMN, line_width=LINE_WIDTH)


def show_table_text_whole() -> None:
    """Let pandas show a table's text in full: JupyterLab and the site wrap it, where pandas' default
    cuts every cell at 50 characters (a Drive link's ``resourcekey``, a model's answer). In a notebook,
    the plain-text form that goes with the HTML stays within the page's width (columns cut, rows
    wrapped), and a ``Styler``'s is its table's text instead of ``<Styler at 0x...>``, which says
    nothing and changes on every run."""
    if importlib.util.find_spec("pandas") is None:
        return
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    try:
        from IPython import get_ipython
        from pandas.io.formats.style import Styler
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        plain = shell.display_formatter.formatters["text/plain"]
        plain.for_type(pd.DataFrame, lambda frame, printer, cycle: printer.text(_plain_table(frame)))
        plain.for_type(Styler, lambda styler, printer, cycle: printer.text(_plain_table(styler.data)))


def setup(slug: str, *, quiet: bool = False) -> Session:
    """Prepare a notebook: choose the mode, configure the SDK, start replay or recording.

    Prints one line saying which mode was chosen and why. Raises :class:`CookbookError` for a
    slug that names no notebook, and when replay is chosen but the notebook has no recording.
    """
    global _active, _mode
    install_error_display()
    show_table_text_whole()
    paths.notebook_path(slug)  # an unknown slug fails here, with suggestions
    decision = resolve_mode()
    _mode = decision.mode
    cassette = paths.cassette_path(slug)
    _close_active()

    if decision.mode is Mode.REPLAY:
        if not cassette.is_file():
            raise CookbookError(
                f"Notebook {slug!r} has no recording at {cassette}, so it cannot run in replay mode "
                f"({decision.reason}). Set ASSEMBLYAI_API_KEY to run it live, or record it: "
                f"`{RECORD_COMMAND.format(slug=slug)}` (with a key) or "
                f"`{RECORD_EMULATOR_COMMAND.format(slug=slug)}`."
            )
        source = read_provenance(cassette)
        stand_ins: dict[str, str] = {}
        block_network("replay")  # below every HTTP library: only this machine can be reached
        _configure_sdk(REPLAY_KEY, API_BASE_URL, replay=True)
        _active = Recording(cassette, record=False, scrubber=Scrubber())
        line = replay_line(slug, source, llm="://llm-gateway." in cassette.read_text(encoding="utf-8"))
    else:
        allow_network()  # a replay earlier in this kernel sealed it
        base_url = os.environ.get(ENV_API_BASE_URL, "").rstrip("/") or API_BASE_URL
        _configure_sdk(decision.api_key or "", base_url, replay=False)
        source = {}
        stand_ins = {}
        eu_base_url = os.environ.get(ENV_EU_API_BASE_URL, "").rstrip("/")
        single_hosts: dict[str, str] = {}  # a stand-in's host:port -> the one real host it answers for
        if base_url != API_BASE_URL:  # a local stand-in (the emulator) answers for the real hosts
            stand_ins = {host: base_url for _, host in HOSTS_BY_PATH["us"]}
            if eu_base_url:
                stand_ins.update({host: eu_base_url for _, host in HOSTS_BY_PATH["eu"]})
            named = _single_host_stand_ins()
            stand_ins.update(named)
            netlocs = [urlsplit(url).netloc for url in named.values()]
            # a server answering for one host only: a request to its address is recorded as that host's
            single_hosts = {urlsplit(u).netloc: h for h, u in named.items() if netlocs.count(urlsplit(u).netloc) == 1}
        if decision.mode is Mode.RECORD:
            stand_in = urlsplit(base_url).netloc if base_url != API_BASE_URL else None
            eu_stand_in = urlsplit(eu_base_url).netloc if stand_in and eu_base_url else None
            origin = "emulator" if stand_in else urlsplit(API_BASE_URL).netloc
            secrets = [decision.api_key or ""] + [os.environ.get(n, "") for n in SECRET_ENV_VARS]
            scrubber = Scrubber(secrets, stand_in, eu_stand_in, single_hosts)
            _active = Recording(cassette, record=True, scrubber=scrubber, source=origin)
            atexit.register(save_recording)
            source = {"source": origin}
            line = f"Mode: record ({decision.reason}). Rewriting data/cassettes/{cassette.name} from {base_url}."
        else:
            line = f"Mode: live ({decision.reason}). Requests go to {base_url}."
    _route_real_hosts(stand_ins)
    from .recording import streams  # WebSocket sessions on the text-to-speech hosts: replayed, recorded, routed

    streams.open_sessions(slug, decision.mode, stand_ins, api_key=decision.api_key or "")
    if not quiet:
        print(line)
    return Session(slug, decision.mode, decision.reason, tuple(SPEECH_MODELS), cassette, source, stand_ins)
