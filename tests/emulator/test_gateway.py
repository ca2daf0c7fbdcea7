"""The emulator's LLM Gateway beyond our notebooks: the real model list, reference answers chosen
by content or by call number, the check that a prompt still holds its transcript, streaming, tool
calls, max_tokens and context length, and every other parameter refused by name."""

import json
import re
from pathlib import Path

import assemblyai as aai
import pytest
import requests
import yaml

from cookbook_utils.yamlio import load_yaml
from tests.emulator.support import checked_emulator, point_sdk, scripts_folder
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "gateway-test-key-0123456789abcdef"
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
NOTEBOOK_MODELS = ["claude-sonnet-4-5-20250929", "gemini-2.5-flash-lite"]
ANSWER = "The release moves from the fourteenth to the twenty-first."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "create_ticket",
            "description": "Open a ticket for a follow-up task.",
            "parameters": {
                "type": "object",
                "properties": {"owner": {"type": "string"}, "task": {"type": "string"}},
                "required": ["owner", "task"],
            },
        },
    }
]
MANIFEST = {
    "hello": {"file": "hello.md", "transcripts": [], "prompt_contains": ["Say hello"]},
    "release": {"file": "release.md", "transcripts": ["team-meeting"], "prompt_contains": ["release date"]},
    "ticket": {"file": "ticket.tool_calls.json", "transcripts": [], "prompt_contains": ["open a ticket"]},
    "1": {"file": "first.md", "transcripts": [], "prompt_contains": ["First question"]},
    "ticket-done": {"file": "ticket-done.md", "transcripts": [], "prompt_contains": ["TICKET-42"]},
}


def source_models() -> dict:
    return load_yaml((ROOT / "data" / "gateway" / "models.yaml").read_text())["models"]


def _transcript_text(name: str) -> str:
    words = json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())["words"]
    return " ".join(w["text"] for w in words)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = scripts_folder(tmp_path_factory)
    answers = folder / "answers" / "gw"
    answers.mkdir(parents=True)
    (answers / "hello.md").write_text("Hello! " * 3)
    (answers / "release.md").write_text(ANSWER)
    (answers / "first.md").write_text("The first answer.")
    (answers / "ticket.tool_calls.json").write_text(
        json.dumps([{"name": "create_ticket", "arguments": {"owner": "Daniel", "task": "Fix the crash"}}])
    )
    (answers / "ticket-done.md").write_text("Ticket TICKET-42 is open for Daniel.")
    (answers / "answers.yaml").write_text(yaml.safe_dump(MANIFEST))
    (answers / "7.md").write_text("An answer nobody declared.")
    return folder


@pytest.fixture
def emulator(data_dir):
    with checked_emulator(KEY, notebook="gw", data_dir=data_dir) as running:
        yield running


@pytest.fixture
def sdk(emulator, monkeypatch):
    point_sdk(monkeypatch, emulator, KEY)
    return aai.LLMGateway()


def _chat(emulator, **body):
    body.setdefault("messages", [{"role": "user", "content": "Say hello."}])
    return requests.post(
        f"{emulator.base_url}/v1/chat/completions", headers={"authorization": KEY}, json=body, timeout=30
    )


def _error(reply) -> str:
    """The cause of a 400, checked to come in the real envelope (the 2026-09-24 capture)."""
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert set(body) == {"message", "code", "request_id", "metadata"}, body
    assert body["message"] == "invalid request body" and body["code"] == 400
    assert re.fullmatch(UUID4, body["request_id"])
    (cause,) = body["metadata"]["errors"]
    return cause


# The model list


def test_the_model_list_parses_with_the_sdk_and_names_its_source(sdk):
    listed = sdk.models.list()
    ids = [model.id for model in listed.data]
    assert len(ids) == len(set(ids)) == len(source_models())
    assert set(NOTEBOOK_MODELS) <= set(ids)
    assert {"gpt-4.1", "gpt-5", "claude-sonnet-4-6", "gemini-2.5-pro"} <= set(ids)
    source = load_yaml((ROOT / "data" / "gateway" / "models.yaml").read_text())
    assert len(source["source_commit"]) == 40 and source["read_on"]
    sonnet = next(m for m in listed.data if m.id == "claude-sonnet-4-5-20250929")
    assert sonnet.context_length == 200_000 and sonnet.pricing.global_.prompt == 3.0
    assert sonnet.pricing.eu.prompt == pytest.approx(3.3) and sonnet.pricing.regional_increase_percent == 10
    gpt = next(m for m in listed.data if m.id == "gpt-4.1")
    assert gpt.available_regions == ["us"] and gpt.pricing.eu is None and "stream" in gpt.supported_parameters
    assert "stream" in sonnet.supported_parameters
    assert sonnet.retirement_date == 0  # the documented reading of P4 (none known)


