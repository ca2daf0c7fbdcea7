"""The emulator's HTTP layer (``tools/emulator/http.py``): bodies framed by Content-Length or
chunked, malformed framing and garbled requests answered with JSON errors, an unexpected exception
a JSON 500 and a violation, and no lock around I/O (a hanging download delays no other request;
a hundred clients at once are all answered)."""

import json
import socket
import threading
import time

import pytest
import requests

from tests.emulator.support import KEY, MODELS, ROOT, call, submit
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


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

    upload = call(emulator, "POST", "/v2/upload", data=chunks())  # a generator: requests sends it chunked
    assert upload.status_code == 200
    created = submit(emulator, audio_url=upload.json()["upload_url"])
    result = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
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


def test_an_unexpected_exception_is_a_json_500_and_a_violation(emulator, monkeypatch):
    from tools.emulator import transcripts

    def broken(state, query, **_region):
        raise KeyError("a bug")

    monkeypatch.setattr(transcripts, "listing", broken)
    response = call(emulator, "GET", "/v2/transcript")
    assert response.status_code == 500
    assert response.json() == {"error": "Server error, developers have been alerted."}
    assert len(emulator.violations) == 1 and "KeyError: 'a bug'" in emulator.violations[0]
    emulator.violations.clear()  # seen: the fixture checks for others


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
    other = submit(emulator)
    created = submit(emulator, audio_url=url)  # answered at once: the download runs apart
    assert created["status"] == "queued"
    deadline = time.monotonic() + 5
    while not accepted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert accepted, "the emulator never started the download"
    poll = call(emulator, "GET", f"/v2/transcript/{other['id']}", timeout=5)
    assert poll.json()["status"] == "completed"
    waiting = call(emulator, "GET", f"/v2/transcript/{created['id']}", timeout=5).json()
    assert waiting["status"] in {"queued", "processing"}  # still downloading, and saying so


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


@pytest.mark.parametrize(
    "request_line", [b"GARBAGE\r\n\r\n", b"FETCH /v2/transcript HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"]
)
def test_a_garbled_request_gets_a_json_error(emulator, request_line):
    status, body = _status_and_body(_raw(emulator, request_line))
    assert 400 <= status < 600 and isinstance(body["error"], str) and body["error"]
