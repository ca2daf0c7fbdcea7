"""The voice-agent-browser recipe in a real browser: Debian's headless Chromium, its fake microphone fed
with the shipped caller, the notebook's own backend handing out Voice Agent tokens from the emulator. The
agent must hear the caller's first turn as the script has it, answer it, and its audio must reach the page
and play there; the page must never see the key, and Stop must end the session. Skips without Chromium or
Playwright, except in CI (``CI`` set), where it fails, as the site test does."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from cookbook_utils.network import serve_in_background
from cookbook_utils.yamlio import load_yaml
from tests.project.test_site import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _browser_or_skip
from tools import spec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "voice-agents" / "voice-agent-browser.ipynb"
PAGE = ROOT / "notebooks" / "voice-agents" / "talk" / "index.html"
SHIPPED_SCREENSHOT = PAGE.parent / "screenshot.png"
KEY = "browser-test-key-0123456789abcdef"
RATE = 24000
#: The fake microphone, which starts when the page opens it: silence while the page connects and the
#: greeting plays (about 5 s; the page sends the microphone once the greeting has played), the caller's
#: first turn with the quiet after it (the call's first 9 s: his second turn starts at 12.4 s), then
#: silence, so that the agent's turn detection hears the turn end and the session stays on turn 0.
LEAD_S, CALLER_S, TAIL_S = 12, 9, 40


def notebook_backend(emulator) -> dict:
    """The notebook's own backend code (``new_token``, ``AGENT``, ``agent_server``), run here so the test
    and the recipe cannot drift apart, with its token URL pointed at ``emulator``."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace = {
        "json": json,
        "httpx": httpx,
        "Path": Path,
        "BaseHTTPRequestHandler": BaseHTTPRequestHandler,
        "ThreadingHTTPServer": ThreadingHTTPServer,
    }
    for cell in cells:
        source = "".join(cell["source"])
        whole = "TOKEN_SECONDS =" in source  # the whole recipe, which serves and stops: tested alone below
        steps = ("def new_token(", "AGENT = {", "def agent_server(")
        if cell["cell_type"] == "code" and not whole and any(step in source for step in steps):
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    assert {"new_token", "AGENT", "agent_server", "TOKEN_URL"} <= set(namespace), "the backend cells moved"
    assert namespace["TOKEN_URL"] == "https://agents.assemblyai.com/v1/token"
    namespace["TOKEN_URL"] = f"{emulator.agents.base_url}/v1/token"  # read by new_token when it runs
    return namespace


