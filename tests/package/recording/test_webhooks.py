"""Webhook deliveries in a recording: the emulator's delivery attempts are kept in the cassette (no
header value), and replay makes them again, in order, to the receiver the notebook runs now, after
the submission that caused them."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from cookbook_utils.recording import Recording, Scrubber, webhooks
from cookbook_utils.yamlio import load_yaml
from tools import spec

KEY = "recording-webhook-key-0123456789"
SECRET = "hook-secret-0123456789"


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.got.append((body["transcript_id"], self.headers.get("X-Hook-Secret")))
        code = 500 if len(self.server.got) == 1 else 200  # fails once, then takes the retry
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield server
    server.shutdown()


def _wait(server, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(server.got) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def _body(url: str, secret: str = SECRET) -> dict:
    return {
        "audio_url": "https://assembly.ai/wildfires.mp3",
        "webhook_url": url,
        "webhook_auth_header_name": "X-Hook-Secret",
        "webhook_auth_header_value": secret,
    }


def test_kept_attempts_hold_the_header_name_and_never_its_value():
    attempt = {"transcript_id": "t", "status": "completed", "attempt": 1, "header": "X-A", "code": 500}
    assert webhooks.kept([{**attempt, "value": SECRET, "body": "{}"}]) == [{**attempt, "body": "{}"}]


def test_only_a_submission_with_a_webhook_sets_off_the_attempts_of_its_transcript():
    deliveries = [{"transcript_id": "t1", "attempt": 1}, {"transcript_id": "t2", "attempt": 1}]
    sent = json.dumps({"webhook_url": "http://127.0.0.1:1/h"})
    assert webhooks.due(deliveries, sent, '{"id": "t1"}') == deliveries[:1]
    assert webhooks.due(deliveries, "{}", '{"id": "t1"}') == []
    assert webhooks.due(deliveries, sent, '{"id": "t3"}') == []
    assert webhooks.due(None, sent, '{"id": "t1"}') == []


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_replay_delivers_what_the_emulator_delivered_to_the_receiver_of_now(tmp_path, receiver):
    from tools.emulator import Emulator

    cassette = tmp_path / "demo.yaml"
    with Emulator(api_key=KEY) as emulator:
        emulator.state.webhook_retry_pause_s = 0.01
        host = emulator.base_url.split("//")[1]
        recording = Recording(cassette, record=True, scrubber=Scrubber([KEY, SECRET], host), source="emulator")
        with httpx.Client(base_url=emulator.base_url, headers={"authorization": KEY}) as client:
            created = client.post("/v2/transcript", json=_body(receiver.url)).json()
            _wait(receiver, 2)
        recording.close()
        emulator.settle_webhooks(10)  # the receiver has the second POST before the emulator notes its answer
        assert webhooks.add_to_cassette(cassette, emulator.webhook_attempts) == 2
    assert receiver.got == [(created["id"], SECRET)] * 2
    text = cassette.read_text()
    assert SECRET not in text and KEY not in text and f"127.0.0.1:{receiver.server_port}" not in text
    kept = load_yaml(text)["metadata"]["webhooks"]
    assert [(d["attempt"], d["code"], d["header"]) for d in kept] == [
        (1, 500, "X-Hook-Secret"),
        (2, 200, "X-Hook-Secret"),
    ]

    # Replay: another receiver (another port), another secret; the same two attempts reach it.
    receiver.got.clear()
    later = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    later.got = []
    threading.Thread(target=later.serve_forever, daemon=True).start()
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://api.assemblyai.com", headers={"authorization": "other"}) as client:
            url = f"http://127.0.0.1:{later.server_port}/hook"
            replayed = client.post("/v2/transcript", json=_body(url, "replay-secret")).json()
            assert replayed["id"] == created["id"]
            _wait(later, 2)
    finally:
        replay.close()
        later.shutdown()
    assert later.got == [(created["id"], "replay-secret")] * 2
    assert receiver.got == []  # nothing went to the recording's receiver


def test_the_webhook_auth_header_value_is_stored_redacted_whatever_it_looks_like():
    from cookbook_utils.recording.filters import REDACTED, scrub_body

    body = json.dumps({"webhook_url": "https://example.com/h", "webhook_auth_header_value": "short"})
    stored = json.loads(scrub_body(body.encode(), "application/json", "/v2/transcript", []))
    assert stored["webhook_auth_header_value"] == REDACTED and stored["webhook_url"] == "https://example.com/h"