def test_every_listed_model_is_accepted(emulator, sdk):
    for model in sdk.models.list().data:
        reply = _chat(emulator, model=model.id)
        assert reply.status_code == 200, (model.id, reply.text)
        assert reply.json()["request"]["model"] == model.id


@pytest.mark.parametrize("model", ["nano", "gpt-4o", "claude-sonnet-4-5"])
def test_models_the_gateway_does_not_offer_are_refused(emulator, model):
    assert _error(_chat(emulator, model=model)) == f"model {model} is not supported"  # the real text
    assert emulator.state.chat_calls == 0


# Choosing reference answers


def test_answers_are_chosen_by_the_prompt_not_the_order(emulator):
    text = _transcript_text("team-meeting")
    release = {"role": "user", "content": f"{text}\n\nWhat changed about the release date?"}
    first = _chat(emulator, model="gpt-4.1", messages=[release])
    hello = _chat(emulator, model="gpt-4.1")
    again = _chat(emulator, model="gpt-4.1", messages=[release])
    assert first.json()["choices"][0]["message"]["content"] == ANSWER
    assert hello.json()["choices"][0]["message"]["content"].startswith("Hello!")
    assert again.json()["choices"][0]["message"]["content"] == ANSWER


def test_a_numbered_answer_whose_phrases_do_not_fit_is_refused(emulator):
    message = _error(_chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "Something else"}]))
    assert "first.md" in message and "changed order or wording" in message
    reply = _chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "First question, please."}])
    assert reply.json()["choices"][0]["message"]["content"] == "The first answer."


def test_a_prompt_without_a_reference_answer_says_how_to_add_one(emulator):
    _chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "First question"}])
    message = _error(_chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "Unheard of"}]))
    assert "No reference answer for chat completion 2 of notebook 'gw'" in message
    assert "answers/gw/2.md" in message and "answers.yaml" in message and "transcripts" in message
    assert "prompt_contains" in message


def test_an_answer_that_declares_no_transcript_is_refused(emulator):
    emulator.state.chat_calls = 6  # as if six calls came before: the seventh's 7.md has no entry
    message = _error(_chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "Seventh"}]))
    assert "7.md" in message and "does not say which transcripts" in message


# The transcript in the prompt (issue 16)


