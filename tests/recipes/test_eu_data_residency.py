"""eu-data-residency's gateway call, as recorded: the transcript goes by id, never as text.

The recipe teaches ``transcript_id`` with a ``{{ transcript }}`` placeholder (docs/platform-2026-12.md,
section 5: the gateway replaces the first exact ``{{ transcript }}`` of the first message holding
it with the transcript's text), so the recorded request must carry the id of the EU transcript
and the placeholder, and none of the transcript's words.
"""

from __future__ import annotations

import json

import pytest

from cookbook_utils import paths
from cookbook_utils.yamlio import load_yaml
from tools import spec


def _interactions() -> list[dict]:
    return load_yaml(paths.cassette_path("eu-data-residency").read_text())["interactions"]


def test_the_chat_request_sends_the_transcript_id_and_the_placeholder_not_the_text() -> None:
    interactions = _interactions()
    chats = [i for i in interactions if i["request"]["uri"].endswith("/v1/chat/completions")]
    assert len(chats) == 1
    assert chats[0]["request"]["uri"].startswith("https://llm-gateway.eu.assemblyai.com/")
    body = json.loads(chats[0]["request"]["body"])
    transcripts = [
        json.loads(i["response"]["body"]["string"])
        for i in interactions
        if i["request"]["method"] == "GET"
        and "/v2/transcript/" in i["request"]["uri"]
        and i["response"]["status"]["code"] == 200
    ]
    text = next(t["text"] for t in transcripts if t.get("status") == "completed")
    assert body["transcript_id"] in {t["id"] for t in transcripts}
    [message] = body["messages"]
    assert message["content"].count("{{ transcript }}") == 1
    assert text[:40] not in message["content"]
    answer = json.loads(chats[0]["response"]["body"]["string"])
    assert chats[0]["response"]["status"]["code"] == 200 and answer["choices"][0]["message"]["content"]


def _run_whole_recipe(tmp_path, audio: str | None = None):
    """eu-data-residency's whole recipe as a reader's script (tools/whole_recipe.py), optionally on
    another file than the notebook's: ``(run, the region of each transcript it made)``."""
    import nbformat

    from tools.emulator import Emulator
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("eu-data-residency"), as_version=4))
    with Emulator(api_key="eu-key", notebook="eu-data-residency") as emulator:
        script = as_script(source, real_origins(emulator))
        if audio is not None:
            script = script.replace(repr(str(paths.audio_file("clip-fr.mp3"))), repr(audio))
        run = run_script(script, script_env(emulator), cwd=tmp_path)
        regions = [record.region for record in emulator.state.transcripts.values()]
    return run, regions


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_transcribes_in_the_eu(tmp_path) -> None:
    run, regions = _run_whole_recipe(tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("completed | text, shortened: Bonsoir")
    assert regions == ["eu"]  # use_eu_region()'s defaults, with nothing else set


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_raises_on_a_failed_transcript(tmp_path) -> None:
    not_audio = tmp_path / "export.mp3"
    not_audio.write_text("<html><body>Access denied</body></html>\n")
    run, regions = _run_whole_recipe(tmp_path, str(not_audio))
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio" in run.stderr
    assert regions == ["eu"]
