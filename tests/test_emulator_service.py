"""The emulator as a service, driven from the outside by clients of our own: time (not polling)
moves transcripts and calls webhooks, HTTP is strict (query parameters, bodies, methods), listing
paginates as the spec says, a deleted transcript stays deleted, retired models are refused with
the API's words, and one hanging download delays no other request."""

import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[1]
KEY = "emulator-service-test-key"
MODELS = ["universal-3-5-pro", "universal-2"]
AUDIO_URL = "https://example.com/media/support-call.mp3"


@pytest.fixture
def make_emulator():
    """Start emulators with any settings; each is checked for spec violations and stopped."""
    from tools.emulator import Emulator

    started = []

    def start(**settings):
        emulator = Emulator(api_key=KEY, **settings).__enter__()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.__exit__(None, None, None)
        assert emulator.violations == [], "the emulator sent responses that break the spec"


@pytest.fixture
def emulator(make_emulator):
    return make_emulator()


def _call(emulator, method, path, **kwargs):
    kwargs.setdefault("timeout", 10)
    headers = {"authorization": KEY, **kwargs.pop("headers", {})}
    return requests.request(method, f"{emulator.base_url}{path}", headers=headers, **kwargs)


def _submit(emulator, **extra):
    response = _call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": MODELS, **extra})
    assert response.status_code == 200, response.text
    return response.json()


class _Receiver:
    """A loopback webhook receiver that keeps every POST it gets."""

    def __init__(self, status=200):
        received = self.received = []
        self.arrived = threading.Event()
        answer = status

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()
                outer.arrived.set()

        outer = self
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = _Receiver()
    yield server
    server.close()


# --- time moves transcripts, and webhooks ----------------------------------------------------------


def test_a_transcript_completes_on_time_without_being_polled(make_emulator, receiver):
    emulator = make_emulator(processing_seconds=1.0)
    created = _submit(
        emulator,
        webhook_url=receiver.url,
        webhook_auth_header_name="X-Hook-Secret",
        webhook_auth_header_value="s3cret",
    )
    assert created["status"] == "queued"
    first = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert first["status"] in {"queued", "processing"}  # well before its second has passed
    # Nobody polls now: the webhook still comes, once the processing time has passed.
    assert receiver.arrived.wait(15), "the webhook never came"
    (call,) = receiver.received
    assert call["body"] == {"transcript_id": created["id"], "status": "completed"}
    assert call["headers"]["X-Hook-Secret"] == "s3cret" and call["path"] == "/hook"
    done = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert done["status"] == "completed" and done["webhook_status_code"] == 200 and done["webhook_auth"] is True
    assert emulator.webhooks == [{"transcript_id": created["id"], "status": "completed", "code": 200}]


def test_states_follow_the_clock(make_emulator):
    emulator = make_emulator(processing_seconds=0.6)
    created = _submit(emulator)
    seen = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "completed":
            break
        time.sleep(0.05)
    assert seen[-1] == "completed"
    assert seen == sorted(seen, key=["queued", "processing", "completed"].index)  # never backwards


def test_a_failed_transcript_calls_its_webhook_with_error(emulator, receiver):
    created = _submit(emulator, audio_url="https://example.com/missing.mp3", webhook_url=receiver.url)
    assert receiver.arrived.wait(15)
    assert receiver.received[0]["body"] == {"transcript_id": created["id"], "status": "error"}


def test_a_webhook_off_this_machine_is_refused(emulator):
    response = _call(
        emulator,
        "POST",
        "/v2/transcript",
        json={"audio_url": AUDIO_URL, "speech_models": MODELS, "webhook_url": "https://example.com/hook"},
    )
    assert response.status_code == 400
    assert "only calls loopback webhooks" in response.json()["error"]


def test_processing_seconds_from_the_environment(monkeypatch):
    from tools.emulator.server import settings_from_env

    monkeypatch.setenv("COOKBOOK_EMULATOR_PROCESSING_SECONDS", "2.5")
    monkeypatch.delenv("COOKBOOK_EMULATOR_FAULTS", raising=False)
    assert settings_from_env("no-such-notebook") == {"processing_seconds": 2.5, "faults": None}
