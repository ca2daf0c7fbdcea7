"""The gradio-ui recipe's app, driven in Debian's headless Chromium.

The app is the notebook's own: its cells are run (against the local emulator, not the recording)
up to the one that launches the app on loopback. Chromium uploads a shipped recording and sees the
transcript with speakers, then uploads a text file and sees the API's error. Screenshots go to
build/test-artifacts/. Without Chromium the test skips, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import paths
from cookbook_utils.network import block_network
from tests.project.test_site import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _browser_or_skip
from tools import spec

LAUNCH = "demo.launch("
#: The picture the notebook shows, taken by the first test below with COOKBOOK_UPDATE_SCREENSHOT=1.
SHIPPED_SCREENSHOT = paths.notebook_path("gradio-ui").parent / "gradio-ui" / "screenshot.png"


def _cells_until_launch() -> list[str]:
    """The notebook's code cells, up to and including the one that launches the app."""
    nb = nbformat.read(paths.notebook_path("gradio-ui"), as_version=4)
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    end = next(i for i, source in enumerate(cells) if LAUNCH in source)
    return cells[: end + 1]


def test_the_notebook_launches_its_app_on_loopback_without_a_share_link():
    launch = _cells_until_launch()[-1]
    assert 'server_name="127.0.0.1"' in launch and "prevent_thread_lock=True" in launch
    assert "share=True" not in launch


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[object]:
    """The notebook's Gradio app, running on loopback against the emulator."""
    _browser_or_skip()
    import assemblyai as aai

    from tools.emulator import Emulator

    key = "emulator-" + secrets.token_hex(16)
    saved_env = {
        name: os.environ.get(name) for name in ("COOKBOOK_MODE", "ASSEMBLYAI_API_KEY", "COOKBOOK_API_BASE_URL")
    }
    saved_settings = (aai.settings.api_key, aai.settings.base_url, aai.settings.polling_interval)
    namespace: dict = {}
    with Emulator(api_key=key, notebook="gradio-ui") as emulator:
        os.environ.update(COOKBOOK_MODE="live", ASSEMBLYAI_API_KEY=key, COOKBOOK_API_BASE_URL=emulator.base_url)
        try:
            cwd = os.getcwd()
            os.chdir(paths.notebook_path("gradio-ui").parent)
            try:
                for source in _cells_until_launch():
                    if LAUNCH in source:
                        aai.settings.polling_interval = 0.2  # the emulator moves on with every poll
                    exec(compile(source, "gradio-ui.ipynb", "exec"), namespace)
            finally:
                os.chdir(cwd)
            yield namespace["demo"]
        finally:
            if "demo" in namespace:
                namespace["demo"].close()
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            aai.settings.api_key, aai.settings.base_url, aai.settings.polling_interval = saved_settings
            block_network("the test suite")  # the notebook's live setup() unsealed it


@pytest.fixture(scope="module")
def page(app) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.external = []  # requests that would leave this machine: refused and listed

        def only_loopback(route):
            if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                page.external.append(route.request.url)
                route.abort()

        page.route("**/*", only_loopback)
        yield page
        browser.close()


def _transcribe(page, app, upload: Path, *, accepted: bool = True) -> None:
    """Upload a file and click Transcribe; for a file the audio box accepts, click only once Gradio
    has it (on a busy machine a click during the upload would send no audio)."""
    page.goto(app.local_url, wait_until="load")
    box = page.locator("#audio input[type=file]")
    if not accepted:
        box.set_input_files(str(upload))
    else:
        uploaded = lambda response: "upload" in response.url and response.request.method == "POST"  # noqa: E731
        with page.expect_response(uploaded, timeout=60_000):
            box.set_input_files(str(upload))
    page.locator("#transcribe").click()


def test_uploading_a_recording_shows_the_transcript_with_speakers(app, page):
    _transcribe(page, app, paths.audio_file("podcast-clip.mp3"))
    transcript = page.locator("#transcript")
    transcript.get_by_text("Speaker B").first.wait_for(timeout=60_000)
    text = transcript.inner_text()
    assert "Speaker A" in text and "Speaker B" in text
    assert not page.locator("#error").inner_text().strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gradio-ui-transcript.png"), full_page=True)
    if os.environ.get("COOKBOOK_UPDATE_SCREENSHOT"):
        SHIPPED_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SHIPPED_SCREENSHOT))
    assert not page.external, f"the page asked for files off this machine: {page.external}"


def test_uploading_a_text_file_is_refused_by_the_audio_box(app, page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Not audio at all.\n")
    _transcribe(page, app, notes, accepted=False)
    page.get_by_text("Invalid file type").first.wait_for(timeout=15_000)
    page.locator("#error").get_by_text("Upload or record some audio first.").wait_for(timeout=15_000)


def test_uploading_a_file_named_like_audio_that_is_not_shows_the_api_error(app, page, tmp_path):
    broken = tmp_path / "broken-export.mp3"
    broken.write_text("<html><body>Access denied</body></html>\n")  # an error page saved as .mp3
    _transcribe(page, app, broken)
    error = page.locator("#error")
    error.get_by_text("Transcription failed").wait_for(timeout=60_000)
    assert "does not appear to contain audio" in error.inner_text()
    assert "Speaker" not in page.locator("#transcript").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gradio-ui-error.png"), full_page=True)
    assert not page.external, f"the page asked for files off this machine: {page.external}"


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_shows_a_failed_transcript_and_a_refused_upload_on_its_error_line(tmp_path):
    """The whole recipe as a reader's script (tools/whole_recipe.py), with its click handler then
    called as the page calls it: a file named like audio that is not (a failed transcript), a
    recording whose upload is answered 503 (an SDK error), and the recording again."""
    import json

    from tests.project.whole_recipe_inputs import serves_until_interrupted
    from tools.emulator import Emulator
    from tools.emulator.faults import Fault, FaultPlan
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

    not_audio = tmp_path / "broken-export.mp3"
    not_audio.write_text("<html><body>Access denied</body></html>\n")
    call = str(paths.audio_file("podcast-clip.mp3"))
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("gradio-ui"), as_version=4))
    plan = FaultPlan([Fault("503", method="POST", path="/v2/upload", nth=[2])])
    with Emulator(api_key="gradio-key", notebook="gradio-ui", faults=plan) as emulator:
        script = as_script(source, real_origins(emulator))
        script += "\nimport json\n"
        for path in (str(not_audio), call, call, None):
            script += f"print(json.dumps(on_click({path!r})))\n"
        # launch() serves until Ctrl-C in a script: run it as Python runs interactively, where it
        # returns at once (whole_recipe_inputs.serves_until_interrupted), then call the handler.
        with serves_until_interrupted(tmp_path) as extra:
            run = run_script(script, script_env(emulator, extra), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    started, *answers = run.stdout.splitlines()
    assert started == "Serving the app on this machine only; Ctrl-C stops it."
    failed, refused, done, empty = (json.loads(line) for line in answers)
    assert failed[0] == "" and failed[1].startswith("**Error:** Transcription failed: Transcoding failed.")
    assert refused[0] == "" and refused[1].startswith("**Error:** Failed to upload audio file")
    assert done[1] == "" and done[0].startswith("**Speaker ") and "`0:00`" in done[0]
    assert empty == ["", "Upload or record some audio first."]
