"""Webhook deliveries over real HTTP on loopback: the emulator POSTs to a FastAPI receiver served by
uvicorn, retries as the docs say (no 2xx: again, up to 10 attempts; a 4xx: no retry) and shows the
receiver's last answer as ``webhook_status_code``; the receiver de-duplicates the retried delivery."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")

KEY = "webhook-test-key"
AUDIO_URL = "https://assembly.ai/wildfires.mp3"
SECRET = "receiver-secret-1234"


def receiver_app(fail_first: int = 0, always: int | None = None):
    """A receiver: checks the auth header, notes each delivery, answers 500 for the first
    ``fail_first`` deliveries (after queueing the work) or ``always`` with that status."""
    app = FastAPI()
    app.state.log, app.state.seen, app.state.failures = [], set(), fail_first

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        if request.headers.get("x-hook-secret") != SECRET:
            app.state.log.append(("refused", 401))
            return Response(status_code=401)
        body = await request.json()
        key = (body["transcript_id"], body["status"])
        duplicate = key in app.state.seen
        app.state.seen.add(key)
        code = always or 200
        if app.state.failures > 0:
            app.state.failures -= 1
            code = 500
        app.state.log.append(("duplicate" if duplicate else "new", code))
        return Response(status_code=code)

    return app


@pytest.fixture
def serve():
    import uvicorn

    servers = []

    def start(app) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        servers.append(server)
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"

    yield start
    for server in servers:
        server.should_exit = True


@pytest.fixture
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as running:
        running.state.webhook_retry_pause_s = 0.01
        running.state.webhook_timeout_s = 2.0
        yield running


def submit(emulator, url: str, secret: str = SECRET) -> str:
    body = {
        "audio_url": AUDIO_URL,
        "webhook_url": url,
        "webhook_auth_header_name": "X-Hook-Secret",
        "webhook_auth_header_value": secret,
    }
    answer = httpx.post(f"{emulator.base_url}/v2/transcript", json=body, headers={"authorization": KEY}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def finished(emulator, transcript_id: str, attempts: int) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if len(emulator.webhooks) >= 1 and len(emulator.webhook_attempts) >= attempts:
            break
        time.sleep(0.02)
    url = f"{emulator.base_url}/v2/transcript/{transcript_id}"
    return httpx.get(url, headers={"authorization": KEY}, timeout=30).json()


def test_a_500_is_retried_and_the_receiver_sees_the_retry_as_a_duplicate(emulator, serve):
    app = receiver_app(fail_first=1)
    transcript_id = submit(emulator, serve(app))
    transcript = finished(emulator, transcript_id, attempts=2)
    assert app.state.log == [("new", 500), ("duplicate", 200)]
    assert [(a["attempt"], a["code"]) for a in emulator.webhook_attempts] == [(1, 500), (2, 200)]
    assert emulator.webhook_attempts[0]["header"] == "X-Hook-Secret"
    assert SECRET not in str(emulator.webhook_attempts)
    assert transcript["webhook_status_code"] == 200


def test_a_bad_auth_header_is_refused_with_401_and_never_retried(emulator, serve):
    app = receiver_app()
    transcript_id = submit(emulator, serve(app), secret="wrong-secret-0000")
    transcript = finished(emulator, transcript_id, attempts=1)
    time.sleep(0.1)  # a retry, if one came, would come after 0.01 s
    assert app.state.log == [("refused", 401)]
    assert [a["code"] for a in emulator.webhook_attempts] == [401]
    assert transcript["webhook_status_code"] == 401


def test_no_2xx_ever_makes_ten_attempts_then_stops(emulator, serve):
    app = receiver_app(always=503)
    transcript_id = submit(emulator, serve(app))
    transcript = finished(emulator, transcript_id, attempts=10)
    assert [a["attempt"] for a in emulator.webhook_attempts] == list(range(1, 11))
    assert len(app.state.log) == 10 and transcript["webhook_status_code"] == 503


def test_no_answer_within_the_deadline_counts_as_a_failure_and_is_retried(emulator, serve):
    import asyncio

    app, calls = FastAPI(), []

    @app.post("/hook")
    async def slow() -> Response:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(1.0)  # past the (shortened) deadline
        return Response(status_code=204)

    emulator.state.webhook_timeout_s = 0.3
    transcript_id = submit(emulator, serve(app))
    transcript = finished(emulator, transcript_id, attempts=2)
    assert [a["code"] for a in emulator.webhook_attempts] == [None, 204]
    assert transcript["webhook_status_code"] == 204
