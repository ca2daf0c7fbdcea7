"""What the Voice Agent emulator's tests share: the key, the shipped caller (data/scripts/bookshop-caller.yaml)
and its timings, the reference answers, and a WebSocket ``Client`` that keeps every event and answers tool
calls as documented."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tools.emulator.agent_answers import load
from tools.emulator.agents import SERVER_EVENTS, AgentServer

ROOT = Path(__file__).resolve().parents[3]


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


def _get(server: AgentServer, query: str, authorization: str | None = f"Bearer {KEY}") -> tuple[int, dict]:
    request = urllib.request.Request(f"{server.base_url}/v1/token{query}")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
