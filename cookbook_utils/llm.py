"""Asking the AssemblyAI LLM Gateway, the successor of LeMUR, in one call.

``ask(messages)`` sends a chat completion through the SDK's ``LLMGateway`` client (so it goes
wherever ``cu.setup()`` pointed the SDK: the real gateway, the emulator, or a recording) and
returns an :class:`LLMReply`: the text, the parsed object when a JSON schema was given, the token
usage and the model. Failures raise a subclass of :class:`~cookbook_utils.errors.LLMError` that
says what to do: a bad key, an unknown model, a refusal, or a reply that is not the JSON asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import DEFAULT_LLM_MODEL, ENV_API_KEY, LLM_TIMEOUT_S
from .errors import LLMAuthError, LLMError, LLMOutputError, LLMRefusalError, UnknownModelError

#: ``finish_reason`` values that mean the model declined to answer.
REFUSAL_REASONS = frozenset({"refusal", "content_filter"})
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


@dataclass(frozen=True)
class Usage:
    """Tokens counted by the gateway for one call."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class LLMReply:
    """What :func:`ask` returns."""

    text: str
    parsed: Any  # the JSON object when a schema was given, else None
    usage: Usage
    model: str
    finish_reason: str | None = None
    request_id: str | None = None


def json_schema_format(schema: Mapping[str, Any], name: str = "answer", *, strict: bool = True) -> dict:
    """The ``response_format`` that asks the gateway for JSON matching ``schema``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise ValueError(f"a schema name is 1-64 letters, digits, '_' or '-', got {name!r}")
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema), "strict": strict}}


def _as_messages(messages: str | Sequence[Mapping[str, Any]], system: str | None) -> list[dict]:
    if isinstance(messages, str):
        listed = [{"role": "user", "content": messages}]
    else:
        listed = [dict(m) for m in messages]
    if not listed:
        raise ValueError("ask() needs at least one message")
    for number, message in enumerate(listed, start=1):
        if "role" not in message or "content" not in message:
            raise ValueError(f"message {number} needs a 'role' and a 'content': {message!r}")
    if system is not None:
        listed.insert(0, {"role": "system", "content": system})
    return listed


def _gateway(timeout: float):
    """An ``LLMGateway`` on the SDK's current settings (set by ``cu.setup()``), with our timeout."""
    import assemblyai as aai

    settings = aai.settings.copy()
    settings.llm_gateway_http_timeout = timeout
    return aai.LLMGateway(client=aai.Client(settings=settings))


def _error_text(error: Exception) -> str:
    """The message inside the gateway's error envelope (``{"error": {"code", "message"}}``)."""
    message = error.args[0] if error.args else str(error)
    if isinstance(message, Mapping):
        return str(message.get("message") or message)
    return str(message)


def _translate(error: Exception, model: str) -> LLMError:
    status = getattr(error, "status_code", None)
    text = _error_text(error)
    if status in (401, 403):
        return LLMAuthError(
            f"The LLM Gateway refused the API key ({status}: {text}). It takes the same key as transcription: "
            f"check {ENV_API_KEY} (environment, .env or Colab's secrets) and that the account has LLM Gateway access.",
            status_code=status,
        )
    if status in (400, 404) and model and (model in text or "model" in text.lower()):
        return UnknownModelError(
            f"The LLM Gateway does not offer model {model!r} ({status}: {text}). List the current ones with "
            "cookbook_utils.llm.available_models() and pass one as model=..., or change DEFAULT_LLM_MODEL in "
            "cookbook_utils/config.py.",
            status_code=status,
        )
    return LLMError(f"The LLM Gateway answered {status}: {text}", status_code=status)


def parse_json_reply(text: str, schema: Mapping[str, Any] | None = None) -> Any:
    """The JSON object in a model's reply, checked against ``schema`` when one is given.

    A reply wrapped in a Markdown code fence is accepted. Raises :class:`LLMOutputError` when the
    text is not JSON or does not match the schema.
    """
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        parsed = json.loads(body)
    except ValueError as error:
        preview = text.strip()[:200] or "(empty)"
        raise LLMOutputError(
            f"The model's reply is not valid JSON ({error}). It began: {preview!r}. Ask again, raise max_tokens if "
            "it was cut off, or use a model that supports response_format.",
            reply=text,
        ) from None
    if schema is not None:
        from jsonschema import Draft202012Validator

        errors = sorted(Draft202012Validator(dict(schema)).iter_errors(parsed), key=lambda e: list(e.absolute_path))
        if errors:
            problems = "; ".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in errors[:5])
            raise LLMOutputError(
                f"The model's reply does not match the schema ({len(errors)} problems: {problems}).", reply=text
            )
    return parsed