def test_a_prompt_that_lost_its_transcript_is_refused(emulator):
    question = {"role": "user", "content": "What changed about the release date?"}
    message = _error(_chat(emulator, model="gpt-4.1", messages=[question]))
    assert "The prompt lost its transcript" in message and "'team-meeting'" in message and "0%" in message
    half = _transcript_text("team-meeting").split()
    partial = {"role": "user", "content": " ".join(half[: len(half) // 3]) + "\nWhat changed about the release date?"}
    assert "lost its transcript" in _error(_chat(emulator, model="gpt-4.1", messages=[partial]))
    wrong = {"role": "user", "content": _transcript_text("support-call") + "\nWhat about the release date?"}
    assert "lost its transcript" in _error(_chat(emulator, model="gpt-4.1", messages=[wrong]))
    assert emulator.state.chat_calls == 0


def test_coverage_forgives_labels_captions_and_redaction():
    from tools.emulator import answers, conversations

    text = _transcript_text("team-meeting")
    conversation = conversations.Conversation.load(ROOT / "data" / "scripts" / "team-meeting.timing.json")
    words = conversations.transcript_words(conversation, {"speaker_labels": True})
    labelled = "\n".join(f"Speaker {u['speaker']}: {u['text']}" for u in conversations.utterances(words))
    vtt = conversations.vtt(words, None)
    redacted = text.replace("Daniel", "[PERSON_NAME]").replace("Sofia", "####")
    for variant in (text, labelled, vtt, redacted):
        assert answers.coverage(text, variant) > 0.8
    assert answers.coverage(text, "A weekly sync about a mobile app release and a crash.") < 0.05
    assert answers.coverage(text, _transcript_text("support-call")) < 0.1


# Parameters: effect or refusal


def test_streaming_through_the_sdk_on_an_openai_model(emulator, sdk):
    text = _transcript_text("team-meeting")
    chunks = list(
        sdk.chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": f"{text}\nThe release date?"}], stream=True
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == ANSWER
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens > 0 and chunks[-1].usage.prompt_tokens > 100
    raw = _chat(emulator, model="gpt-5", stream=True)
    assert raw.headers["content-type"] == "text/event-stream"
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_every_model_whose_entry_lists_stream_streams(emulator, sdk):
    """Claude, Gemini and Qwen stream too (the catalogue lists stream; qwen streamed live, 2026-09-24)."""
    listed = sdk.models.list().data
    assert all("stream" in m.supported_parameters for m in listed)
    for model in ("claude-sonnet-4-5-20250929", "gemini-2.5-flash", "gpt-5"):
        raw = _chat(emulator, model=model, stream=True)
        assert raw.status_code == 200 and raw.headers["content-type"] == "text/event-stream", raw.text


def test_tool_calls_from_a_reference_answer(emulator, sdk):
    messages = [{"role": "user", "content": "Please open a ticket for the crash fix."}]
    reply = sdk.chat.completions.create(model="claude-sonnet-4-6", messages=messages, tools=TOOLS)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_use"  # Claude's own stop reason, passed through
    call = choice.message.tool_calls[0]
    assert call.function.name == "create_ticket"
    assert json.loads(call.function.arguments) == {"owner": "Daniel", "task": "Fix the crash"}
    raw = _chat(emulator, model="claude-sonnet-4-6", messages=messages, tools=TOOLS).json()
    assert raw["choices"][0]["tool_calls"][0]["id"] == raw["choices"][0]["message"]["tool_calls"][0]["id"]
    streamed = list(sdk.chat.completions.create(model="gpt-5", messages=messages, tools=TOOLS, stream=True))
    assert any(c.choices and c.choices[0].delta.tool_calls for c in streamed)


def test_a_tool_round_trip_is_answered_by_the_newest_turn(emulator, sdk):
    asked = [{"role": "user", "content": "Please open a ticket for the crash fix."}]
    call = sdk.chat.completions.create(model="gpt-5", messages=asked, tools=TOOLS).choices[0].message.tool_calls[0]
    sent = {"name": call.function.name, "arguments": call.function.arguments}
    history = [
        *asked,  # still holds "open a ticket": only the last message chooses the answer
        {"role": "assistant", "content": "", "tool_calls": [{"id": call.id, "type": call.type, "function": sent}]},
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"ticket": "TICKET-42"})},
    ]
    reply = sdk.chat.completions.create(model="gpt-5", messages=history, tools=TOOLS)
    assert reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.content == "Ticket TICKET-42 is open for Daniel."


def test_tool_calls_that_do_not_fit_the_request_are_refused(emulator):
    messages = [{"role": "user", "content": "Please open a ticket."}]
    assert "declares none" in _error(_chat(emulator, model="gpt-4.1", messages=messages))
    other = [{**TOOLS[0], "function": {**TOOLS[0]["function"], "name": "send_mail"}}]
    assert "'create_ticket'" in _error(_chat(emulator, model="gpt-4.1", messages=messages, tools=other))
    strict = json.loads(json.dumps(TOOLS))
    strict[0]["function"]["parameters"]["properties"]["owner"]["enum"] = ["Priya"]
    assert "break its parameters" in _error(_chat(emulator, model="gpt-4.1", messages=messages, tools=strict))
    none = _chat(emulator, model="gpt-4.1", messages=messages, tools=TOOLS, tool_choice="none")
    assert "tool_choice is 'none'" in _error(none)
    forced = {"type": "function", "function": {"name": "create_ticket"}}
    assert "is not a tool call" in _error(_chat(emulator, model="gpt-4.1", tools=TOOLS, tool_choice=forced))
    assert "tool_choice needs tools" in _error(_chat(emulator, model="gpt-4.1", tool_choice="auto"))


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"fallbacks": [{"model": "gpt-5"}]}, "fallbacks"),
        ({"post_processing_steps": [{"type": "json-repair"}]}, "post_processing_steps"),
        ({"reasoning": {"effort": "low"}}, "reasoning"),
        ({"top_p": 0.5}, "top_p"),
        ({"zero_data_retention": True, "model_region": "global"}, "model_region, zero_data_retention"),
    ],
)
def test_parameters_the_emulator_cannot_honour_are_refused_by_name(emulator, extra, named):
    message = _error(_chat(emulator, model="gpt-4.1", **extra))
    assert f"does not emulate {named}" in message


