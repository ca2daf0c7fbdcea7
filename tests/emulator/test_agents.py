"""The Voice Agent emulator (tools/emulator/agents.py) in real WebSocket sessions with the shipped caller
(data/scripts/bookshop-caller.yaml): the dialogue heard and answered turn by turn, the tool call with a
normal and an error result, barge-in, resume inside and outside the grace window, the refusals (auth,
immutable and unknown fields, events out of order), the token rules and the doc page."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tools.emulator import agent_audio, agents
from tools.emulator.agent_answers import load
from tools.emulator.agents import FIELDS, SERVER_EVENTS, AgentServer

ROOT = Path(__file__).resolve().parents[2]
KEY = "test-agents-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
SPEED = 3.0  # replies play three times faster than real time, and the caller is streamed as fast
GRACE = 0.6  # seconds a dropped session is held
TIMING = json.loads((ROOT / "data" / "scripts" / "bookshop-caller.timing.json").read_text())
ANSWERS = load(ROOT / "data", "bookshop-caller")
PROMPT = "You are the order desk of Larkspur Books. Be brief and friendly."
TOOL = {
    "type": "function",
    "name": "lookup_order",
    "description": "Look up an order by its number.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
}
ROW = json.dumps({"order_id": "LB-40718", "title": "The Overstory", "status": "at the local sorting office"})


@pytest.fixture(scope="module")
def server():
    running = AgentServer(KEY, ROOT / "data", speed=SPEED, grace_seconds=GRACE).start()
    assert running.warmed.wait(60)  # timings are the point here: not while it decodes the recordings
    yield running
    running.stop()
    assert running.violations == []


@functools.cache
def caller(rate: int = 24_000, fmt: str = "s16le") -> bytes:
    """The caller's audio decoded as a client would send it."""
    command = ["ffmpeg", "-v", "error", "-i", str(ROOT / "data" / "audio" / "bookshop-caller.mp3")]
    return subprocess.run(
        [*command, "-f", fmt, "-ac", "1", "-ar", str(rate), "-"], capture_output=True, check=True
    ).stdout


def turn_end(number: int) -> int:
    return TIMING["turns"][number]["end"]


