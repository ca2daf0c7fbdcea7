"""Transcripts (``tools/emulator/transcripts.py``), driven from the outside by clients of our own:
time (not polling) moves them and calls webhooks, listing paginates as the spec says on the
region's own host, a deleted transcript stays deleted, and retired models are refused with the
API's words."""

import http.server
import json
import threading
import time

import pytest

from cookbook_utils.network import serve_in_background
from tests.emulator.support import AUDIO_URL, KEY, MODELS, call, point_sdk, submit
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


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
        serve_in_background(self.server)
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
    created = submit(
        emulator,
        webhook_url=receiver.url,
        webhook_auth_header_name="X-Hook-Secret",
        webhook_auth_header_value="s3cret",
    )
    assert created["status"] == "queued"
    first = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert first["status"] in {"queued", "processing"}  # well before its second has passed
    # Nobody polls now: the webhook still comes, once the processing time has passed.
    assert receiver.arrived.wait(15), "the webhook never came"
    (delivery,) = receiver.received
    assert delivery["body"] == {"transcript_id": created["id"], "status": "completed"}
    assert delivery["headers"]["X-Hook-Secret"] == "s3cret" and delivery["path"] == "/hook"
    done = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert done["status"] == "completed" and done["webhook_status_code"] == 200 and done["webhook_auth"] is True
    assert emulator.webhooks == [{"transcript_id": created["id"], "status": "completed", "code": 200}]


def test_states_follow_the_clock(make_emulator):
    emulator = make_emulator(processing_seconds=0.6)
    created = submit(emulator)
    seen = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "completed":
            break
        time.sleep(0.05)
    assert seen[-1] == "completed"
    assert seen == sorted(seen, key=["queued", "processing", "completed"].index)  # never backwards


def test_a_failed_transcript_calls_its_webhook_with_error(emulator, receiver):
    created = submit(emulator, audio_url="https://example.com/missing.mp3", webhook_url=receiver.url)
    assert receiver.arrived.wait(15)
    assert receiver.received[0]["body"] == {"transcript_id": created["id"], "status": "error"}


def test_a_webhook_off_this_machine_is_refused(emulator):
    response = call(
        emulator,
        "POST",
        "/v2/transcript",
        json={"audio_url": AUDIO_URL, "speech_models": MODELS, "webhook_url": "https://example.com/hook"},
    )
    assert response.status_code == 400
    assert "only calls loopback webhooks" in response.json()["error"]


# --- strict HTTP -----------------------------------------------------------------------------------


# --- listing, deleting, models ---------------------------------------------------------------------


def test_listing_pages_newest_first_with_prev_and_next(emulator):
    ids = [submit(emulator)["id"] for _ in range(5)]
    first = call(emulator, "GET", "/v2/transcript?limit=2").json()
    assert [t["id"] for t in first["transcripts"]] == [ids[4], ids[3]]
    details = first["page_details"]
    assert details["result_count"] == 2 and details["next_url"] is None
    assert details["current_url"] == "https://api.assemblyai.com/v2/transcript?limit=2"
    assert details["prev_url"].endswith(f"limit=2&before_id={ids[3]}")
    older = call(emulator, "GET", "/v2/transcript?" + details["prev_url"].split("?")[1]).json()
    assert [t["id"] for t in older["transcripts"]] == [ids[2], ids[1]]
    oldest = call(emulator, "GET", "/v2/transcript?" + older["page_details"]["prev_url"].split("?")[1]).json()
    assert [t["id"] for t in oldest["transcripts"]] == [ids[0]]
    assert oldest["page_details"]["prev_url"] is None
    newer = call(emulator, "GET", "/v2/transcript?" + oldest["page_details"]["next_url"].split("?")[1]).json()
    assert [t["id"] for t in newer["transcripts"]] == [ids[2], ids[1]]


