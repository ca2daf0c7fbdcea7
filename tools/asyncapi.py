"""Validating streaming messages against AssemblyAI's AsyncAPI specifications.

Two specs describe the one WebSocket, ``wss://streaming.assemblyai.com/v3/ws``:
``assemblyai-usm-streaming.yml`` (Universal-Streaming: ``universal-streaming-english``,
``universal-streaming-multilingual``, ``whisper-rt``) and ``assemblyai-usm-streaming-u3-pro.yml``
(``u3-rt-pro``). Each lists the session's query parameters (``channels.*.parameters``) and the
payload schema of every message (``components.messages``). The payload schemas are OpenAPI-flavoured
JSON Schema: ``nullable: true`` is turned into a ``null`` type before validating with jsonschema.
Both are March 2026 files; :data:`OVERLAY` (``tools/asyncapi_overlay.yml``) patches in what the
service has gained since (the Pro models of today, ``Begin.configuration``, ``Heartbeat``,
``SpeakerRevision``, the new parameters), each patch with its source.

The ``Error`` frame the server sends before closing a session on an error is not in the AsyncAPI
files; its shape comes from AssemblyAI's page "Common session errors and closures"
(``{"type": "Error", "error_code": <close code>, "error": <text>}``) and is checked with
:data:`ERROR_SCHEMA`. The token endpoint (``GET /v3/token``) is OpenAPI:
``assemblyai-streaming-token.yml``, checked with :func:`validate_token_response`.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from cookbook_utils.yamlio import load_yaml
from tools.spec import REFERENCE, ROOT, SpecViolation, apply_overlay

STREAMING_SPECS = {"universal": "assemblyai-usm-streaming.yml", "u3-pro": "assemblyai-usm-streaming-u3-pro.yml"}
TOKEN_SPEC = "assemblyai-streaming-token.yml"
OVERLAY = ROOT / "tools" / "asyncapi_overlay.yml"
#: The model a session without ``speech_model`` runs (platform-2026-12.md section 4 [S13][S8]).
SERVER_DEFAULT_MODEL = "universal-3-6-pro"
#: Messages each side sends, by the ``type`` field they carry.
CLIENT_TYPES = {
    "UpdateConfiguration": "UpdateConfiguration",
    "ForceEndpoint": "ForceEndpoint",
    "Terminate": "SessionTermination",
}
SERVER_TYPES = {
    "Begin": "SessionBegins",
    "Turn": "Turn",
    "Termination": "Termination",
    "SpeechStarted": "SpeechStarted",
    "Heartbeat": "Heartbeat",
    "SpeakerRevision": "SpeakerRevision",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"type": {"const": "Error"}, "error_code": {"type": "integer"}, "error": {"type": "string"}},
    "required": ["type", "error_code", "error"],
    "additionalProperties": False,
}


def available() -> bool:
    """True when the streaming specs are in ``../shared/reference/``."""
    return all((REFERENCE / name).is_file() for name in [*STREAMING_SPECS.values(), TOKEN_SPEC])


def overlay() -> dict[str, list[dict]]:
    """The patches of :data:`OVERLAY` by spec (``universal``, ``u3-pro``), each with its source."""
    patches = load_yaml(OVERLAY.read_text())
    for which, entries in patches.items():
        for patch in entries:
            if which not in STREAMING_SPECS or not patch.get("source"):
                raise ValueError(f"{OVERLAY.name}: {which}: each patch needs a source: {patch}")
    return patches


@functools.cache
def load(which: str) -> dict:
    """One spec, parsed, with its overlay patches applied: ``universal``, ``u3-pro`` or ``token``."""
    name = TOKEN_SPEC if which == "token" else STREAMING_SPECS[which]
    raw = load_yaml((REFERENCE / name).read_text())
    return raw if which == "token" else apply_overlay(raw, overlay().get(which, []))


def spec_for_model(speech_model: str | None) -> str:
    """Which spec describes a session with this ``speech_model`` (the Pro spec: every Pro model; None:
    the server's default)."""
    speech_model = speech_model or SERVER_DEFAULT_MODEL
    return "u3-pro" if speech_model in channel("u3-pro")["parameters"]["speech_model"]["enum"] else "universal"


def _nullable(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` as JSON Schema (``type: [T, "null"]``); drops ``format``."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items() if key != "format"}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    return node


def _resolve_refs(node: Any, spec: dict) -> Any:
    if isinstance(node, list):
        return [_resolve_refs(item, spec) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve_refs(target, spec)
    return {key: _resolve_refs(value, spec) for key, value in node.items()}


@functools.cache
def _validator(which: str, message: str):
    import jsonschema

    spec = load(which)
    payload = spec["components"]["messages"][message]["payload"]
    schema = _nullable(_resolve_refs(copy.deepcopy(payload), spec))
    return jsonschema.Draft202012Validator(schema)


def warm_up() -> None:
    """Parse every spec and build every validator (a second or more, once per process)."""
    for which in STREAMING_SPECS:
        for name in load(which)["components"]["messages"]:
            if "$ref" in load(which)["components"]["messages"][name]["payload"]:
                _validator(which, name)
    load("token")


def channel(which: str) -> dict:
    """The spec's one channel (its parameters and messages)."""
    return next(iter(load(which)["channels"].values()))


def validate_message(payload: dict, *, sender: str, speech_model: str | None = None) -> str:
    """Check one JSON message against its payload schema; returns the message name.

    ``sender`` is ``"client"`` or ``"server"``. Raises :class:`SpecViolation` when the ``type``
    is not one that side sends, or the payload does not match.
    """
    import jsonschema

    kind = payload.get("type") if isinstance(payload, dict) else None
    if sender == "server" and kind == "Error":
        validator = jsonschema.Draft202012Validator(ERROR_SCHEMA)
        name = "Error"
    else:
        which = spec_for_model(speech_model)
        names = CLIENT_TYPES if sender == "client" else SERVER_TYPES
        name = names.get(kind or "")
        if name is None or name not in load(which)["components"]["messages"]:
            raise SpecViolation(f"a {sender} message of type {kind!r} is not in the {which} streaming spec")
        validator = _validator(which, name)
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.path))
    if errors:
        where = "/".join(map(str, errors[0].path)) or "(message)"
        raise SpecViolation(f"{sender} message {name} at {where}: {errors[0].message}")
    return name


def validate_text(text: str, *, sender: str, speech_model: str | None = None) -> str:
    """:func:`validate_message` for a text frame as sent on the wire."""
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise SpecViolation(f"{sender} text frame is not JSON: {error}") from error
    return validate_message(payload, sender=sender, speech_model=speech_model)


def validate_token_response(status: int, body: Any) -> None:
    """Check a ``GET /v3/token`` answer against the token spec."""
    import jsonschema

    responses = load("token")["paths"]["/v3/token"]["get"]["responses"]
    entry = responses.get(str(status))
    if entry is None:
        raise SpecViolation(f"GET /v3/token does not answer {status}")
    schema = _resolve_refs(entry["content"]["application/json"]["schema"], load("token"))
    errors = list(jsonschema.Draft202012Validator(_nullable(schema)).iter_errors(body))
    if errors:
        raise SpecViolation(f"GET /v3/token {status}: {errors[0].message}")


def token_query_schema() -> dict[str, dict]:
    """The token endpoint's query parameters: name -> {schema, required}."""
    parameters = load("token")["paths"]["/v3/token"]["get"]["parameters"]
    return {p["name"]: {"schema": p["schema"], "required": p.get("required", False)} for p in parameters}