def test_message_fields_it_does_not_emulate_are_refused(emulator):
    messages = [{"role": "user", "content": "Say hello.", "cache_control": {"type": "ephemeral"}}]
    assert "cache_control" in _error(_chat(emulator, model="claude-sonnet-4-6", messages=messages))


def test_max_tokens_cuts_the_reply_and_the_context_length_is_enforced(emulator):
    cut = _chat(emulator, model="gpt-4.1", max_tokens=2).json()["choices"][0]
    assert cut["finish_reason"] == "length" and cut["message"]["content"] == "Hello!"
    assert "context length" in _error(_chat(emulator, model="gpt-oss-20b", max_tokens=131_072))
    assert "the 32768 completion tokens" in _error(_chat(emulator, model="gpt-4.1", max_tokens=40_000))
    huge = {"role": "user", "content": "Say hello. " + "word " * 120_000}
    message = _error(_chat(emulator, model="gpt-oss-20b", messages=[huge]))
    assert "context length of the requested LLM (131072 tokens)" in message
    assert _chat(emulator, model="gemini-2.5-flash-lite", messages=[huge]).status_code == 200


def test_response_format_is_refused_where_the_docs_say_it_is_unsupported(emulator):
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    assert "response_format" in _error(_chat(emulator, model="gpt-oss-120b", response_format=schema))
    assert _chat(emulator, model="gpt-5", response_format=schema).status_code == 200


def test_prompt_instead_of_messages(emulator):
    reply = requests.post(
        f"{emulator.base_url}/v1/chat/completions",
        headers={"authorization": KEY},
        json={"model": "gpt-4.1", "prompt": "Say hello."},
        timeout=10,
    )
    assert reply.json()["choices"][0]["message"]["content"].startswith("Hello!")
    both = _chat(emulator, model="gpt-4.1", prompt="Say hello.")
    assert "either messages or prompt" in _error(both)


# Usage


def test_usage_comes_from_a_rule_of_thumb_not_a_tokenizer(emulator):
    from tools.emulator.gateway import estimate_tokens

    assert estimate_tokens("") == 0
    assert estimate_tokens("one two three four") == 5  # (18 chars / 4 + 4 words / 0.75) / 2
    short = _chat(emulator, model="gpt-4.1").json()["usage"]
    longer = _chat(emulator, model="gpt-4.1", messages=[{"role": "user", "content": "Say hello. " * 50}]).json()
    assert longer["usage"]["input_tokens"] > short["input_tokens"] > 0
    assert short["total_tokens"] == short["input_tokens"] + short["output_tokens"]
    assert short["output_tokens"] == estimate_tokens("Hello! Hello! Hello!")


def test_the_model_list_parses_with_the_sdks_own_model(emulator):
    """GET /v1/models is not in the published spec: the SDK's pydantic model is the reference."""
    from assemblyai.llm_gateway.v1 import models as gateway_models

    listed = requests.get(f"{emulator.base_url}/v1/models", headers={"authorization": KEY}, timeout=10).json()
    parsed = gateway_models.LLMGatewayModelList.model_validate(listed)
    assert [m.id for m in parsed.data] == [m["id"] for m in listed["data"]] and parsed.data


# Finish reasons per provider family, and the real error envelopes (issue 26)


@pytest.mark.parametrize(
    ("model", "complete", "cut"),
    [
        ("claude-sonnet-4-6", "end_turn", "max_tokens"),
        ("claude-haiku-4-5-20251001", "end_turn", "max_tokens"),
        ("gpt-4.1", "stop", "length"),
        ("gemini-2.5-flash-lite", "stop", "length"),
    ],
)
def test_finish_reason_is_the_providers_own(emulator, sdk, model, complete, cut):
    assert _chat(emulator, model=model).json()["choices"][0]["finish_reason"] == complete
    assert _chat(emulator, model=model, max_tokens=2).json()["choices"][0]["finish_reason"] == cut
    chunks = list(
        sdk.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Say hello."}], stream=True, max_tokens=2
        )
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [cut]


def test_tool_calls_finish_with_tool_use_on_claude(emulator):
    messages = [{"role": "user", "content": "Please open a ticket for the crash fix."}]
    claude = _chat(emulator, model="claude-sonnet-4-6", messages=messages, tools=TOOLS).json()["choices"][0]
    gpt = _chat(emulator, model="gpt-5", messages=messages, tools=TOOLS).json()["choices"][0]
    assert claude["finish_reason"] == "tool_use" and gpt["finish_reason"] == "tool_calls"
    assert claude["message"]["tool_calls"] and gpt["message"]["tool_calls"]  # where a client detects them


