"""The LLM Gateway: its model list (``data/gateway/models.yaml``) and chat completions answered
from reference answers (``tools/emulator/answers.py``), never by a model.

Every request parameter has its documented effect or is refused by name:

- ``model``: any model the list holds; others are refused. ``messages`` or ``prompt`` (one of them).
- ``max_tokens`` (default 1000): a reply longer than it is cut there, with the provider's
  ``finish_reason`` for a cut (``length``; Claude's ``max_tokens``: :data:`FINISH_REASONS`);
  more than the model's ``max_completion_tokens``, or input plus ``max_tokens`` beyond its context
  length, is refused.
- ``temperature``: echoed; a reference answer is one sample, whatever the temperature.
- ``response_format``: the reference answer is the JSON text the schema asks for; refused on gpt-oss.
- ``tools`` / ``tool_choice``: a ``<n>.tool_calls.json`` answer calls the tools, checked against
  the declared functions; ``tool_choice`` is obeyed (``none`` forbids calls, a named function
  requires it).
- ``stream``: server-sent events in the chunk format the gateway streamed live, on every model whose
  entry lists ``stream`` (every family: section 13 row 14 of the facts file).
- Anything else (the SDK's ``fallbacks``, ``transcript_id``, ``reasoning``...) is refused by name.

Token counts (``usage``) come from a characters-and-words rule of thumb (:func:`estimate_tokens`),
deliberately not from any tokenizer a recipe could use to estimate them; real usage comes from
each provider's own tokenizer.
"""

from __future__ import annotations

import calendar
import functools
import json
import re
from typing import Any

from cookbook_utils.yamlio import load_yaml
from tools.emulator import accounts, answers
from tools.emulator.errors import EmulatorError, text
from tools.emulator.state import ROOT, State

MODELS_FILE = ROOT / "data" / "gateway" / "models.yaml"
DEFAULT_MAX_TOKENS = 1000  # the spec's default
#: Per-message framing (role, separators) and the reply's priming, in tokens.
MESSAGE_OVERHEAD, REPLY_OVERHEAD = 4, 3
#: Request keys with an emulated effect; everything else is refused by name.
ACCEPTED = {
    "model",
    "messages",
    "prompt",
    "max_tokens",
    "temperature",
    "stream",
    "tools",
    "tool_choice",
    "response_format",
}
MESSAGE_KEYS = {"role", "content", "name", "tool_call_id", "tool_calls"}
#: ``finish_reason`` as each provider family sends it (the gateway passes it through): Anthropic's
#: stop reasons for Claude; OpenAI's for GPT and for every other family (Gemini and Qwen are served
#: through OpenAI-compatible APIs: the documented reading, UNVERIFIED for Gemini, in the probe).
FINISH_REASONS: dict[str, dict[str, str]] = {
    "anthropic": {"complete": "end_turn", "cut": "max_tokens", "tool_calls": "tool_use", "refusal": "refusal"},
    "openai": {"complete": "stop", "cut": "length", "tool_calls": "tool_calls", "refusal": "refusal"},
}
#: A fixed creation time for streamed chunks, so recordings are the same on every run.
CREATED = calendar.timegm((2026, 11, 25, 10, 0, 0))


@functools.cache
def catalogue() -> dict[str, dict]:
    """Every model the gateway offers, as ``GET /v1/models`` lists them, keyed by id."""
    data = load_yaml(MODELS_FILE.read_text())
    increase = data["regional_increase_percent"]
    listed = {}
    for model_id, (name, creator, context, max_out, prompt, completions) in data["models"].items():
        provider = {"id": creator, "name": data["providers"][creator]["name"]}
        regions = data["providers"][creator]["regions"]
        global_price = {"prompt": prompt, "completions": completions}
        factor = 1 + increase / 100
        regional = {"prompt": round(prompt * factor, 6), "completions": round(completions * factor, 6)}
        parameters = list(data["supported_parameters"])
        if creator in data["stream_creators"]:
            parameters.append("stream")
        if model_id in data["no_response_format"]:
            parameters.remove("response_format")
        listed[model_id] = {
            "id": model_id,
            "name": name,
            "description": f"{name} by {provider['name']} through AssemblyAI's LLM Gateway",
            "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
            "supported_parameters": parameters,
            "top_provider": {"is_moderated": False, "context_length": context, "max_completion_tokens": max_out},
            "context_length": context,
            "pricing": {
                "global": global_price,
                **{region: dict(regional) for region in regions},
                "regional_increase_percent": increase,
            },
            "creator": creator,
            "retirement_date": data.get("retirements", {}).get(model_id, 0),
            "available_regions": regions,
            "providers": [provider],
            "default_provider": provider,
        }
    return listed


