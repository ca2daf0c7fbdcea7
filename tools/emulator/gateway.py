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
- ``transcript_id``: the completed transcript's ``text`` replaces the first exact ``{{ transcript }}`` in
  the first message that holds it, before the reference answer is chosen (:func:`with_transcript`).
- ``response_format`` with ``strict: true`` on Claude: a numeric, length or item-count bound in the
  schema is refused, naming the keyword and its path (:func:`strict_schema_problem`).
- ``model_region``: any value but ``global`` gets the real 400; ``global`` is refused as not emulated.
- Anything else (the SDK's ``fallbacks``, ``reasoning``, ``post_processing_steps``...) is refused by name.
- A free-credit account (``accounts``): the model-access 400 and the free model's rate limit.

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
    "transcript_id",
}
#: The tag ``transcript_id`` fills in, spelt exactly so (facts section 5 [S10][S21]).
TRANSCRIPT_TAG = "{{ transcript }}"
#: JSON Schema keywords Claude's structured outputs refuse in a strict schema (numeric, string-length
#: and array bounds; errors.py ``gateway_strict_schema_keyword`` gives the sources). ``minItems`` is
#: allowed up to 1.
CLAUDE_STRICT_UNSUPPORTED = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "minItems",
)
#: Keywords whose value is a schema, a list of schemas, or a name -> schema map (where bounds may hide).
SUBSCHEMA, SUBSCHEMA_LISTS, SUBSCHEMA_MAPS = (
    ("items", "additionalProperties", "not", "contains", "if", "then", "else"),
    ("anyOf", "allOf", "oneOf", "prefixItems"),
    ("properties", "$defs", "definitions", "patternProperties"),
)
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
    if "model_region" in body and body["model_region"] != "global":
        raise EmulatorError(400, text("gateway_model_region"))  # the real cause (2026-09-24)
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise EmulatorError(
            400,
            f"The emulator does not emulate {', '.join(unknown)}: it answers from reference answers and has no "
            "fallbacks, reasoning, post-processing or routing options. Leave "
            f"{'it' if len(unknown) == 1 else 'them'} out of the request.",
        )
    for parameter in ("stream", "response_format"):
        if body.get(parameter) and parameter not in model["supported_parameters"]:
            raise EmulatorError(400, text("gateway_parameter_unsupported", model=model["id"], parameter=parameter))
    if "tool_choice" in body and not body.get("tools"):
        raise EmulatorError(400, "tool_choice needs tools: declare the functions in tools.")
    config = (body.get("response_format") or {}).get("json_schema") or {}
    if config.get("strict") is True and model["creator"] == "anthropic":
        found = strict_schema_problem(config.get("schema") or {})
        if found:
            keyword, path = found
            raise EmulatorError(
                400, text("gateway_strict_schema_keyword", model=model["id"], keyword=keyword, path=path or "/")
            )


def strict_schema_problem(schema: Any, path: str = "") -> tuple[str, str] | None:
    """The first keyword of :data:`CLAUDE_STRICT_UNSUPPORTED` in ``schema`` and the JSON pointer of the
    (sub)schema that holds it, or None. OpenAI models take these keywords; Claude refuses them."""
    if not isinstance(schema, dict):
        return None
    for keyword in CLAUDE_STRICT_UNSUPPORTED:
        if keyword in schema and not (keyword == "minItems" and schema[keyword] in (0, 1)):
            return keyword, path
    for key in SUBSCHEMA:
        found = strict_schema_problem(schema.get(key), f"{path}/{key}")
        if found:
            return found
    for key in SUBSCHEMA_LISTS:
        for index, part in enumerate(schema.get(key) or ()):
            found = strict_schema_problem(part, f"{path}/{key}/{index}")
            if found:
                return found
    for key in SUBSCHEMA_MAPS:
        for name, part in (schema.get(key) or {}).items():
            found = strict_schema_problem(part, f"{path}/{key}/{name}")
            if found:
                return found
    return None


