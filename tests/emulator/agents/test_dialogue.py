"""The Voice Agent emulator (tools/emulator/agents.py) in real WebSocket sessions with the shipped caller:
the dialogue heard and answered turn by turn, the reply audio's pace, the 8 kHz caller, barge-in."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from tests.emulator.agents.support import (
    ANSWERS,
    SPEED,
    TIMING,
    Client,
    caller,
    check_shapes,
    run,
    script_turn,
    turn_end,
)
from tools.emulator import agent_audio


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