@pytest.fixture(scope="module")
def wav(tmp_path_factory) -> Path:
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is needed to make the fake microphone's WAV")
    decode = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(ROOT / "data" / "audio" / "bookshop-caller.mp3")]
    caller = subprocess.run(
        [*decode, "-t", str(CALLER_S), "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
        capture_output=True,
        check=True,
    ).stdout
    path = tmp_path_factory.mktemp("talk") / "bookshop-caller.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(2 * RATE * LEAD_S) + caller + bytes(2 * RATE * TAIL_S))
    return path


def test_the_backend_hands_out_tokens_and_never_the_key():
    import httpx

    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as emulator:
        backend = notebook_backend(emulator)
        server = backend["agent_server"](PAGE, KEY, emulator.agents_url, backend["AGENT"], port=0)
        serve_in_background(server)
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            answer = httpx.get(f"{base}/token", timeout=10)
            assert answer.status_code == 200 and KEY not in answer.text
            assert answer.headers["cache-control"] == "no-store"
            issued = answer.json()
            assert issued["websocket"] == emulator.agents_url and issued["agent"] == backend["AGENT"]
            assert issued["token"] in emulator.agents.tokens  # a real token, not yet spent
            assert "getUserMedia" in httpx.get(base, timeout=10).text
            assert httpx.get(f"{base}/elsewhere", timeout=10).status_code == 404
        finally:
            server.shutdown()
        wrong = backend["agent_server"](PAGE, "not-the-key", emulator.agents_url, backend["AGENT"], port=0)
        serve_in_background(wrong)
        try:
            refused = httpx.get(f"http://127.0.0.1:{wrong.server_port}/token", timeout=10)
            assert refused.status_code == 502 and refused.json() == {"error": "no token: the API answered 401"}
        finally:
            wrong.shutdown()


def test_the_page_talks_to_the_agent_in_chromium(wav):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    from tools.emulator import Emulator

    script = json.loads((ROOT / "data" / "scripts" / "bookshop-caller.timing.json").read_text())
    answers = load_yaml((ROOT / "data" / "answers" / "voice-agent" / "bookshop-caller.yaml").read_text())
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with Emulator(api_key=KEY) as emulator, sync_playwright() as playwright:
        backend = notebook_backend(emulator)
        server = backend["agent_server"](PAGE, KEY, emulator.agents_url, backend["AGENT"], port=0)
        serve_in_background(server)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 560})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.click("#start")
            # Generous: it returns once the answer is shown and all the agent's audio has played, which
            # takes the greeting, the caller's turn and the answer, each at real time (about 30 s here).
            done = """() => {
                const audio = document.getElementById('audio').textContent;
                const seconds = audio.match(/([0-9.]+) s received, ([0-9.]+) s played/);
                const lines = document.querySelectorAll('#dialogue p').length;
                return lines >= 3 && seconds && seconds[1] === seconds[2];
            }"""
            try:
                page.wait_for_function(done, timeout=(LEAD_S + CALLER_S) * 8000)
            except Exception:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "voice-agent-browser-timeout.png"))
                print("status:", page.inner_text("#status"), "| audio:", page.inner_text("#audio"))
                print("dialogue:", page.inner_text("#dialogue"), "| problems:", problems)
                raise
            lines = page.eval_on_selector_all("#dialogue p", "nodes => nodes.map(n => [n.className, n.textContent])")
            status = page.inner_text("#status")
            audio = page.inner_text("#audio")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "voice-agent-browser.png"))
            if os.environ.get("COOKBOOK_UPDATE_SCREENSHOT"):
                page.screenshot(path=str(SHIPPED_SCREENSHOT))
            html = page.content()
            page.click("#stop")
            page.wait_for_function("/^Ended after/.test(document.getElementById('status').textContent)")
            ended = page.inner_text("#status")
        finally:
            browser.close()
            server.shutdown()
    assert not problems, problems
    assert status == "Listening", status
    assert KEY not in html
    greeting, first_turn = backend["AGENT"]["greeting"], script["turns"][0]["text"]
    assert lines == [
        ["agent", f"Agent: {greeting}"],
        ["user", f"You: {first_turn}"],  # what the agent heard: the caller's first turn, whole
        ["agent", f"Agent: {answers['turns'][0]['reply']}"],
    ], lines
    # The agent's audio reached the page: the greeting and the answer, decoded and played through Web
    # Audio to their end (each chunk counts as played when its AudioBufferSourceNode ends).
    received, played = map(float, re.fullmatch(r"Agent audio: (\S+) s received, (\S+) s played", audio).groups())
    assert received == played and received > 6, audio
    assert ended.startswith("Ended after"), ended
    assert [s["ended_by"] for s in emulator.agents.sessions_ended] == ["session.end"]
    sent = [e for _, sender, e in emulator.agents.traffic if sender == "server" and e["type"] == "reply.done"]
    assert [e["status"] for e in sent] == ["completed", "completed"]
    assert not emulator.violations


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_answers_502_for_a_refused_key_and_never_sends_it(tmp_path):
    """The backend a reader pastes, run as a script (``tools/whole_recipe.py``) beside its page, with a key
    the API refuses: the page gets a 502 that says why, no token, and never the key."""
    import nbformat

    from tests.project.whole_recipe_inputs import INPUTS
    from tools.emulator import Emulator
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

    source = whole_recipe_cell(nbformat.read(NOTEBOOK, as_version=4))[1]
    refused = "not-the-key-0123456789abcdef"
    with INPUTS["voice-agent-browser"](tmp_path), Emulator(api_key=KEY) as emulator:
        script = as_script(source, real_origins(emulator))
        run = run_script(script, script_env(emulator, {"ASSEMBLYAI_API_KEY": refused}), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == [
        "Token issued: False",
        "The backend says: no token: the API answered 401",
        "The API key is in the answer: False",
        "The page loads: True",
    ]
