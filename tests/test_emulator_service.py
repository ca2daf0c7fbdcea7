"""The emulator as a service, driven from the outside by clients of our own: time (not polling)
moves transcripts and calls webhooks, HTTP is strict (query parameters, bodies, methods), listing
paginates as the spec says, a deleted transcript stays deleted, retired models are refused with
the API's words, and one hanging download delays no other request."""

import contextlib
import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from cookbook_utils.network import serve_in_background
from tests.emulator_fixtures import checked_emulator, point_sdk
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[1]
KEY = "emulator-service-test-key"
MODELS = ["universal-3-5-pro", "universal-2"]
AUDIO_URL = "https://example.com/media/support-call.mp3"


@pytest.fixture
def make_emulator():
    """Start emulators with any settings; each is checked for spec violations and stopped."""
    with contextlib.ExitStack() as started:
        yield lambda **settings: started.enter_context(checked_emulator(KEY, **settings))


@pytest.fixture
def emulator(make_emulator):
    return make_emulator()


def _call(emulator, method, path, **kwargs):
    kwargs.setdefault("timeout", 10)
    headers = {"authorization": KEY, **kwargs.pop("headers", {})}
    return requests.request(method, f"{emulator.base_url}{path}", headers=headers, **kwargs)


def _submit(emulator, **extra):
    response = _call(
        emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": MODELS, **extra}
    )
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


