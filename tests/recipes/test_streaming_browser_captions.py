"""The browser-captions recipe in a real browser: Debian's headless Chromium, its fake microphone fed
with a shipped call, the notebook's own backend handing out tokens from the emulator. The captions
that appear must be the script's sentences, and the page must never see the key. Skips without
Chromium or Playwright, except in CI (``CI`` set), where it fails, as the site test does."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cookbook_utils.network import serve_in_background
from tests.project.test_site import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _browser_or_skip
from tools import spec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "streaming" / "streaming-browser-captions.ipynb"
PAGE = ROOT / "notebooks" / "streaming" / "captions" / "index.html"
SHIPPED_SCREENSHOT = PAGE.parent / "screenshot.png"
KEY = "browser-test-key-0123456789abcdef"
SECONDS = 22


def notebook_backend() -> dict:
    """The notebook's own backend code (``origins``, ``new_token``, ``captions_server``), run here so the
    test and the recipe cannot drift apart."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx
    import requests
    from assemblyai.streaming.v3 import StreamingClient, StreamingClientOptions

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace = {
        "json": json,
        "httpx": httpx,
        "requests": requests,
        "Path": Path,
        "BaseHTTPRequestHandler": BaseHTTPRequestHandler,
        "ThreadingHTTPServer": ThreadingHTTPServer,
        "StreamingClient": StreamingClient,
        "StreamingClientOptions": StreamingClientOptions,
    }
    for cell in cells:
        source = "".join(cell["source"])
        whole = "TOKEN_SECONDS =" in source  # the whole recipe, which serves and stops: tested alone below
        if cell["cell_type"] == "code" and not whole and ("def origins(" in source or "def captions_server(" in source):
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    assert {"origins", "new_token", "captions_server"} <= set(namespace), "the notebook's backend cells moved"
    return namespace


@pytest.fixture(scope="module")
def wav(tmp_path_factory) -> Path:
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is needed to make the fake microphone's WAV")
    path = tmp_path_factory.mktemp("captions") / "support-call.wav"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(ROOT / "data" / "audio" / "support-call.mp3")]
    subprocess.run(
        [*command, "-t", str(SECONDS), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(path)], check=True
    )
    return path


def test_the_backend_hands_out_tokens_and_never_the_key():
    import requests

    from tools.emulator import Emulator

    backend = notebook_backend()
    with Emulator(api_key=KEY) as emulator:
        server = backend["captions_server"](PAGE, KEY, emulator.streaming_url, port=0)
        serve_in_background(server)
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            answer = requests.get(f"{base}/token", timeout=10)
            assert answer.status_code == 200 and KEY not in answer.text
            assert answer.json()["websocket"] == emulator.streaming_url and answer.json()["token"]
            assert "getUserMedia" in requests.get(base, timeout=10).text
            assert requests.get(f"{base}/elsewhere", timeout=10).status_code == 404
        finally:
            server.shutdown()
        wrong = backend["captions_server"](PAGE, "not-the-key", emulator.streaming_url, port=0)
        serve_in_background(wrong)
        try:
            refused = requests.get(f"http://127.0.0.1:{wrong.server_port}/token", timeout=10)
            assert refused.status_code == 502 and "401" in refused.json()["error"]
        finally:
            wrong.shutdown()


def test_the_page_captions_the_call_in_chromium(wav):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    from tools.emulator import Emulator

    script = json.loads((ROOT / "data" / "scripts" / "support-call.timing.json").read_text())
    backend = notebook_backend()
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with Emulator(api_key=KEY) as emulator, sync_playwright() as playwright:
        server = backend["captions_server"](PAGE, KEY, emulator.streaming_url, port=0)
        serve_in_background(server)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 560})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.click("#start")
            # Generous: it returns as soon as three captions show, and a loaded CI machine (2 cores, four
            # workers) can take far longer than the call's 22 s to start Chromium's capture and the stream.
            try:
                page.wait_for_function("document.querySelectorAll('#captions p').length >= 3", timeout=SECONDS * 8000)
            except Exception:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "streaming-browser-captions-timeout.png"))
                print("status:", page.inner_text("#status"), "| problems:", problems)
                raise
            captions = page.eval_on_selector_all("#captions p", "nodes => nodes.map(n => n.textContent)")
            status = page.inner_text("#status")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "streaming-browser-captions.png"))
            if os.environ.get("COOKBOOK_UPDATE_SCREENSHOT"):
                page.screenshot(path=str(SHIPPED_SCREENSHOT))
            html = page.content()
            page.click("#stop")
        finally:
            browser.close()
            server.shutdown()
    assert not problems, problems
    assert status == "Listening", status
    assert KEY not in html
    turns = [turn["text"] for turn in script["turns"]]
    # universal-3-6-pro (the page asks for it) ends a turn at each sentence's end: the captions are the
    # script's sentences. The fake microphone starts playing when the page opens it, a few hundred ms
    # before the page's audio graph takes samples: the first words can be missed, as with a real microphone.
    sentences = [s for turn in turns for s in re.split(r"(?<=[.?!])\s+", turn)]
    assert sentences[0].endswith(captions[0]) and len(captions[0]) > len(sentences[0]) / 2, (captions, sentences)
    assert captions[1:3] == sentences[1:3], f"captions {captions} are not the script's sentences {sentences[:3]}"
    assert not emulator.streaming.violations


def test_the_backend_asks_the_sdk_for_a_token_on_assemblyais_host():
    """Against AssemblyAI, ``new_token`` is the SDK's ``create_temporary_token``; a local stand-in
    (``ws://``) gets the same GET with requests, because SDK 1.8.2 always calls ``https://<api_host>``."""
    backend = notebook_backend()
    calls: list = []

    class FakeClient:
        def __init__(self, options):
            calls.append(("options", options.api_host, options.api_key))

        def create_temporary_token(self, expires_in_seconds, max_session_duration_seconds=None):
            calls.append(("token", expires_in_seconds))
            return "tok-123"

    backend["StreamingClient"] = FakeClient
    answer = backend["new_token"]("the-key", "streaming.assemblyai.com", expires_in_seconds=30)
    assert answer == {"token": "tok-123", "websocket": "wss://streaming.assemblyai.com"}
    assert calls == [("options", "streaming.assemblyai.com", "the-key"), ("token", 30)]


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
    with INPUTS["streaming-browser-captions"](tmp_path), Emulator(api_key=KEY) as emulator:
        script = as_script(source, real_origins(emulator))
        run = run_script(script, script_env(emulator, {"ASSEMBLYAI_API_KEY": refused}), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == [
        "Token issued: False",
        "The backend says: no token: the API answered 401",
        "The API key is in the answer: False",
        "The page loads: True",
    ]
