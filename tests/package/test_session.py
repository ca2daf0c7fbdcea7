"""setup(): the one line it prints, the SDK settings it makes, and its errors."""

import json

import assemblyai as aai
import httpx
import pytest

import cookbook_utils as cu
from cookbook_utils import paths
from cookbook_utils.network import serve_in_background
from cookbook_utils.recording import Recording, Scrubber
from tests.package.test_recording import KEY, _Echo  # noqa: F401  (the stand-in server)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throwaway cookbook folder with one notebook, 'demo', and no recording yet."""
    (tmp_path / "notebooks" / "speakers").mkdir(parents=True)
    (tmp_path / "notebooks" / "speakers" / "demo.ipynb").write_text(json.dumps({"cells": []}))
    (tmp_path / "data" / "cassettes").mkdir(parents=True)
    monkeypatch.setenv("COOKBOOK_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("COOKBOOK_MODE", "COOKBOOK_RECORD", "ASSEMBLYAI_API_KEY", "COOKBOOK_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    paths.project_root.cache_clear()
    yield tmp_path
    cu.session._close_active()
    paths.project_root.cache_clear()


def _write_cassette(project):
    path = project / "data" / "cassettes" / "demo.yaml"
    recording = Recording(path, record=True, scrubber=Scrubber(), source="emulator")
    recording.close()
    return path


def test_unknown_slug_suggests_the_closest(project):
    with pytest.raises(cu.CookbookError, match="Did you mean 'demo'"):
        cu.setup("demos")


def test_replay_without_a_recording_says_what_to_do(project):
    with pytest.raises(cu.CookbookError, match="has no recording") as caught:
        cu.setup("demo")
    message = str(caught.value)
    assert "data/cassettes/demo.yaml" in message
    assert "ASSEMBLYAI_API_KEY" in message and "make record NOTEBOOK=demo" in message


def test_replay_line_and_sdk_settings(project, capsys):
    _write_cassette(project)
    session = cu.setup("demo")
    out = capsys.readouterr().out.strip()
    assert out.startswith("Mode: replay. No API key is in use")
    line = " ".join(out.split())
    assert "recording data/cassettes/demo.yaml, recorded against the local emulator on " in line
    assert "answers from the script the audio was made from." in line and "reference answers" not in line
    assert "Set ASSEMBLYAI_API_KEY to run against the real API" in line
    assert max(len(printed) for printed in out.split("\n")) <= 88
    assert session.replaying and session.mode is cu.Mode.REPLAY
    assert list(session.speech_models) == cu.SPEECH_MODELS
    assert aai.settings.polling_interval == 0
    assert aai.settings.base_url == "https://api.assemblyai.com"
    # The replay is active: an unrecorded call fails without touching the network.
    with pytest.raises(cu.CookbookError, match="does not hold"):
        httpx.get("https://api.assemblyai.com/v2/transcript/nope")


def test_forced_replay_says_so(project, capsys, monkeypatch):
    _write_cassette(project)
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    session = cu.setup("demo")
    # what a reader would see: the same line as without a key; the reason stays on the session
    assert capsys.readouterr().out.startswith("Mode: replay. No API key is in use")
    assert session.reason == "COOKBOOK_MODE=replay is set"
    assert aai.settings.api_key != KEY


def test_live_with_a_key(project, capsys, monkeypatch):
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
    session = cu.setup("demo")
    assert session.mode is cu.Mode.LIVE
    assert capsys.readouterr().out.strip() == (
        "Mode: live (API key from $ASSEMBLYAI_API_KEY). Requests go to https://api.assemblyai.com."
    )
    assert aai.settings.api_key == KEY and aai.settings.polling_interval > 0


def test_record_against_a_stand_in(project, capsys, monkeypatch):
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    serve_in_background(server)
    try:
        monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
        monkeypatch.setenv("COOKBOOK_RECORD", "1")
        monkeypatch.setenv("COOKBOOK_API_BASE_URL", f"http://127.0.0.1:{server.server_port}")
        session = cu.setup("demo")
        assert session.mode is cu.Mode.RECORD
        assert capsys.readouterr().out.startswith("Mode: record (")
        httpx.get(f"{aai.settings.base_url}/v2/transcript/t1", headers={"authorization": KEY})
        path = cu.save_recording()
    finally:
        server.shutdown()
    text = path.read_text()
    assert "https://api.assemblyai.com/v2/transcript/t1" in text and KEY not in text
    assert "source: emulator" in text


CELL_RAISING = """\
from cookbook_utils.errors import CookbookError
from cookbook_utils.session import install_error_display

assert install_error_display()


def deep(n):
    if n == 0:
        raise CookbookError("No recording holds this request: re-record with `make record-emulator`.")
    deep(n - 1)


def deep_gateway(error, n=5):
    if n == 0:
        raise error
    deep_gateway(error, n - 1)


deep(30)
"""

CELL_GATEWAY = """\
from assemblyai.types import LLMGatewayError
cause = "Your account does not have access to this LLM Gateway model"
call = lambda: deep_gateway(LLMGatewayError("invalid request body", 400, "r-1", [cause]))
call()
"""


def test_a_cookbook_error_in_a_notebook_shows_its_message_and_the_line_not_a_long_traceback():
    import nbformat
    from nbclient import NotebookClient

    from tools.kernels import IPCAsyncKernelManager

    nb = nbformat.v4.new_notebook()
    from_library = "import cookbook_utils as cu\n\ncu.setup('no-such-recipe')"
    cells = (CELL_RAISING, "raise ValueError('plain')", from_library, CELL_GATEWAY)
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(
        nb,
        timeout=60,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        allow_errors=True,
    )
    client.execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CookbookError"
    text = "\n".join(error.traceback)
    assert "No recording holds this request" in text
    assert "Raised in this cell, line 9: raise CookbookError(" in text  # the innermost line of the notebook
    assert len(error.traceback) <= 3 and "deep(n - 1)" not in text, error.traceback
    assert "/tmp/" not in text and "ipykernel_" not in text  # no machine paths
    # other errors keep IPython's full traceback
    (plain,) = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert plain.ename == "ValueError" and len(plain.traceback) > 1
    # raised inside cookbook_utils: the line shown is the notebook's call
    (unknown,) = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert unknown.ename == "CookbookError"
    assert "Raised in this cell, line 3: cu.setup('no-such-recipe')" in unknown.traceback[-1]
    assert len(unknown.traceback) == 2
    # the SDK's LLMGatewayError: a few lines with its cause and what to do, no traceback
    (gateway,) = [o for o in nb.cells[3].outputs if o.output_type == "error"]
    text = "\n".join(gateway.traceback)
    assert gateway.ename == "LLMGatewayError" and len(gateway.traceback) <= 7, gateway.traceback
    assert "(400): invalid request body: Your account does not have access to this LLM Gateway model" in text
    assert "Request id: r-1" in text and "Raised in this cell, line 15: raise error" in text
    assert "LLM_MODEL" in text and "Traceback" not in text and "----> " not in text


def test_the_replay_line_mentions_reference_answers_only_for_llm_recordings():
    from cookbook_utils.session import replay_line

    source = {"source": "emulator", "recorded_on": "2026-01-02"}
    assert "reference answers written for it" in " ".join(replay_line("x", source, llm=True).split())
    assert "reference answers" not in replay_line("x", source, llm=False)
    real = " ".join(replay_line("x", {"source": "api.assemblyai.com", "recorded_on": "2026-01-02"}).split())
    assert "recorded against api.assemblyai.com on 2026-01-02" in real and "emulator" not in real


def test_a_request_written_for_a_real_eu_host_reaches_the_emulator_standing_in_for_it(project, monkeypatch):
    """While a local server answers for the real hosts (recording against the emulator, a rehearsal),
    a cell's literal ``https://api.eu.assemblyai.com`` goes to the server named for the EU hosts;
    replay routes nothing."""
    from http.server import ThreadingHTTPServer

    us, eu = ThreadingHTTPServer(("127.0.0.1", 0), _Echo), ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    for server in (us, eu):
        serve_in_background(server)
    try:
        monkeypatch.setenv("COOKBOOK_MODE", "live")
        monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
        monkeypatch.setenv("COOKBOOK_API_BASE_URL", f"http://127.0.0.1:{us.server_port}")
        monkeypatch.setenv("COOKBOOK_EU_API_BASE_URL", f"http://127.0.0.1:{eu.server_port}")
        session = cu.setup("demo", quiet=True)
        assert session.stand_ins["api.eu.assemblyai.com"].endswith(f":{eu.server_port}")
        answer = httpx.get("https://api.eu.assemblyai.com/v2/transcript/t1", timeout=5)
        assert answer.json()["path"] == "/v2/transcript/t1"
        assert cu.session._routes[b"api.eu.assemblyai.com"][2] == eu.server_port
        monkeypatch.setenv("COOKBOOK_API_BASE_URL", "")
        monkeypatch.setenv("COOKBOOK_EU_API_BASE_URL", "")
        cu.setup("demo", quiet=True)  # the real API: nothing is routed
        assert cu.session._routes == {}
    finally:
        for server in (us, eu):
            server.shutdown()


def test_sync_dictation_and_text_to_speech_requests_reach_the_stand_ins_named_for_their_hosts(project, monkeypatch):
    """Sync, dictation and text to speech each have a host of their own (two of them with the same
    paths), so a local server answers for one host only, named in COOKBOOK_STAND_INS; a recording names
    each real host."""
    from http.server import ThreadingHTTPServer

    servers = {host: ThreadingHTTPServer(("127.0.0.1", 0), _Echo) for host in ("sync", "dictation", "tts.us")}
    for server in servers.values():
        serve_in_background(server)
    named = {f"{host}.assemblyai.com": f"http://127.0.0.1:{s.server_port}/" for host, s in servers.items()}
    try:
        monkeypatch.setenv("COOKBOOK_MODE", "live")
        monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
        monkeypatch.setenv("COOKBOOK_API_BASE_URL", "http://127.0.0.1:9")
        monkeypatch.setenv("COOKBOOK_STAND_INS", json.dumps(named))
        cu.setup("demo", quiet=True)
        for host, path in [
            ("sync", "/v1/transcribe/live"),
            ("dictation", "/v1/transcribe/live"),
            ("tts.us", "/v1/speech"),
        ]:
            answer = httpx.get(f"https://{host}.assemblyai.com{path}", timeout=5)
            assert answer.json()["path"] == path
            assert cu.session._routes[f"{host}.assemblyai.com".encode()][2] == servers[host].server_port
        assert b"tts.eu.assemblyai.com" not in cu.session._routes, "no EU stand-in was named"
        monkeypatch.setenv("COOKBOOK_STAND_INS", "tts.us.assemblyai.com=http://127.0.0.1:1")
        with pytest.raises(cu.CookbookError, match="COOKBOOK_STAND_INS must be a JSON object"):
            cu.setup("demo", quiet=True)
    finally:
        for server in servers.values():
            server.shutdown()
    scrubber = Scrubber([], "127.0.0.1:1111", "127.0.0.1:2222", {"127.0.0.1:3333": "sync.assemblyai.com"})
    assert (
        scrubber.real_uri("http://127.0.0.1:3333/v1/transcribe/live")
        == "https://sync.assemblyai.com/v1/transcribe/live"
    )
    assert scrubber.real_uri("http://127.0.0.1:1111/v1/models") == "https://llm-gateway.assemblyai.com/v1/models"
    assert scrubber.real_uri("http://127.0.0.1:2222/v2/transcript") == "https://api.eu.assemblyai.com/v2/transcript"


def test_a_request_the_openai_package_sends_through_httpx2_reaches_the_stand_in_too(project, monkeypatch):
    """The ``openai`` package (3.x) sends through httpx2 and httpcore2, not httpx: a real host it is
    pointed at (``https://tts.us.assemblyai.com/v1/openai``) reaches the stand-in named for it."""
    httpx2 = pytest.importorskip("httpx2")
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    serve_in_background(server)
    try:
        monkeypatch.setenv("COOKBOOK_MODE", "live")
        monkeypatch.setenv("ASSEMBLYAI_API_KEY", KEY)
        monkeypatch.setenv("COOKBOOK_API_BASE_URL", "http://127.0.0.1:9")
        monkeypatch.setenv(
            "COOKBOOK_STAND_INS", json.dumps({"tts.us.assemblyai.com": f"http://127.0.0.1:{server.server_port}"})
        )
        cu.setup("demo", quiet=True)
        with httpx2.Client(timeout=5) as client:
            answer = client.get("https://tts.us.assemblyai.com/v1/openai/audio/speech")
        assert answer.json()["path"] == "/v1/openai/audio/speech"
    finally:
        server.shutdown()


def test_setup_lets_tables_show_their_text_whole_and_a_styler_its_table():
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    from cookbook_utils.session import show_table_text_whole

    shell = InteractiveShell.instance()
    try:
        pd.set_option("display.max_colwidth", 50)
        show_table_text_whole()
        frame = pd.DataFrame({"link": ["https://drive.google.com/uc?id=1AbC&resourcekey=0-XyZ" + "q" * 40]})
        assert "resourcekey=0-XyZ" + "q" * 40 in frame.to_string(), "pandas still cuts the cell"
        plain = shell.display_formatter.format(frame.style.format(precision=1))[0]["text/plain"]
        assert " at 0x" not in plain and "https://drive.google.com" in plain, plain
        wide = pd.DataFrame({f"column {i}": ["x" * 70] for i in range(4)})
        formats = shell.display_formatter.format(wide)[0]
        assert "x" * 70 in formats["text/html"], "the HTML a reader sees keeps the text whole"
        assert max(len(line) for line in formats["text/plain"].splitlines()) <= 88, formats["text/plain"]
    finally:
        pd.reset_option("display.max_colwidth")
        InteractiveShell.clear_instance()
