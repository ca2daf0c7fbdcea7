"""The Voice Agent emulator (tools/emulator/agents.py) in real WebSocket sessions with the shipped caller:
the session: resume inside and outside the grace window, the refusals (auth, immutable and unknown fields,
events out of order), the token rules, the hosts and the doc page."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest

from tests.emulator.agents.support import (
    ANSWERS,
    GRACE,
    KEY,
    PROMPT,
    ROOT,
    SERVER_EVENTS,
    TOOL,
    Client,
    _get,
    caller,
    run,
    script_turn,
    turn_end,
)
from tools.emulator import agent_audio, agents
from tools.emulator.agents import FIELDS


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


def test_the_reference_replies_are_spoken_while_it_warms_up(server):
    """So that a reply's first audio never waits on espeak-ng (the reply itself is the same)."""
    rate = agent_audio.FORMATS[agent_audio.DEFAULT_ENCODING]
    texts = ANSWERS.spoken()
    assert ANSWERS.turns[1]["on_result"]["reply"] in texts and ANSWERS.turns[1]["transition"] in texts
    assert {(text, agents.DEFAULT_VOICE, rate) for text in texts} <= set(agents._SPOKEN)


def test_only_an_emulator_for_a_notebook_speaks_the_replies_in_advance():
    """A test starts hundreds of emulators: speaking every reply for each cost 1.7 CPU-seconds."""
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as plain, Emulator(api_key=KEY, notebook="voice-agent-quickstart") as for_notebook:
        assert not plain.agents.warm and plain.agents._warming is None
        assert for_notebook.agents.warm and for_notebook.agents.warmed.wait(60)
