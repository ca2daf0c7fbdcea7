"""The LLM Gateway: its model list and chat completions answered from reference answers."""

from __future__ import annotations

import json
from pathlib import Path

from tools.emulator.core import ROOT, EmulatorError, State

GATEWAY_MODELS = [
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "anthropic", 200_000, 3.0, 15.0),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "google", 1_000_000, 0.1, 0.4),
]


def _answer_file(state: State, number: int) -> Path:
    folder = state.data_dir / "answers" / (state.notebook or "_no_notebook")
    for suffix in (".json", ".md", ".refusal.md"):
        if (folder / f"{number}{suffix}").is_file():
            return folder / f"{number}{suffix}"
    raise EmulatorError(
        400,
        f"The emulator has no reference answer for chat completion {number} of notebook {state.notebook!r}: "
        f"write {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}/{number}.md (or .json "
        "for a structured reply).",
    )


def chat(state: State, body: dict) -> dict:
    model = body["model"]
    if model not in {entry[0] for entry in GATEWAY_MODELS}:
        raise EmulatorError(400, f"Model '{model}' is not supported. GET /v1/models lists the available models.")
    state.chat_calls += 1
    state.chat_requests.append(body)
    path = _answer_file(state, state.chat_calls)
    answer = path.read_text().strip()
    # A reference answer named <n>.refusal.md stands for a model that declines to answer.
    finish_reason = "refusal" if path.name.endswith(".refusal.md") else "stop"
    prompt = json.dumps(body.get("messages") or body.get("prompt"))
    input_tokens, output_tokens = max(1, len(prompt) // 4), max(1, len(answer) // 4)
    echoed = {key: body[key] for key in ("model", "max_tokens", "temperature", "tools", "tool_choice") if key in body}
    return {
        "request_id": state.next_id("chat", prompt),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": finish_reason}],
        "request": echoed,
        # The spec's names and the OpenAI-style ones the SDK's model also requires.
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
        },
    }


def models() -> dict:
    data = []
    for model_id, name, creator, context, prompt_price, completion_price in GATEWAY_MODELS:
        provider = {"id": creator, "name": creator.title()}
        data.append(
            {
                "id": model_id,
                "name": name,
                "description": f"{name} through AssemblyAI's LLM Gateway (emulated)",
                "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
                "supported_parameters": ["max_tokens", "temperature", "response_format", "tools"],
                "top_provider": {"is_moderated": False, "context_length": context, "max_completion_tokens": 64_000},
                "context_length": context,
                "pricing": {"global": {"prompt": prompt_price, "completions": completion_price}},
                "creator": creator,
                "retirement_date": 0,
                "available_regions": ["us", "eu"],
                "providers": [provider],
                "default_provider": provider,
            }
        )
    return {"object": "list", "data": data}