class Client:
    """One WebSocket connection: every event received, in order, and the documented tool pattern (the
    results of tool calls sent once ``reply.done`` is the latest event, discarded after an interruption)."""

    def __init__(self, server: AgentServer, result: str = ROW, is_error: bool = False):
        self.server, self.result, self.is_error = server, result, is_error
        self.events: list[dict] = []
        self.times: list[float] = []  # when each event arrived
        self.pending: list[dict] | None = []  # None: the test sends the results itself
        self.ws: Any = None
        self.last: str | None = None  # the latest of reply.started, input.speech.started, reply.done
        self.closed: tuple[int | None, str] | None = None

    async def connect(self, headers: dict | None = AUTH, query: str = "") -> Client:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"{self.server.url}/v1/ws{query}", additional_headers=headers or {})
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in self.ws:
                event = json.loads(message)
                self.events.append(event)
                self.times.append(time.monotonic())
                kind = event["type"]
                if kind in ("reply.started", "input.speech.started", "reply.done"):
                    self.last = kind
                if kind == "tool.call" and self.pending is not None:
                    result = {"call_id": event["call_id"], "result": self.result, "is_error": self.is_error}
                    self.pending.append({"type": "tool.result", **result})
                if kind == "reply.done" and event["status"] == "interrupted" and self.pending:
                    self.pending.clear()  # discarded: the caller barged in
                if kind in ("tool.call", "reply.done") and self.pending and self.last == "reply.done":
                    for result in self.pending:
                        await self.ws.send(json.dumps(result))
                    self.pending.clear()
        except ConnectionClosed:
            pass
        self.closed = (self.ws.close_code, self.ws.close_reason)

    async def send(self, event: dict) -> None:
        await self.ws.send(json.dumps(event))

    async def wait(self, kind: str, count: int = 1, timeout: float = 20) -> dict:
        """The ``count``-th event of type ``kind`` (waiting for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e["type"] == kind]
            if len(found) >= count:
                return found[count - 1]
            if self.closed is not None:
                break
            await asyncio.sleep(0.01)
        raise AssertionError(
            f"no {kind} #{count}; got {[e['type'] for e in self.events if e['type'] != 'reply.audio']}"
        )

    async def start(self, **session: Any) -> str:
        await self.send({"type": "session.update", "session": {"system_prompt": PROMPT, "tools": [TOOL], **session}})
        return (await self.wait("session.ready"))["session_id"]

    async def stream(self, pcm: bytes, start_ms: int, end_ms: int, bytes_per_ms: int = 48) -> None:
        """The caller's audio from ``start_ms`` to ``end_ms`` in 100 ms chunks, paced at ``SPEED``."""
        began = time.monotonic()
        for number, at in enumerate(range(start_ms, min(end_ms, len(pcm) // bytes_per_ms), 100)):
            chunk = pcm[at * bytes_per_ms : (at + 100) * bytes_per_ms]
            await self.send({"type": "input.audio", "audio": base64.b64encode(chunk).decode()})
            delay = began + (number + 1) * 0.1 / SPEED - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def end(self) -> dict:
        await self.send({"type": "session.end"})
        ended = await self.wait("session.ended")
        await asyncio.wait_for(self.reader, 5)
        return ended

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def script_turn(number: int) -> str:
    return TIMING["turns"][number]["text"]


def check_shapes(events: list[dict]) -> None:
    for event in events:
        fields = set(event) - {"type"} - ({"param"} if event["type"] == "session.error" else set())
        assert fields == SERVER_EVENTS[event["type"]], event


# --- the dialogue --------------------------------------------------------------------------------------


def test_the_whole_call_is_heard_and_answered_turn_by_turn(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start(greeting="Thanks for calling Larkspur Books. How can I help?")
        await client.wait("reply.done")  # the greeting, played before the caller speaks
        await client.stream(caller(), 0, TIMING["duration_ms"])
        await client.wait("reply.done", 7)  # the greeting, turn 0, the transition, the cut result, turns 2, 3 and 4
        ended = await client.end()
        assert ended["audio_duration_seconds"] == pytest.approx(TIMING["duration_ms"] / 1000, abs=0.15)
        return client

    client = run(call())
    check_shapes(client.events)
    users = [e["text"] for e in client.of("transcript.user")]
    assert users == [script_turn(n) for n in range(5)]
    for final in client.of("transcript.user"):  # deltas are cumulative, ending with the final text
        deltas = [e["text"] for e in client.of("transcript.user.delta") if e["item_id"] == final["item_id"]]
        assert deltas and deltas[-1] == final["text"]
        assert all(later.startswith(earlier) for earlier, later in zip(deltas, deltas[1:], strict=False))
    assert len(client.of("input.speech.started")) == len(client.of("input.speech.stopped")) == 5
    agents = [(e["text"], e["interrupted"]) for e in client.of("transcript.agent")]
    turns = ANSWERS.turns
    assert agents[0] == ("Thanks for calling Larkspur Books. How can I help?", False)
    assert agents[1] == (turns[0]["reply"], False)
    assert agents[2] == (turns[1]["transition"], False)
    cut, interrupted = agents[3]
    assert interrupted and cut and turns[1]["on_result"]["reply"].startswith(cut) and len(cut) < 120
    assert agents[4:] == [(turns[n]["reply"], False) for n in (2, 3, 4)]
    [call] = client.of("tool.call")
    assert (call["name"], call["arguments"]) == ("lookup_order", {"order_id": "LB-40718"})
    assert [e["status"] for e in client.of("reply.done")].count("interrupted") == 1
    assert client.closed == (1000, "session.end")


def test_reply_audio_is_the_spoken_reply_paced_as_it_would_play(server):
    async def call() -> tuple[Client, float, float]:
        client = await Client(server).connect()
        await client.start(greeting=ANSWERS.turns[0]["reply"])
        started = time.monotonic()
        await client.wait("reply.done", timeout=30)
        took = time.monotonic() - started
        await client.end()
        return client, took, started

    client, took, _ = run(call())
    pcm = b"".join(base64.b64decode(e["data"]) for e in client.of("reply.audio"))
    seconds = len(pcm) / 2 / 24_000
    assert 4 < seconds < 7  # the reply, spoken at 24 kHz PCM16
    assert took >= seconds / SPEED * 0.95  # not sent at once: at the pace it plays
    import numpy as np

    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 3000  # speech, not silence


def test_the_error_result_gets_its_own_reply(server):
    async def call() -> Client:
        client = await Client(server, result=json.dumps({"error": "database unavailable"}), is_error=True).connect()
        await client.start()
        await client.stream(caller(), 0, turn_end(2) + 1_200)
        await client.wait("transcript.user", 3)
        await client.end()
        return client

    client = run(call())
    agents = [(e["text"], e["interrupted"]) for e in client.of("transcript.agent")]
    error_reply, result_reply = ANSWERS.turns[1]["on_error"]["reply"], ANSWERS.turns[1]["on_result"]["reply"]
    cut, interrupted = agents[2]
    assert interrupted and cut and error_reply.startswith(cut) and not result_reply.startswith(cut)
    sent = [e for _, sender, e in server.traffic if sender == "client" and e["type"] == "tool.result"]
    assert sent and sent[-1]["is_error"] is True


def test_a_result_that_does_not_fit_the_reference_reply_is_said_to_have_none(server):
    async def call() -> Client:
        client = await Client(server, result=json.dumps({"order_id": "LB-1", "title": "Dune"})).connect()
        await client.start()
        await client.stream(caller(), 0, turn_end(1) + 4_000)
        await client.wait("session.error")
        await client.end()
        return client

    client = run(call())
    [error] = client.of("session.error")
    assert error["code"] == "server_error" and "The Overstory" in error["message"]
    assert "data/answers/voice-agent/bookshop-caller.yaml" in error["message"]
    assert len(client.of("transcript.agent")) == 2  # the answer to turn 0 and the transition, nothing made up


def test_without_interrupt_response_the_reply_plays_on_and_the_turn_is_answered_after(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start(input={"turn_detection": {"interrupt_response": False}})
        await client.stream(caller(), 0, turn_end(2) + 1_200)
        await client.wait("transcript.agent", 4, timeout=30)
        await client.end()
        return client

    client = run(call())
    agents = [(e["text"], e["interrupted"]) for e in client.of("transcript.agent")]
    assert agents[2] == (ANSWERS.turns[1]["on_result"]["reply"], False)  # heard out in full
    assert agents[3] == (ANSWERS.turns[2]["reply"], False)  # then the interrupting turn answered
    assert "interrupted" not in [e["status"] for e in client.of("reply.done")]


def test_barge_in_cuts_the_reply_where_its_audio_was(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start(greeting=ANSWERS.turns[1]["on_result"]["reply"])  # an 18 s greeting
        await asyncio.sleep(3.0 / SPEED)
        await client.stream(caller(), 0, 1_500)  # the caller talks over it
        await client.wait("reply.done")
        await client.end()
        return client

    client = run(call())
    types = [e["type"] for e in client.events if e["type"] != "reply.audio"]
    assert types.index("input.speech.started") < types.index("transcript.agent") < types.index("reply.done")
    [said] = client.of("transcript.agent")
    assert said["interrupted"] and client.of("reply.done")[0]["status"] == "interrupted"
    sent_ms = len(b"".join(base64.b64decode(e["data"]) for e in client.of("reply.audio"))) / 48
    words = len(said["text"].split())
    assert 2 <= words <= 14  # about 3 s of an 18 s reply
    assert sent_ms < 6_000  # the audio stopped too


def test_a_g711_caller_at_8_khz_is_heard(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start(input={"format": {"encoding": "audio/pcmu"}}, output={"format": {"encoding": "audio/pcma"}})
        await client.stream(caller(8_000, "mulaw"), 0, turn_end(0) + 1_200, bytes_per_ms=8)
        await client.wait("reply.audio", timeout=10)
        await client.end()
        return client

    client = run(call())
    assert [e["text"] for e in client.of("transcript.user")] == [script_turn(0)]
    chunk = base64.b64decode(client.of("reply.audio")[0]["data"])
    assert len(chunk) == 800  # 100 ms of 8 kHz A-law, one byte a sample
    assert abs(agent_audio.decode("audio/pcma", chunk).astype(int)).max() > 0


# --- resume --------------------------------------------------------------------------------------------


def test_a_dropped_session_resumes_within_the_grace_window_with_its_context(server):
    async def call() -> tuple[Client, Client, str]:
        first = await Client(server).connect()
        session_id = await first.start()
        await first.stream(caller(), 0, turn_end(0) + 7_000)
        await first.wait("transcript.agent")
        await first.ws.close()  # the network drops (no session.end)
        await asyncio.wait_for(first.reader, 5)
        second = await Client(server).connect()
        await second.send({"type": "session.resume", "session_id": session_id})
        await second.wait("session.ready")
        await second.stream(caller(), turn_end(0) + 7_000, turn_end(1) + 4_000)
        await second.wait("tool.call")
        await second.wait("reply.done")
        await second.end()
        return first, second, session_id

    first, second, session_id = run(call())
    assert second.of("session.ready")[0]["session_id"] == session_id
    assert [e["text"] for e in first.of("transcript.user")] == [script_turn(0)]
    assert [e["text"] for e in second.of("transcript.user")] == [script_turn(1)]  # turn 1, not a new turn 0
    assert second.of("tool.call")[0]["arguments"] == {"order_id": "LB-40718"}
    [record] = [r for r in server.sessions_ended if r["session_id"] == session_id]
    assert record["ended_by"] == "session.end"


def test_a_session_held_past_the_grace_window_cannot_be_resumed(server):
    async def call() -> tuple[Client, str]:
        first = await Client(server).connect()
        session_id = await first.start()
        await first.ws.close()
        await asyncio.sleep(GRACE + 0.4)
        second = await Client(server).connect()
        await second.send({"type": "session.resume", "session_id": session_id})
        await asyncio.wait_for(second.reader, 5)
        return second, session_id

    second, session_id = run(call())
    assert [(e["type"], e["code"]) for e in second.events] == [("session.error", "session_not_found")]
    assert second.closed[0] == 1008
    [record] = [r for r in server.sessions_ended if r["session_id"] == session_id]
    assert record["ended_by"] == "grace window expired" and record["billed_seconds"] >= GRACE  # held time billed


def test_an_ended_session_cannot_be_resumed(server):
    async def call() -> Client:
        first = await Client(server).connect()
        session_id = await first.start()
        await first.end()
        second = await Client(server).connect()
        await second.send({"type": "session.resume", "session_id": session_id})
        await asyncio.wait_for(second.reader, 5)
        return second

    assert run(call()).events[0]["code"] == "session_not_found"


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "query", "says"),
    [
        (None, "", "Missing Authorization"),
        ({"Authorization": KEY}, "", "Bearer"),  # a bare key: refused, Bearer is required here
        ({"Authorization": "Bearer not-the-key"}, "", "Invalid API key"),
        (None, "?token=never-issued", "temporary token"),
    ],
)
def test_a_connection_without_valid_credentials_is_refused(server, headers, query, says):
    async def call() -> Client:
        client = await Client(server).connect(headers, query)
        await asyncio.wait_for(client.reader, 5)
        return client

    client = run(call())
    [error] = client.events
    assert error["code"] == "UNAUTHORIZED" and says in error["message"] and client.closed[0] == 1008


def _get(server: AgentServer, query: str, authorization: str | None = f"Bearer {KEY}") -> tuple[int, dict]:
    request = urllib.request.Request(f"{server.base_url}/v1/token{query}")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?expires_in_seconds=1", 200),
        ("?expires_in_seconds=600&max_session_duration_seconds=10800", 200),
        ("?expires_in_seconds=60&max_session_duration_seconds=60", 200),
        ("?expires_in_seconds=0", 400),
        ("?expires_in_seconds=601", 400),
        ("?expires_in_seconds=60&max_session_duration_seconds=59", 400),
        ("?expires_in_seconds=60&max_session_duration_seconds=10801", 400),
        ("", 400),
        ("?expires_in_seconds=60&colour=blue", 400),
    ],
)
def test_token_bounds(server, query, status):
    code, body = _get(server, query)
    assert code == status, body
    assert ("token" in body) == (status == 200)


@pytest.mark.parametrize(
    "query", ["?expires_in_seconds=60&max_session_duration_seconds=600", "?expires_in_seconds=0", ""]
)
def test_the_recorded_token_exchanges_are_judged_by_the_documented_shape(server, query):
    """tests/project/test_cassette_conformance.py judges a recorded GET /v1/token with
    agents.validate_token_interaction: what the emulator answers passes, other shapes do not."""
    from tools import spec

    url = f"https://agents.assemblyai.com/v1/token{query}"
    assert agents.is_token_request(url) and not agents.is_token_request("https://api.assemblyai.com/v1/token")
    status, body = _get(server, query)
    agents.validate_token_interaction(url, status, body)
    good = "https://agents.assemblyai.com/v1/token?expires_in_seconds=60"
    for status, payload, where in [
        (200, {"token": "t"}, good),  # no expires_in_seconds
        (200, {"token": "t", "expires_in_seconds": 30}, good),  # not the one asked for
        (401, {"message": "no"}, good),  # not {error}
        (200, {"token": "t", "expires_in_seconds": 0}, good.replace("=60", "=0")),  # out of range, not refused
    ]:
        with pytest.raises(spec.SpecViolation):
            agents.validate_token_interaction(where, status, payload)


def test_the_token_endpoint_takes_a_bearer_key_only(server):
    assert _get(server, "?expires_in_seconds=60", KEY)[0] == 401
    assert _get(server, "?expires_in_seconds=60", None)[0] == 401


def test_a_temporary_token_opens_one_session_and_expires(server):
    token = _get(server, "?expires_in_seconds=60")[1]["token"]
    short = _get(server, "?expires_in_seconds=1")[1]["token"]

    async def call() -> tuple[Client, Client, Client]:
        first = await Client(server).connect(None, f"?token={token}")
        await first.start()
        again = await Client(server).connect(None, f"?token={token}")
        await asyncio.wait_for(again.reader, 5)
        await asyncio.sleep(1.1)
        late = await Client(server).connect(None, f"?token={short}")
        await asyncio.wait_for(late.reader, 5)
        await first.end()
        return first, again, late

    first, again, late = run(call())
    assert first.of("session.ready")
    assert again.events[0]["code"] == late.events[0]["code"] == "UNAUTHORIZED"


def test_immutable_fields_are_refused_after_ready_and_the_session_goes_on(server):
    updates = [
        {"type": "session.update", "session": {"greeting": "Hi again."}},
        {"type": "session.update", "session": {"output": {"voice": "ivy"}}},
        {"type": "session.update", "session": {"output": {"format": {"encoding": "audio/pcmu"}}}},
        {"type": "session.update", "session": {"output": {"volume": 40}, "system_prompt": PROMPT + " Be kind."}},
        {"type": "session.update", "session": {"input": {"keyterms": ["Larkspur"]}}},
    ]

    async def call() -> Client:
        client = await Client(server).connect()
        await client.start(greeting="Hello.", output={"voice": "james"})
        for event in updates:
            await client.send(event)
        await client.wait("session.error", 4)
        await client.end()
        return client

    client = run(call())
    errors = client.of("session.error")
    assert [(e["code"], e.get("param")) for e in errors] == [
        ("immutable_field", "greeting"),
        ("immutable_field", "output.voice"),
        ("immutable_field", "output.format"),
        ("invalid_config", "input.keyterms"),
    ]
    assert len(client.of("session.updated")) == 1  # the volume and prompt change went through
    assert client.of("session.ended")


@pytest.mark.parametrize(
    ("session", "code", "named"),
    [
        ({"colour": "blue"}, "invalid_config", "colour"),
        ({"agent_id": "agt_1"}, "invalid_config", "agent_id"),
        ({"input": {"voice_focus": True}}, "invalid_config", "input.voice_focus"),
        ({"input": {"turn_detection": {"interruption_delay": 0}}}, "invalid_config", "interruption_delay"),
        ({"input": {"turn_detection": {"vad_threshold": 2}}}, "invalid_value", "vad_threshold"),
        ({"output": {"voice": "sam"}}, "invalid_value", "removed"),
        ({"output": {"voice": "claire"}}, "invalid_value", "claire"),
        ({"output": {"format": {"encoding": "audio/pcm", "sample_rate": 16000}}}, "invalid_value", "sample_rate"),
        ({"tools": [{**TOOL, "execution_mode": "later"}]}, "invalid_value", "execution_mode"),
        ({"tools": [{**TOOL, "timeout_seconds": 301}]}, "invalid_value", "timeout_seconds"),
        ({"tools": [{**TOOL, "strict": True}]}, "invalid_config", "strict"),
    ],
)
def test_a_field_it_does_not_take_is_refused_by_name_and_the_session_is_not_ready(server, session, code, named):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.send({"type": "session.update", "session": session})
        await client.wait("session.error")
        await client.send({"type": "input.audio", "audio": ""})  # still not ready
        await client.wait("session.error", 2)
        await client.ws.close()
        return client

    client = run(call())
    first, second = client.of("session.error")
    assert first["code"] == code and named in first["message"]
    assert second["code"] == "invalid_format" and "before session.ready" in second["message"]
    assert not client.of("session.ready")


def test_malformed_events_are_refused_and_the_session_stays_open(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start()
        for frame in ("not json", json.dumps({"type": "response.create"}), json.dumps({"type": "session.end", "x": 1})):
            await client.ws.send(frame)
        await client.send({"type": "input.audio", "audio": "%%%"})
        await client.send({"type": "input.audio", "audio": base64.b64encode(b"abc").decode()})
        await client.send({"type": "tool.result", "call_id": "nope", "result": "{}"})
        await client.wait("session.error", 6)
        await client.end()
        return client

    client = run(call())
    codes = [e["code"] for e in client.of("session.error")]
    assert codes == ["invalid_format"] * 3 + ["invalid_audio"] * 2 + ["invalid_value"]
    assert client.of("session.ended")


def test_where_no_reference_answer_fits_the_emulator_says_which_file_to_write(server, tmp_path):
    async def call(session: dict, pcm: bytes) -> Client:
        client = await Client(server).connect()
        await client.send({"type": "session.update", "session": session})
        await client.wait("session.ready")
        await client.stream(pcm, 0, 7_000)
        await client.wait("session.error")
        await client.end()
        return client

    other = run(call({"system_prompt": "You are a pizza shop."}, caller()))
    [error] = other.of("session.error")
    assert error["code"] == "server_error" and "Larkspur Books" in error["message"]
    assert not other.of("reply.started")
    support = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(ROOT / "data/audio/support-call.mp3"), "-f", "s16le", "-ac", "1", "-ar",
         "24000", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    unanswered = run(call({"system_prompt": PROMPT}, support))
    assert "data/answers/voice-agent/support-call.yaml" in unanswered.of("session.error")[0]["message"]
    noise = (__import__("numpy").random.default_rng(1).normal(0, 3000, 24_000 * 8)).astype("<i2").tobytes()
    unknown = run(call({"system_prompt": PROMPT}, noise))
    assert unknown.of("session.error")[0]["code"] == "invalid_audio"


def test_reply_create_speaks_the_reference_answer_for_its_instructions(server):
    async def call() -> Client:
        client = await Client(server).connect()
        await client.start()
        await client.stream(caller(), 0, 2_000)  # the emulator must know the conversation first
        await client.send({"type": "reply.create", "instructions": "Tell the caller the connection is back."})
        await client.wait("reply.done")
        await client.send({"type": "reply.create", "instructions": "Sing a song."})
        await client.wait("session.error")
        await client.end()
        return client

    client = run(call())
    assert client.of("transcript.agent")[0]["text"] == ANSWERS.reply_create[0]["reply"]
    assert "reply_create" in client.of("session.error")[0]["message"]


def test_a_hold_tool_is_silent_and_holds_the_user_transcripts_until_its_result(server):
    async def call() -> tuple[Client, int]:
        client = await Client(server).connect()
        client.pending = None  # this test sends the result itself, late
        await client.start(tools=[{**TOOL, "execution_mode": "hold"}])
        await client.stream(caller(), 0, turn_end(2) + 1_200)
        call = await client.wait("tool.call")
        await client.wait("input.speech.stopped", 3)  # the caller spoke again meanwhile
        held = len(client.of("transcript.user"))
        await client.send({"type": "tool.result", "call_id": call["call_id"], "result": ROW})
        await client.wait("transcript.user", 3)
        await client.wait("reply.done", 2)
        await client.end()
        return client, held

    client, held = run(call())
    assert held == 2  # turn 2's transcript was held back while the tool ran
    types = [e["type"] for e in client.events if e["type"] != "reply.audio"]
    assert types[types.index("tool.call") - 1] != "reply.started"  # no transition reply: silent
    agents = [e["text"] for e in client.of("transcript.agent")]
    assert agents == [ANSWERS.turns[0]["reply"], ANSWERS.turns[1]["on_result"]["reply"]]  # turn 2 unanswered
    assert types.index("transcript.user", types.index("tool.call")) > types.index(
        "input.speech.stopped", types.index("tool.call")
    )


# --- the emulator and its documentation ----------------------------------------------------------------


def test_the_emulator_runs_the_agents_server_and_names_its_hosts():
    from cookbook_utils import config
    from tests.emulator.support import checked_emulator

    with checked_emulator(KEY) as emulator:
        assert emulator.agents_url.startswith("ws://127.0.0.1:")
        assert emulator.stand_ins[config.AGENTS_HOST] == emulator.stand_ins[config.EU_AGENTS_HOST]
        assert emulator.stand_ins[config.AGENTS_HOST] == emulator.agents.base_url

        async def call() -> Client:
            client = await Client(emulator.agents).connect()
            await client.start()
            await client.end()
            return client

        assert run(call()).of("session.ready")


def test_the_doc_page_names_every_field_and_event():
    page = (ROOT / "docs" / "emulator-voice-agent.md").read_text()
    for name in [*FIELDS, *SERVER_EVENTS, "input.audio", "session.update", "session.resume", "tool.result",
                 "reply.create", "session.end"]:  # fmt: skip
        assert f"`{name}`" in page, name
    assert re.search(r"UNVERIFIED", page)
