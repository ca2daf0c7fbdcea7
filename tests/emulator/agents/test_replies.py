"""The Voice Agent emulator (tools/emulator/agents.py) in real WebSocket sessions with the shipped caller:
replies: without interrupt_response, where no reference answer fits, reply.create."""

from __future__ import annotations

import subprocess

from tests.emulator.agents.support import ANSWERS, PROMPT, ROOT, Client, caller, run, turn_end


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
