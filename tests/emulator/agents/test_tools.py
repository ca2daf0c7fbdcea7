"""The Voice Agent emulator (tools/emulator/agents.py) in real WebSocket sessions with the shipped caller:
tool calls: a normal and an error result, a result the reference reply does not fit, a hold tool."""

from __future__ import annotations

import json

from tests.emulator.agents.support import ANSWERS, ROW, TOOL, Client, caller, run, turn_end


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