def test_the_sdk_reads_the_cause_and_request_id_of_a_gateway_error(sdk):
    with pytest.raises(aai.types.LLMGatewayError) as raised:
        sdk.chat.completions.create(model="no-such-model-xyz", messages=[{"role": "user", "content": "hi"}])
    error = raised.value
    assert error.status_code == 400 and str(error) == "invalid request body"
    assert error.errors == ["model no-such-model-xyz is not supported"] and re.fullmatch(UUID4, error.request_id)


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        ({}, "Your account does not have access to LLM Gateway."),
        ({"authorization": "wrong-key"}, "Authentication error, API token missing/invalid"),
    ],
)
def test_a_401_from_the_gateway_comes_in_the_auth_envelope(emulator, headers, text):
    reply = requests.get(f"{emulator.base_url}/v1/models", headers=headers, timeout=10)
    body = reply.json()
    assert reply.status_code == 401 and set(body) == {"error", "status", "request_id"}
    assert body["status"] == "error" and body["error"].startswith(text)
    bearer = requests.get(f"{emulator.base_url}/v1/models", headers={"authorization": f"Bearer {KEY}"}, timeout=10)
    assert bearer.status_code == 200  # both forms work on the gateway (2026-09-24)


def test_the_gateway_spec_overlay_refuses_the_march_error_shape():
    march = {"error": {"code": 400, "message": "invalid request body"}}
    url = "https://llm-gateway.assemblyai.com/v1/chat/completions"
    with pytest.raises(spec.SpecViolation):
        spec.validate_response("POST", url, 400, march)
    real = {"message": "invalid request body", "code": 400, "request_id": "93f7", "metadata": {"errors": ["x"]}}
    spec.validate_response("POST", url, 400, real)


def test_a_model_region_but_global_gets_the_real_cause(emulator):
    assert _error(_chat(emulator, model="gpt-4.1", model_region="us")) == "model_region can only be set to global"


@pytest.mark.parametrize("model", sorted(load_yaml((ROOT / "data" / "gateway" / "models.yaml").read_text())["removed"]))
def test_models_removed_since_march_are_unknown(emulator, model):
    assert _error(_chat(emulator, model=model)) == f"model {model} is not supported"


def test_the_december_list_has_the_new_models_and_no_retirement_dates(sdk):
    listed = {m.id: m for m in sdk.models.list().data}
    assert {"claude-sonnet-5", "claude-opus-4-7", "gpt-5.6-luna", "gemini-3.6-flash", "qwen3-32B"} <= set(listed)
    assert {"claude-3-haiku-20240307", "claude-opus-4-20250514", "gemini-3-flash-preview"}.isdisjoint(listed)
    assert all(m.retirement_date == 0 for m in listed.values())
    assert "response_format" not in listed["claude-sonnet-5"].supported_parameters  # none at launch
    assert listed["qwen3.5-4b-32k-fast"].available_regions == ["us"]
    assert listed["claude-sonnet-4-6"].pricing.us.prompt == pytest.approx(3.3)


# transcript_id and {{ transcript }} (issue 26)


def _completed_transcript(emulator, name: str = "team-meeting") -> str:
    body = {"audio_url": f"https://example.com/media/{name}.mp3", "speech_models": ["universal-3-5-pro", "universal-2"]}
    made = requests.post(f"{emulator.base_url}/v2/transcript", json=body, headers={"authorization": KEY}, timeout=10)
    transcript_id = made.json()["id"]
    for _ in range(200):
        polled = requests.get(
            f"{emulator.base_url}/v2/transcript/{transcript_id}", headers={"authorization": KEY}, timeout=10
        ).json()
        if polled["status"] == "completed":
            return transcript_id
    raise AssertionError(polled)


def test_transcript_id_fills_in_the_tag_before_the_answer_is_chosen(emulator):
    transcript_id = _completed_transcript(emulator)
    question = {"role": "user", "content": "{{ transcript }}\n\nWhat changed about the release date?"}
    reply = _chat(emulator, model="claude-sonnet-4-6", messages=[question], transcript_id=transcript_id)
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == ANSWER
    assert reply.json()["usage"]["input_tokens"] > 400  # the transcript was counted
    # Without transcript_id the tag stays literal, and the prompt has lost its transcript.
    assert "lost its transcript" in _error(_chat(emulator, model="claude-sonnet-4-6", messages=[question]))
    # No tag anywhere: nothing is substituted (the documented reading), so the same refusal.
    bare = {"role": "user", "content": "What changed about the release date?"}
    assert "lost its transcript" in _error(
        _chat(emulator, model="claude-sonnet-4-6", messages=[bare], transcript_id=transcript_id)
    )