def with_transcript(state: State, messages: list[dict], transcript_id: str, region: str) -> list[dict]:
    """``messages`` with the first exact :data:`TRANSCRIPT_TAG` of the first message that holds one
    replaced by the transcript's ``text`` (facts section 5). An unknown id (or one of another region)
    is the gateway's 404; no tag anywhere: the messages unchanged (the documented reading: the docs
    say only what replaces the tag; UNVERIFIED, in the probe)."""
    from tools.emulator import understanding

    record = understanding.lookup(state, transcript_id, region)
    result = record.poll()
    if result["status"] != "completed":
        raise EmulatorError(
            400, text("gateway_transcript_not_completed", transcript_id=transcript_id, status=result["status"])
        )
    transcript = result["text"] or ""
    out = [dict(m) for m in messages]
    for message in out:
        content = message.get("content")
        if isinstance(content, str) and TRANSCRIPT_TAG in content:
            message["content"] = content.replace(TRANSCRIPT_TAG, transcript, 1)
            return out
        if isinstance(content, list):
            for index, part in enumerate(content):
                if isinstance(part, dict) and TRANSCRIPT_TAG in (part.get("text") or ""):
                    parts = list(content)
                    parts[index] = {**part, "text": part["text"].replace(TRANSCRIPT_TAG, transcript, 1)}
                    message["content"] = parts
                    return out
    return out


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
    if "transcript_id" in body:
        messages = with_transcript(state, messages, body["transcript_id"], region)
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
    history = any(m.get("role") == "assistant" for m in messages)
    answer = answers.choose(state.data_dir, state.notebook, number, _content_text(messages[-1].get("content")), history)
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