# --- strict HTTP -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("status=done", "status"),
        ("before_id=not-a-uuid", "before_id"),
        ("created_on=yesterday", "created_on"),
        ("throttled_only=maybe", "throttled_only"),
        ("limit=5&limit=6", "limit"),
        ("page=2", "page"),
    ],
)
def test_bad_list_queries_are_refused_by_name(emulator, query, named):
    response = _call(emulator, "GET", f"/v2/transcript?{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_bad_caption_and_search_queries(emulator):
    created = _submit(emulator)
    _call(emulator, "GET", f"/v2/transcript/{created['id']}")
    response = _call(emulator, "GET", f"/v2/transcript/{created['id']}/srt?chars_per_caption=wide")
    assert response.status_code == 400 and "chars_per_caption" in response.json()["error"]
    response = _call(emulator, "GET", f"/v2/transcript/{created['id']}/word-search")
    assert response.status_code == 400 and "words" in response.json()["error"]
    response = _call(emulator, "GET", f"/v2/transcript/{created['id']}/vtt?chars_per_caption=20")
    assert response.status_code == 200 and response.text.startswith("WEBVTT")


def _raw(emulator, request: bytes) -> bytes:
    """Send bytes as they are and read the answer until the server closes or 5 s pass."""
    port = int(emulator.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def _status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize("length", [b"abc", b"-5", b"12, 13"])
def test_a_malformed_content_length_gets_a_json_400(emulator, length):
    answer = _raw(
        emulator,
        b"POST /v2/upload HTTP/1.1\r\nHost: x\r\nauthorization: "
        + KEY.encode()
        + b"\r\ncontent-length: "
        + length
        + b"\r\n\r\nhello",
    )
    status, body = _status_and_body(answer)
    assert status == 400 and "Content-Length" in body["error"]


def test_a_chunked_upload_is_read_whole(emulator):
    audio = (ROOT / "data" / "audio" / "clip-es.mp3").read_bytes()

    def chunks():
        for start in range(0, len(audio), 7000):
            yield audio[start : start + 7000]

    upload = _call(emulator, "POST", "/v2/upload", data=chunks())  # a generator: requests sends it chunked
    assert upload.status_code == 200
    created = _submit(emulator, audio_url=upload.json()["upload_url"])
    result = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert result["status"] == "completed" and result["language_code"] == "es"


def test_a_broken_chunked_body_gets_a_json_400(emulator):
    answer = _raw(
        emulator,
        b"POST /v2/upload HTTP/1.1\r\nHost: x\r\nauthorization: "
        + KEY.encode()
        + b"\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    )
    status, body = _status_and_body(answer)
    assert status == 400 and "chunked" in body["error"]


def test_an_empty_upload_is_refused(emulator):
    response = _call(emulator, "POST", "/v2/upload", data=b"")
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v2/transcript", "GET, POST"),
        ("GET", "/v2/upload", "POST"),
        ("POST", "/v2/transcript/abc", "GET, DELETE"),
        ("PATCH", "/v1/chat/completions", "POST"),
    ],
)
def test_a_method_the_path_lacks_gets_405(emulator, method, path, allowed):
    response = _call(emulator, method, path)
    assert response.status_code == 405 and response.headers["allow"] == allowed
    message = response.json()["error"]
    assert method in str(message) and path in str(message)


def test_an_unknown_path_is_404(emulator):
    response = _call(emulator, "GET", "/v2/transcripts")
    assert response.status_code == 404 and response.json() == {"error": "Not found"}


def test_an_unexpected_exception_is_a_json_500_and_a_violation(emulator, monkeypatch):
    from tools.emulator import transcripts

    def broken(state, query, **_region):
        raise KeyError("a bug")

    monkeypatch.setattr(transcripts, "listing", broken)
    response = _call(emulator, "GET", "/v2/transcript")
    assert response.status_code == 500
    assert response.json() == {"error": "Server error, developers have been alerted."}
    assert len(emulator.violations) == 1 and "KeyError: 'a bug'" in emulator.violations[0]
    emulator.violations.clear()  # seen: the fixture checks for others


# --- listing, deleting, models ---------------------------------------------------------------------


def test_listing_pages_newest_first_with_prev_and_next(emulator):
    ids = [_submit(emulator)["id"] for _ in range(5)]
    first = _call(emulator, "GET", "/v2/transcript?limit=2").json()
    assert [t["id"] for t in first["transcripts"]] == [ids[4], ids[3]]
    details = first["page_details"]
    assert details["result_count"] == 2 and details["next_url"] is None
    assert details["current_url"] == "https://api.assemblyai.com/v2/transcript?limit=2"
    assert details["prev_url"].endswith(f"limit=2&before_id={ids[3]}")
    older = _call(emulator, "GET", "/v2/transcript?" + details["prev_url"].split("?")[1]).json()
    assert [t["id"] for t in older["transcripts"]] == [ids[2], ids[1]]
    oldest = _call(emulator, "GET", "/v2/transcript?" + older["page_details"]["prev_url"].split("?")[1]).json()
    assert [t["id"] for t in oldest["transcripts"]] == [ids[0]]
    assert oldest["page_details"]["prev_url"] is None
    newer = _call(emulator, "GET", "/v2/transcript?" + oldest["page_details"]["next_url"].split("?")[1]).json()
    assert [t["id"] for t in newer["transcripts"]] == [ids[2], ids[1]]


def test_listing_filters_by_status(emulator):
    good = _submit(emulator)["id"]
    bad = _submit(emulator, audio_url="https://example.com/missing.mp3")["id"]
    errors = _call(emulator, "GET", "/v2/transcript?status=error").json()["transcripts"]
    assert [t["id"] for t in errors] == [bad] and errors[0]["error"].startswith("Download error")
    completed = _call(emulator, "GET", "/v2/transcript?status=completed").json()["transcripts"]
    assert [t["id"] for t in completed] == [good] and completed[0]["completed"] is not None
    assert _call(emulator, "GET", "/v2/transcript?throttled_only=true").json()["transcripts"] == []


@pytest.mark.parametrize("processing_seconds", [0.0, 30.0])
def test_a_deleted_transcript_stays_deleted(make_emulator, processing_seconds):
    emulator = make_emulator(processing_seconds=processing_seconds)
    created = _submit(emulator)
    if processing_seconds == 0:
        assert _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()["status"] == "completed"
    deleted = _call(emulator, "DELETE", f"/v2/transcript/{created['id']}").json()
    assert deleted["text"] == "Deleted by user." and deleted["audio_url"] == "http://deleted_by_user"
    emulator.state.transcripts[created["id"]]["ready_at"] = 0  # its time has come: nothing may change
    for _ in range(3):
        again = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
        assert again == deleted


@pytest.mark.parametrize(
    ("models", "words"),
    [
        (["nano"], 'The "nano" speech model(s) have been deprecated'),
        (["universal-3-5-pro", "univresal-2"], "Invalid speech_models value: 'univresal-2'"),
    ],
)
def test_models_that_do_not_exist_are_refused_at_submission(emulator, models, words):
    response = _call(emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "speech_models": models})
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