def ask(
    messages: str | Sequence[Mapping[str, Any]],
    *,
    model: str = DEFAULT_LLM_MODEL,
    system: str | None = None,
    schema: Mapping[str, Any] | None = None,
    schema_name: str = "answer",
    max_tokens: int = 1000,
    temperature: float | None = None,
    timeout: float = LLM_TIMEOUT_S,
) -> LLMReply:
    """Send one chat completion to the LLM Gateway and return its reply.

    ``messages`` is a prompt string or a list of ``{"role", "content"}`` dicts; ``system`` adds a
    system message first. With ``schema`` (a JSON Schema), the gateway is asked for JSON matching
    it, and the reply is parsed and validated into ``LLMReply.parsed``.

    Raises :class:`LLMAuthError` (bad key), :class:`UnknownModelError`, :class:`LLMRefusalError`,
    :class:`LLMOutputError` (the reply does not parse or match the schema, or was cut off) and
    :class:`LLMError` for any other failure.
    """
    from assemblyai.types import AssemblyAIError

    listed = _as_messages(messages, system)
    options: dict[str, Any] = {"max_tokens": max_tokens}
    if temperature is not None:
        options["temperature"] = temperature
    if schema is not None:
        options["response_format"] = json_schema_format(schema, schema_name)
    try:
        completion = _gateway(timeout).chat.completions.create(model=model, messages=listed, **options)
    except AssemblyAIError as error:
        raise _translate(error, model) from error
    if not completion.choices:
        raise LLMError(f"The LLM Gateway sent no choices (request {completion.request_id}).")
    choice = completion.choices[0]
    text = choice.message.content or ""
    refusal = getattr(choice.message, "refusal", None)
    if choice.finish_reason in REFUSAL_REASONS or refusal:
        raise LLMRefusalError(
            f"The model declined to answer (finish_reason={choice.finish_reason!r}): {(refusal or text)[:300]!r}. "
            "Rephrase the request, or check that the transcript is what you meant to send.",
            reply=refusal or text,
        )
    parsed = None
    if schema is not None:
        if choice.finish_reason == "length":
            raise LLMOutputError(
                f"The reply was cut off at max_tokens={max_tokens} before its JSON was complete: raise max_tokens.",
                reply=text,
            )
        parsed = parse_json_reply(text, schema)
    usage = completion.usage
    echoed = completion.request if isinstance(completion.request, Mapping) else {}
    return LLMReply(
        text=text,
        parsed=parsed,
        usage=Usage(
            input_tokens=usage.input_tokens if usage.input_tokens is not None else usage.prompt_tokens,
            output_tokens=usage.output_tokens if usage.output_tokens is not None else usage.completion_tokens,
            total_tokens=usage.total_tokens,
        ),
        model=str(echoed.get("model") or model),
        finish_reason=choice.finish_reason,
        request_id=completion.request_id,
    )


def available_models(timeout: float = LLM_TIMEOUT_S) -> list[str]:
    """The model ids the LLM Gateway offers now (``GET /v1/models``)."""
    from assemblyai.types import AssemblyAIError

    try:
        listed = _gateway(timeout).models.list()
    except AssemblyAIError as error:
        raise _translate(error, "") from error
    return [model.id for model in listed.data]


def answer_label(provenance: Mapping[str, Any] | None, reply: LLMReply) -> str:
    """How a notebook introduces an LLM answer: a *reference answer* when the recording was made
    against the local emulator (which answers from files written for the transcript), else the
    model's answer. Pass ``session.provenance``."""
    if (provenance or {}).get("source") == "emulator":
        return (
            "Reference answer (written for this transcript and served by the local emulator; "
            f"re-record with your key to see {reply.model}'s own answer)"
        )
    return f"Answer from {reply.model}"
