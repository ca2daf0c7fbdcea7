"""The EU region: the emulator answers it on its own port, recordings keep its host names, and a
recording made for one region never answers the other."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cookbook_utils import config
from cookbook_utils.recording import Scrubber
from cookbook_utils.session import Session
from tools import spec
from tools.kernels import IPCAsyncKernelManager

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "eu-test-key"
BODY = {"audio_url": "https://example.com/support-call.mp3", "speech_models": config.SPEECH_MODELS}


@pytest.fixture(scope="module")
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY, notebook="eu-data-residency") as running:
        yield running


def _post(base: str, path: str, body: dict) -> requests.Response:
    return requests.post(base + path, json=body, headers={"authorization": KEY}, timeout=30)


def _get(base: str, path: str) -> requests.Response:
    return requests.get(base + path, headers={"authorization": KEY}, timeout=30)


def test_a_transcript_made_in_the_eu_exists_only_in_the_eu(emulator):
    made = _post(emulator.eu_base_url, "/v2/transcript", BODY).json()
    assert _get(emulator.eu_base_url, f"/v2/transcript/{made['id']}").json()["status"] == "completed"
    us = _get(emulator.base_url, f"/v2/transcript/{made['id']}")
    assert us.status_code == 400 and us.json()["error"] == "Transcript lookup error, transcript id not found"
    assert _get(emulator.base_url, f"/v2/transcript/{made['id']}/sentences").status_code == 400
    listed = [t["id"] for t in _get(emulator.base_url, "/v2/transcript").json()["transcripts"]]
    assert made["id"] not in listed
    assert made["id"] in [t["id"] for t in _get(emulator.eu_base_url, "/v2/transcript").json()["transcripts"]]


@pytest.mark.parametrize(
    ("port", "host"), [("eu_base_url", "api.eu.assemblyai.com"), ("base_url", "api.assemblyai.com")]
)
def test_a_listing_links_to_the_host_of_its_own_region(emulator, port, host):
    """current_url and each resource_url lead back to the deployment the transcripts exist in."""
    base = getattr(emulator, port)
    made = [_post(base, "/v2/transcript", BODY).json()["id"] for _ in range(3)]
    page = _get(base, "/v2/transcript?limit=2").json()
    details = page["page_details"]
    assert details["current_url"] == f"https://{host}/v2/transcript?limit=2"
    assert details["prev_url"].startswith(f"https://{host}/v2/transcript?limit=2&before_id=")
    assert [t["resource_url"] for t in page["transcripts"]] == [
        f"https://{host}/v2/transcript/{made[2]}",
        f"https://{host}/v2/transcript/{made[1]}",
    ]


def test_the_eu_gateway_offers_only_the_models_that_run_there(emulator):
    ask = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    refused = _post(emulator.eu_base_url, "/v1/chat/completions", {"model": "gpt-5", **ask})
    assert refused.status_code == 400
    assert "not supported in the EU region" in refused.json()["metadata"]["errors"][0]
    models = _get(emulator.eu_base_url, "/v1/models").json()["data"]
    assert {m["id"]: m["available_regions"] for m in models}["gpt-5"] == ["us"]


def test_the_recorder_names_each_region_by_its_own_hosts():
    scrubber = Scrubber([], "127.0.0.1:1111", "127.0.0.1:2222")
    assert scrubber.real_uri("http://127.0.0.1:2222/v2/transcript") == "https://api.eu.assemblyai.com/v2/transcript"
    assert scrubber.real_uri("http://127.0.0.1:2222/v1/models") == "https://llm-gateway.eu.assemblyai.com/v1/models"
    assert scrubber.real_uri("http://127.0.0.1:1111/v2/upload") == "https://api.assemblyai.com/v2/upload"
    assert scrubber.real_uri("http://127.0.0.1:3333/file.mp3") == "http://127.0.0.1:3333/file.mp3"


def test_route_sends_real_hosts_to_their_stand_in_only_while_recording_against_one():
    recording = Session("x", None, "", (), Path("x"), {}, {"api.eu.assemblyai.com": "http://127.0.0.1:2222"})
    assert recording.route("https://api.eu.assemblyai.com/v2/transcript?limit=2") == (
        "http://127.0.0.1:2222/v2/transcript?limit=2"
    )
    assert recording.route("https://api.assemblyai.com") == "https://api.assemblyai.com"
    replaying = Session("x", None, "", (), Path("x"), {})
    assert replaying.route("https://api.eu.assemblyai.com") == "https://api.eu.assemblyai.com"


def test_an_eu_recording_never_answers_a_request_for_the_us(monkeypatch, tmp_path):
    """The EU notebook with its EU base URL swapped for the US one fails at once in replay."""
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    path = ROOT / "notebooks" / "speech-to-text" / "eu-data-residency.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        old = 'EU_API = session.route("https://api.eu.assemblyai.com")'
        if cell.cell_type == "code" and old in cell.source:
            cell.source = cell.source.replace(old, 'EU_API = session.route("https://api.assemblyai.com")')
            break
    else:
        pytest.fail("the EU notebook no longer sets EU_API in step 2; update this test")
    client = NotebookClient(
        nb,
        timeout=120,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with pytest.raises(CellExecutionError) as caught:
        client.execute()
    message = str(caught.value)
    assert "RecordingMissingError" in message and "https://api.assemblyai.com/v2/upload" in message