def test_only_the_first_tag_of_the_first_message_that_has_one_is_replaced(emulator):
    from tools.emulator import gateway

    transcript_id = _completed_transcript(emulator, "support-call")
    messages = [
        {"role": "system", "content": "No tag here."},
        {"role": "user", "content": "A: {{ transcript }} B: {{ transcript }} C: {{transcript}}"},
        {"role": "user", "content": [{"type": "text", "text": "{{ transcript }}"}]},
    ]
    out = gateway.with_transcript(emulator.state, messages, transcript_id, "us")
    assert out[0] == messages[0] and out[2] == messages[2]
    assert out[1]["content"].startswith("A: ") and out[1]["content"].count("{{ transcript }}") == 1
    assert out[1]["content"].endswith("B: {{ transcript }} C: {{transcript}}")
    assert len(out[1]["content"]) > 200 and messages[1]["content"].startswith("A: {{")  # the request is not changed


def test_an_unknown_transcript_id_is_a_404(emulator):
    question = {"role": "user", "content": "{{ transcript }} Say hello."}
    reply = _chat(emulator, model="gpt-4.1", messages=[question], transcript_id="5b0c3a57-9f3e-4c1b-8d2a-6e7f00c0ffee")
    body = reply.json()
    assert reply.status_code == 404 and set(body) == {"message", "code", "request_id"}
    assert body["message"] == "transcript not found" and body["code"] == 404


# Strict JSON schemas Claude refuses


SCORED = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["score", "tags"],
    "additionalProperties": False,
}


def _format(schema: dict, strict: bool = True) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "scored", "schema": schema, "strict": strict}}


def test_claude_refuses_bounds_in_a_strict_schema_and_openai_takes_them(emulator):
    message = _error(_chat(emulator, model="claude-sonnet-4-6", response_format=_format(SCORED)))
    assert "does not support minimum" in message and "/properties/score" in message
    assert _chat(emulator, model="gpt-5", response_format=_format(SCORED)).status_code == 200
    assert _chat(emulator, model="claude-sonnet-4-6", response_format=_format(SCORED, strict=False)).status_code == 200
    nested = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "string", "maxLength": 5}}}}
    message = _error(_chat(emulator, model="claude-haiku-4-5-20251001", response_format=_format(nested)))
    assert "maxLength" in message and "/properties/items/items" in message
    unbounded = {**SCORED, "properties": {**SCORED["properties"], "score": {"type": "integer"}}}
    assert _chat(emulator, model="claude-sonnet-4-6", response_format=_format(unbounded)).status_code == 200


# POST /v1/understanding/validate


def _validate(emulator, request: dict, **extra) -> requests.Response:
    body = {"speech_understanding": {"request": request}, **extra}
    return requests.post(
        f"{emulator.base_url}/v1/understanding/validate", json=body, headers={"authorization": KEY}, timeout=10
    )


def test_validate_answers_200_for_a_valid_request_and_lists_every_problem(emulator, sdk):
    ok = _validate(emulator, {"speaker_identification": {"speaker_type": "name", "known_values": ["Priya"]}})
    assert ok.status_code == 200 and re.fullmatch(UUID4, ok.json()["request_id"])
    assert sdk.understanding.validate(request={"translation": {"target_languages": ["es"]}}) is None
    bad = _validate(
        emulator,
        {"translation": {"target_languages": []}, "speaker_identification": {"speaker_type": "role"}},
    )
    assert bad.status_code == 400 and bad.json()["message"] == "invalid request body"
    problems = bad.json()["metadata"]["errors"]
    assert len(problems) == 2 and "target_languages" in problems[1] and "known_values" in problems[0]
    with pytest.raises(aai.types.LLMGatewayError) as raised:
        sdk.understanding.validate(request={"sentiment": {}})
    assert "unknown speech understanding task 'sentiment'" in raised.value.errors[0]
    unknown = _validate(emulator, {"translation": {"target_languages": ["es"]}}, transcript_id="no-such-id")
    assert unknown.status_code == 404 and unknown.json()["message"] == "transcript not found"
    assert emulator.state.chat_calls == 0