def test_the_model_list_parses_with_the_sdks_own_model(emulator):
    """GET /v1/models is not in the published spec: the SDK's pydantic model is the reference."""
    from assemblyai.llm_gateway.v1 import models as gateway_models

    listed = _call(emulator, "GET", "/v1/models").json()
    parsed = gateway_models.LLMGatewayModelList.model_validate(listed)
    assert [m.id for m in parsed.data] == [m["id"] for m in listed["data"]] and parsed.data


def test_every_message_names_its_source():
    from tools.emulator.messages import MESSAGES, text

    assert all(m.source and m.template for m in MESSAGES.values())
    assert text("transcript_not_found") == "Transcript lookup error, transcript id not found"


# --- load: no lock around I/O ----------------------------------------------------------------------


@pytest.fixture
def hanging_server():
    """A loopback server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/never.mp3", accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_hanging_download_blocks_no_other_request(emulator, hanging_server):
    url, accepted = hanging_server
    other = _submit(emulator)
    created = _submit(emulator, audio_url=url)  # answered at once: the download runs apart
    assert created["status"] == "queued"
    deadline = time.monotonic() + 5
    while not accepted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert accepted, "the emulator never started the download"
    poll = _call(emulator, "GET", f"/v2/transcript/{other['id']}", timeout=5)
    assert poll.json()["status"] == "completed"
    waiting = _call(emulator, "GET", f"/v2/transcript/{created['id']}", timeout=5).json()
    assert waiting["status"] in {"queued", "processing"}  # still downloading, and saying so


def test_a_bad_processing_time_in_the_environment_says_what_to_do(monkeypatch):
    from tools.emulator.server import settings_from_env

    monkeypatch.setenv("COOKBOOK_EMULATOR_PROCESSING_SECONDS", "fast")
    with pytest.raises(ValueError, match="number of seconds"):
        settings_from_env()


def test_the_listing_shows_the_clock_too(make_emulator):
    emulator = make_emulator(processing_seconds=30)
    created = _submit(emulator)
    emulator.state.transcripts[created["id"]]["started"] -= 20  # past half-way, never polled
    listed = _call(emulator, "GET", "/v2/transcript").json()["transcripts"]
    assert [(t["id"], t["status"], t["completed"]) for t in listed] == [(created["id"], "processing", None)]


def test_many_clients_at_once_get_no_connection_error(make_emulator):
    """100 clients upload, submit and poll together: every request answered (no timing asserted)."""
    from concurrent.futures import ThreadPoolExecutor

    emulator = make_emulator(processing_seconds=0.5)
    audio = (ROOT / "data" / "audio" / "clip-es.mp3").read_bytes()
    barrier = threading.Barrier(100)

    def client(_):
        with requests.Session() as session:
            session.headers["authorization"] = KEY
            barrier.wait()
            upload = session.post(f"{emulator.base_url}/v2/upload", data=audio, timeout=60).json()
            body = {"audio_url": upload["upload_url"], "speech_models": MODELS}
            created = session.post(f"{emulator.base_url}/v2/transcript", json=body, timeout=60).json()
            for _ in range(600):
                status = session.get(f"{emulator.base_url}/v2/transcript/{created['id']}", timeout=60).json()["status"]
                if status == "completed":
                    return status
                time.sleep(0.05)
            return status

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(client, range(100)))
    assert statuses == ["completed"] * 100


def test_a_failure_in_background_work_is_a_violation(emulator, monkeypatch):
    from tools.emulator import uploads

    def broken(state, audio_url):
        raise RuntimeError("a bug in the download")

    monkeypatch.setattr(uploads, "resolve_audio", broken)
    created = _submit(emulator)
    result = _call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
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


@pytest.mark.parametrize(
    "request_line", [b"GARBAGE\r\n\r\n", b"FETCH /v2/transcript HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"]
)
def test_a_garbled_request_gets_a_json_error(emulator, request_line):
    status, body = _status_and_body(_raw(emulator, request_line))
    assert 400 <= status < 600 and isinstance(body["error"], str) and body["error"]