def test_listing_filters_by_status(emulator):
    good = submit(emulator)["id"]
    bad = submit(emulator, audio_url="https://example.com/missing.mp3")["id"]
    errors = call(emulator, "GET", "/v2/transcript?status=error").json()["transcripts"]
    assert [t["id"] for t in errors] == [bad] and errors[0]["error"].startswith("Download error")
    completed = call(emulator, "GET", "/v2/transcript?status=completed").json()["transcripts"]
    assert [t["id"] for t in completed] == [good] and completed[0]["completed"] is not None
    assert call(emulator, "GET", "/v2/transcript?throttled_only=true").json()["transcripts"] == []


@pytest.mark.parametrize("processing_seconds", [0.0, 30.0])
def test_a_deleted_transcript_stays_deleted(make_emulator, processing_seconds):
    emulator = make_emulator(processing_seconds=processing_seconds)
    created = submit(emulator)
    if processing_seconds == 0:
        assert call(emulator, "GET", f"/v2/transcript/{created['id']}").json()["status"] == "completed"
    deleted = call(emulator, "DELETE", f"/v2/transcript/{created['id']}").json()
    assert deleted["text"] == "Deleted by user." and deleted["audio_url"] == "http://deleted_by_user"
    emulator.state.transcripts[created["id"]].ready_at = 0  # its time has come: nothing may change
    for _ in range(3):
        again = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
        assert again == deleted


@pytest.mark.parametrize(
    ("models", "words"),
    [
        (["universal-3-pro"], 'The "universal-3-pro" speech model(s) have been deprecated'),
        (["universal-3-5-pro", "univresal-2"], '"speech_models" must be a non-empty list containing one or more of'),
    ],
)
def test_models_that_do_not_exist_are_refused_at_submission(emulator, models, words):
    response = call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": models})
    assert response.status_code == 400 and response.json()["error"].startswith(words)


def test_the_sdk_takes_the_documented_fallback_on_a_low_language_confidence(make_emulator, monkeypatch):
    """The docs' fallback matches the API's phrase; against the emulator it must take that branch."""
    import assemblyai as aai

    emulator = make_emulator()
    point_sdk(monkeypatch, emulator, KEY)
    config = aai.TranscriptionConfig(speech_models=MODELS, language_detection=True, language_confidence_threshold=0.999)
    transcript = aai.Transcriber(config=config).transcribe("https://example.com/clip-fr.mp3")
    assert transcript.status == aai.TranscriptStatus.error
    assert "below the requested confidence threshold value" in transcript.error


# --- load: no lock around I/O ----------------------------------------------------------------------


def test_the_listing_shows_the_clock_too(make_emulator):
    emulator = make_emulator(processing_seconds=30)
    created = submit(emulator)
    emulator.state.transcripts[created["id"]].started -= 20  # past half-way, never polled
    listed = call(emulator, "GET", "/v2/transcript").json()["transcripts"]
    assert [(t["id"], t["status"], t["completed"]) for t in listed] == [(created["id"], "processing", None)]


def test_a_failure_in_background_work_is_a_violation(emulator, monkeypatch):
    from tools.emulator import uploads

    def broken(state, audio_url):
        raise RuntimeError("a bug in the download")

    monkeypatch.setattr(uploads, "resolve_audio", broken)
    created = submit(emulator)
    result = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert result["status"] == "error" and result["error"] == "Server error, developers have been alerted."
    assert any("a bug in the download" in v for v in emulator.violations)
    emulator.violations.clear()  # seen: the fixture checks for others


def test_the_sdks_submit_then_webhook_flow(make_emulator, receiver, monkeypatch):
    """Real client code: submit with the SDK's set_webhook, wait for the call, then fetch by id."""
    import assemblyai as aai

    emulator = make_emulator(processing_seconds=0.5)
    point_sdk(monkeypatch, emulator, KEY)
    config = aai.TranscriptionConfig(speech_models=MODELS).set_webhook(receiver.url, "X-Secret", "value")
    submitted = aai.Transcriber(config=config).submit(AUDIO_URL)
    assert submitted.status == aai.TranscriptStatus.queued
    assert receiver.arrived.wait(15)
    assert receiver.received[0]["headers"]["X-Secret"] == "value"
    fetched = aai.Transcript.get_by_id(receiver.received[0]["body"]["transcript_id"])
    assert fetched.status == aai.TranscriptStatus.completed and fetched.text
