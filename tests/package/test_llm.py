"""cookbook_utils.llm against the emulator of the LLM Gateway: text and structured replies, token
usage, and a clear error for a bad key, an unknown model, a refusal and malformed model output."""

import json
from types import SimpleNamespace

import assemblyai as aai
import pytest

from cookbook_utils import llm
from cookbook_utils.config import DEFAULT_LLM_MODEL
from cookbook_utils.errors import LLMAuthError, LLMError, LLMOutputError, LLMRefusalError, UnknownModelError
from cookbook_utils.recording import Recording, Scrubber
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

KEY = "llm-test-key-" + "0123456789abcdef"
SCHEMA = {
    "type": "object",
    "properties": {"decision": {"type": "string"}, "owners": {"type": "array", "items": {"type": "string"}}},
    "required": ["decision", "owners"],
    "additionalProperties": False,
}
GOOD = {"decision": "Move the release by one week", "owners": ["Daniel", "Sofia"]}


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    """Start the emulator with the given reference answers (file name -> text) for notebook 'demo'
    and point the SDK at it, as cu.setup() does when recording against the emulator."""
    from tools.emulator import Emulator

    running = []

    def start(answers: dict[str, str]):
        folder = tmp_path / "data" / "answers" / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in answers.items():
            (folder / name).write_text(text)
        # Prompts about no recording: the transcript check has nothing to look for.
        entries = {name.split(".")[0]: {"file": name, "transcripts": []} for name in answers}
        (folder / "answers.yaml").write_text(json.dumps(entries))
        emulator = Emulator(api_key=KEY, notebook="demo", data_dir=tmp_path / "data").__enter__()
        running.append(emulator)
        monkeypatch.setattr(aai.settings, "api_key", KEY)
        monkeypatch.setattr(aai.settings, "base_url", emulator.base_url)
        monkeypatch.setattr(aai.settings, "llm_gateway_base_url", emulator.base_url)
        return emulator

    yield start
    for emulator in running:
        emulator.__exit__(None, None, None)
        assert emulator.violations == [], "the emulator sent responses that break the spec"


def test_text_reply_with_usage_and_model(gateway):
    emulator = gateway({"1.md": "The release moves to the twenty first."})
    reply = llm.ask("When is the release?", system="Answer in one sentence.")
    assert reply.text == "The release moves to the twenty first."
    assert reply.parsed is None and reply.finish_reason == "stop"
    assert reply.model == DEFAULT_LLM_MODEL
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens
    sent = emulator.state.chat_requests[0]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["max_tokens"] == 1000 and "response_format" not in sent


def test_structured_reply_is_parsed_and_the_schema_is_sent(gateway):
    emulator = gateway({"1.json": json.dumps(GOOD)})
    reply = llm.ask([{"role": "user", "content": "What was decided?"}], schema=SCHEMA, schema_name="decision")
    assert reply.parsed == GOOD
    sent = emulator.state.chat_requests[0]
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "decision", "schema": SCHEMA, "strict": True},
    }


def test_fenced_json_is_accepted(gateway):
    gateway({"1.json": "```json\n" + json.dumps(GOOD) + "\n```"})
    assert llm.ask("What was decided?", schema=SCHEMA).parsed == GOOD


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"decision": "Move the release", "owners": ["Daniel"]', "not valid JSON"),  # cut short
        ("Sure! The team decided to move the release.", "not valid JSON"),  # prose instead of JSON
        ("", "not valid JSON"),
        ('{"decision": "Move the release"}', "'owners' is a required property"),
        ('{"decision": 7, "owners": []}', "/decision: 7 is not of type 'string'"),
        ('{"decision": "x", "owners": [], "mood": "calm"}', "Additional properties are not allowed"),
    ],
)
def test_malformed_model_output_raises_with_the_reply(gateway, answer, expected):
    gateway({"1.json": answer})
    with pytest.raises(LLMOutputError, match="reply") as caught:
        llm.ask("What was decided?", schema=SCHEMA)
    assert expected in str(caught.value)
    assert caught.value.reply == answer.strip()