def family(model_id: str) -> str:
    """The finish-reason family of a listed model: ``anthropic`` for Claude, ``openai`` for the rest."""
    return "anthropic" if catalogue()[model_id]["creator"] == "anthropic" else "openai"


def finish_reason(model_id: str, outcome: str) -> str:
    """The ``finish_reason`` a model's provider sends for ``outcome`` (complete, cut, tool_calls, refusal)."""
    return FINISH_REASONS[family(model_id)][outcome]


def models() -> dict:
    """``GET /v1/models``."""
    return {"object": "list", "data": list(catalogue().values())}


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by rule of thumb: the mean of "a token is about four characters" and "a
    token is about three quarters of a word". Not a tokenizer, on purpose: a recipe that estimates
    tokens with one gets a real estimation error to report."""
    if not text:
        return 0
    return max(1, round((len(text) / 4 + len(text.split()) / 0.75) / 2))


def _content_text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def _messages(body: dict) -> list[dict]:
    if ("messages" in body) == ("prompt" in body):
        raise EmulatorError(400, "Send either messages or prompt (exactly one of them).")
    if "prompt" in body:
        return [{"role": "user", "content": body["prompt"]}]
    if not body["messages"]:
        raise EmulatorError(400, "messages is empty: send at least one message.")
    for number, message in enumerate(body["messages"], start=1):
        unknown = sorted(set(message) - MESSAGE_KEYS)
        if unknown:
            raise EmulatorError(
                400, f"messages[{number - 1}] has {unknown}: the emulator does not emulate those message fields."
            )
    return body["messages"]


def _input_tokens(messages: list[dict], body: dict) -> int:
    total = REPLY_OVERHEAD
    for message in messages:
        text = _content_text(message.get("content"))
        if message.get("name"):
            text = f"{message['name']}: {text}"
        if message.get("tool_calls"):
            text += json.dumps(message["tool_calls"])
        total += estimate_tokens(text) + MESSAGE_OVERHEAD
    for key in ("tools", "response_format"):
        if key in body:
            total += estimate_tokens(json.dumps(body[key]))
    return total


def _check_parameters(body: dict, model: dict) -> None:
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise EmulatorError(
            400,
            f"The emulator does not emulate {', '.join(unknown)}: it answers from reference answers and has no "
            "fallbacks, reasoning, transcript injection or routing options. Leave "
            f"{'it' if len(unknown) == 1 else 'them'} out of the request.",
        )
    for parameter in ("stream", "response_format"):
        if body.get(parameter) and parameter not in model["supported_parameters"]:
            raise EmulatorError(400, text("gateway_parameter_unsupported", model=model["id"], parameter=parameter))
    if "tool_choice" in body and not body.get("tools"):
        raise EmulatorError(400, "tool_choice needs tools: declare the functions in tools.")


def _truncate(text: str, limit: int) -> str:
    """The longest prefix of ``text`` (whole words) of at most ``limit`` estimated tokens."""
    pieces = re.findall(r"\S+\s*", text)
    low, high = 0, len(pieces)
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_tokens("".join(pieces[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return "".join(pieces[:low]).rstrip()


def _tool_calls(answer: answers.Answer, body: dict, number: int) -> list[dict]:
    """The answer's calls as the API returns them, each checked against the declared tools."""
    from jsonschema import Draft202012Validator

    declared = {tool["function"]["name"]: tool["function"] for tool in body.get("tools") or ()}
    if not declared:
        raise EmulatorError(
            400, f"The reference answer {answer.path.name} calls tools, but the request declares none (tools)."
        )
    choice = body.get("tool_choice", "auto")
    calls = []
    for index, call in enumerate(answers.tool_calls(answer)):
        function = declared.get(call["name"])
        if function is None:
            raise EmulatorError(
                400,
                f"The reference answer {answer.path.name} calls {call['name']!r}, which the request's tools do not "
                f"declare ({sorted(declared)}).",
            )
        arguments = call.get("arguments") or {}
        problems = [e.message for e in Draft202012Validator(function.get("parameters") or {}).iter_errors(arguments)]
        if problems:
            raise EmulatorError(
                400, f"The reference answer's arguments for {call['name']!r} break its parameters: {problems[0]}"
            )
        calls.append(
            {
                "id": f"call_{number}_{index}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(arguments)},
            }
        )
    if isinstance(choice, dict) and choice["function"]["name"] not in {c["function"]["name"] for c in calls}:
        raise EmulatorError(
            400,
            f"tool_choice requires {choice['function']['name']!r}, but the reference answer {answer.path.name} "
            "does not call it.",
        )
    return calls