def doc_section() -> list[str]:
    """The LLM Gateway part of ``docs/emulator-features.md`` (``features.table``), with each reading
    taken where the facts file marks something UNVERIFIED or says nothing, and why."""
    from tools.emulator import accounts

    listed = catalogue()
    data = load_yaml(MODELS_FILE.read_text())
    return [
        "## LLM Gateway",
        "",
        "Generated from `tools/emulator/gateway.py` (`doc_section`); the model list is `data/gateway/models.yaml`",
        "(its header gives the sources). Sections are those of `../shared/docs/platform-2026-12.md`.",
        "",
        "- **finish_reason** is the provider family's (`FINISH_REASONS`), in plain and streamed answers: Claude "
        "(`claude-*`) `end_turn` complete, `max_tokens` cut off, `tool_use` for tool calls; GPT and every other "
        "family `stop`, `length`, `tool_calls`; a refusal answer `refusal`. Reading: Gemini and Qwen answer "
        "OpenAI's reasons, as the gateway serves them through OpenAI-compatible APIs (qwen's `stop` and `length` "
        "are captured; Gemini's are UNVERIFIED, probe `gemini-finish-complete`). Tool calls are in "
        "`message.tool_calls` (and `choices[].tool_calls`, where the March spec puts them).",
        "- **Errors** come in the real envelopes (§13 row 2; the 2026-09-24 capture; `tools/spec_gateway_overlay.yml` "
        'makes the spec say so): a 400 is `{message: "invalid request body", code, request_id, metadata: '
        "{errors: [cause]}}`, the cause the real text where one is captured (`model X is not supported`, `model X "
        "does not support response_format`, `model_region can only be set to global`, the model-access text) and "
        "otherwise the emulator's own, which says what to do; a 401 from the auth check is `{error, status: "
        "\"error\", request_id}` (no authorization header: the captured 'does not have access to LLM Gateway' "
        "text; a wrong key: 'Authentication error, API token missing/invalid'); 404, 429 and 500 are "
        "`{message, code, request_id}`. `Authorization: Bearer <key>` works on the gateway host (captured).",
        f"- **Models**: {len(listed)} ids (§5 plus the free-credit model); gone since March, answered as unknown: "
        + ", ".join(f"`{m}`" for m in data["removed"])
        + ". `retirement_date` is 0 for every listed model: none is documented. Reading for "
        "`claude-sonnet-4-5-20250929` (UNVERIFIED, P4): still listed without a date, as in Aug/Sept; the probe "
        "checks it and `claude-sonnet-4-6`'s. Pricing: global plus one tier per region "
        f"(+{data['regional_increase_percent']}%); figures for the models new since March are a sibling's "
        "(an estimate, listed under `estimates`).",
        "- **stream: true** works on every model whose entry lists `stream`: every family (§13 row 14; qwen "
        "streamed live). Chunks as captured (`stream_chunk_first`): `logprobs: null` in each choice, the running "
        "`usage` on every chunk, a final usage-only chunk with `choices: []`, then `data: [DONE]`. Reading: "
        "Claude's and Gemini's chunks have that same shape (UNVERIFIED, probe `stream-claude`).",
        "- **transcript_id**: the completed transcript's `text` replaces the first exact `{{ transcript }}` of the "
        "first message that holds one (string content or a text part), before the reference answer is chosen; "
        "an unknown or other-region id is a 404 `transcript not found`; a transcript not yet completed is a 400. "
        "Reading where no message holds the tag (the docs say only what replaces the tag): nothing is "
        "substituted and the request is answered as it stands, so a prompt that needs the transcript then "
        "meets the emulator's 'lost its transcript' refusal.",
        "- **Strict JSON schemas on Claude**: with `response_format.json_schema.strict: true`, a Claude model "
        "refuses " + ", ".join(f"`{k}`" for k in CLAUDE_STRICT_UNSUPPORTED) + " (`minItems` above 1) anywhere in "
        "the schema, with a 400 naming the keyword and its path; OpenAI and other models accept them; "
        "`strict: false` (the default) is not checked. Sources: Anthropic's own 400 for `minimum` (quoted in "
        "agentjido/req_llm#302) and the structured-outputs limits as a third party lists them; the gateway's "
        "wording is not captured.",
        "- **Refused by name** (not emulated): "
        + ", ".join(
            f"`{k}`"
            for k in (
                "fallbacks",
                "fallback_config",
                "reasoning",
                "model_region",
                "post_processing_steps",
                "zero_data_retention",
                "fail_fast",
                "max_timeout",
                "top_p",
            )
        )
        + ", and any other key; `model_region` other than `global` gets the real cause first.",
        "- **POST /v1/understanding/validate** checks a request by `/v1/understanding`'s rules without running "
        "it: the task names, translation's `target_languages`, speaker identification's settings; tasks the "
        "emulator does not emulate (custom_formatting, summarization, action_items) are refused by name; a "
        "`transcript_id` (optional) must exist (404). Reading (the SDK reads no body; UNVERIFIED, probe "
        "`understanding-validate`): 200 `{request_id}`; invalid: a 400 with every problem in `metadata.errors`.",
        f'- **Free-credit account** (`Emulator(account="free")`, `--account free`, `{accounts.ENV_ACCOUNT}=free`): '
        "every Claude, GPT and Gemini model answers the 400 cause `Your account does not have access to this LLM "
        f"Gateway model`; only {', '.join(f'`{m}`' for m in sorted(accounts.FREE_MODELS))} works, answering the "
        "notebook's reference answer as any model does; `GET /v1/models` lists everything; `/v1/understanding`, "
        f"`/validate` and the free model allow {accounts.LIMIT} requests per {accounts.WINDOW_SECONDS:.0f} s per "
        "key, then 429 `too many requests for this action` with `retry-after` (seconds until the oldest request "
        "leaves the window) and `x-ratelimit-*` headers (§13 rows 3 and 7). `/v1/understanding` with an unknown "
        "id: 404 `transcript not found` on every account (reading: captured on the chat path only, §13 row 7).",
    ]