def test_refusal(gateway):
    gateway({"1.refusal.md": "I can't help with that request."})
    with pytest.raises(LLMRefusalError, match="declined to answer") as caught:
        llm.ask("Something the model won't do.")
    assert caught.value.reply == "I can't help with that request."


def test_bad_key(gateway, monkeypatch):
    emulator = gateway({"1.md": "unused"})
    monkeypatch.setattr(aai.settings, "api_key", "not-the-key")
    with pytest.raises(LLMAuthError, match="ASSEMBLYAI_API_KEY") as caught:
        llm.ask("Hello")
    assert caught.value.status_code == 401
    assert emulator.state.chat_calls == 0


def test_unknown_model_does_not_use_up_an_answer(gateway):
    emulator = gateway({"1.md": "first answer"})
    with pytest.raises(UnknownModelError, match="available_models") as caught:
        llm.ask("Hello", model="claude-2-retired")
    assert "claude-2-retired" in str(caught.value) and caught.value.status_code == 400
    assert emulator.state.chat_calls == 0
    assert llm.ask("Hello").text == "first answer"


def test_other_gateway_errors_are_reported_with_their_status(gateway):
    gateway({})  # no reference answer: the emulator answers 400 without naming a model
    with pytest.raises(LLMError, match="answered 400") as caught:
        llm.ask("Hello")
    assert type(caught.value) is LLMError


def test_available_models_lists_the_default(gateway):
    gateway({})
    models = llm.available_models()
    assert DEFAULT_LLM_MODEL in models and len(models) >= 2


def test_ask_records_and_replays(gateway, tmp_path):
    """Through vcrpy, as a notebook in record mode and then in replay mode."""
    emulator = gateway({"1.json": json.dumps(GOOD)})
    cassette = tmp_path / "llm.yaml"
    stand_in = emulator.base_url.removeprefix("http://")
    recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")
    recorded = llm.ask("What was decided?", schema=SCHEMA)
    recording.close()
    text = cassette.read_text()
    assert "https://llm-gateway.assemblyai.com/v1/chat/completions" in text and KEY not in text

    aai.settings.api_key = "replay-mode-no-key"
    aai.settings.llm_gateway_base_url = "https://llm-gateway.assemblyai.com"
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        replayed = llm.ask("What was decided?", schema=SCHEMA)
    finally:
        replay.close()
    assert replayed == recorded


def test_cut_off_structured_reply(monkeypatch):
    choice = SimpleNamespace(finish_reason="length", message=SimpleNamespace(content='{"decision": "Mo'))
    completion = SimpleNamespace(choices=[choice], request_id="r1", usage=None, request={})
    fake = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=lambda **_: completion)))
    monkeypatch.setattr(llm, "_gateway", lambda timeout: fake)
    with pytest.raises(LLMOutputError, match="cut off at max_tokens=50"):
        llm.ask("What was decided?", schema=SCHEMA, max_tokens=50)


def test_parse_json_reply_without_a_schema():
    assert llm.parse_json_reply('  {"a": [1, 2]} ') == {"a": [1, 2]}
    assert llm.parse_json_reply("```\n[1]\n```") == [1]
    with pytest.raises(LLMOutputError, match="began: 'nope'"):
        llm.parse_json_reply("nope")


def test_request_shapes_are_checked_before_sending():
    with pytest.raises(ValueError, match="at least one message"):
        llm.ask([])
    with pytest.raises(ValueError, match="needs a 'role' and a 'content'"):
        llm.ask([{"content": "no role"}])
    with pytest.raises(ValueError, match="schema name"):
        llm.json_schema_format(SCHEMA, "has spaces")


def test_answer_label_names_reference_answers():
    reply = llm.LLMReply("text", None, llm.Usage(1, 1, 2), DEFAULT_LLM_MODEL)
    assert llm.answer_label({"source": "emulator"}, reply).startswith("Reference answer")
    assert llm.answer_label({"source": "api.assemblyai.com"}, reply) == f"Answer from {DEFAULT_LLM_MODEL}"
    assert llm.answer_label({}, reply) == f"Answer from {DEFAULT_LLM_MODEL}"