def chat(state: State, body: dict, region: str = "us", key: str = "") -> tuple[int, Any, str]:
    """``POST /v1/chat/completions``: (status, payload, content type). ``key``: the API key, whose
    requests a free account's rate limit counts."""
    model = catalogue().get(body["model"])
    if model is None:
        raise EmulatorError(400, text("gateway_model_unsupported", model=body["model"]))
    if region not in model["available_regions"]:
        raise EmulatorError(400, text("gateway_model_not_in_region", model=body["model"], region=region.upper()))
    accounts.check_model(state.account, model["id"])
    if state.account == "free":
        state.limiter.take(key, f"chat:{model['id']}", "llmgw", model["id"])
    _check_parameters(body, model)
    messages = _messages(body)
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    input_tokens = _input_tokens(messages, body)
    if max_tokens >= model["context_length"] or input_tokens + max_tokens > model["context_length"]:
        raise EmulatorError(
            400,
            f"This request needs about {input_tokens} input tokens plus max_tokens={max_tokens}, more than the "
            f"context length of the requested LLM ({model['context_length']} tokens). Shorten the messages or "
            "lower max_tokens.",
        )
    most = model["top_provider"]["max_completion_tokens"]
    if max_tokens > most:
        raise EmulatorError(
            400,
            f"max_tokens={max_tokens} is more than the {most} completion tokens the requested LLM can produce "
            "(max_completion_tokens in GET /v1/models).",
        )
    prompt = "\n".join(_content_text(m.get("content")) for m in messages)
    number = state.chat_calls + 1
    answer = answers.choose(state.data_dir, state.notebook, number, _content_text(messages[-1].get("content")))
    conversations = {c.name: c for c in state.library.values()}
    answers.check_transcripts(answer, prompt, conversations)
    choice = body.get("tool_choice", "auto")
    if answer.kind == "tool_calls":
        if choice == "none":
            raise EmulatorError(400, f"tool_choice is 'none', but the reference answer {answer.path.name} calls tools.")
        calls, content, outcome = _tool_calls(answer, body, number), "", "tool_calls"
    elif isinstance(choice, dict):
        raise EmulatorError(
            400,
            f"tool_choice requires a call to {choice['function']['name']!r}, but the reference answer "
            f"{answer.path.name} is not a tool call: write {number}.tool_calls.json.",
        )
    else:
        calls, content = [], answer.text()
        outcome = "refusal" if answer.kind == "refusal" else "complete"
    state.chat_calls = number
    state.chat_requests.append(body)
    output_tokens = estimate_tokens(content or json.dumps([c["function"] for c in calls]))
    if output_tokens > max_tokens and not calls:
        content, outcome, output_tokens = _truncate(content, max_tokens), "cut", max_tokens
    finish = finish_reason(model["id"], outcome)
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        # The OpenAI-style names the SDK's model also requires.
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
    }
    request_id = state.next_id("chat", json.dumps(body, sort_keys=True))
    if body.get("stream"):
        return 200, _stream(request_id, body["model"], content, calls, finish, usage), "text/event-stream"
    message: dict[str, Any] = {"role": "assistant", "content": content}
    choice_out: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
    if calls:
        message["tool_calls"] = calls  # where the SDK (and OpenAI) read them
        choice_out["tool_calls"] = calls  # where the gateway's spec and docs put them
    echoed = {k: body[k] for k in ("model", "max_tokens", "temperature", "tools", "tool_choice") if k in body}
    completion = {"request_id": request_id, "choices": [choice_out], "request": echoed, "usage": usage}
    return 200, completion, "application/json"


def _stream(request_id: str, model: str, content: str, calls: list[dict], finish: str, usage: dict) -> str:
    """Server-sent events in the chunk format the gateway streamed live (the 2026-09-24 capture's
    ``stream_chunk_first``): ``data: <chunk>`` lines, each with ``logprobs: null`` in its choice and the
    running ``usage`` (prompt, completion and total tokens so far), a final usage-only chunk with
    ``choices: []``, then ``data: [DONE]``. ``finish_reason`` is the provider family's."""
    chunk_id = "chatcmpl-" + request_id.replace("-", "")[:24]
    prompt_tokens = usage["prompt_tokens"]

    def chunk(delta: dict | None, done: int, finish_reason: str | None = None) -> str:
        choices = (
            [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )
        payload = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + done, "completion_tokens": done},
        }
        return f"data: {json.dumps(payload)}\n\n"

    events = [chunk({"role": "assistant", "content": ""}, 0)]
    pieces = re.findall(r"\S+\s*", content)
    for start in range(0, len(pieces), 4):
        so_far = min(usage["completion_tokens"], estimate_tokens("".join(pieces[: start + 4])))
        events.append(chunk({"content": "".join(pieces[start : start + 4])}, so_far))
    for index, call in enumerate(calls):
        events.append(chunk({"tool_calls": [{"index": index, **call}]}, usage["completion_tokens"]))
    events.append(chunk({}, usage["completion_tokens"], finish))
    events.append(chunk(None, usage["completion_tokens"]))
    events.append("data: [DONE]\n\n")
    return "".join(events)
