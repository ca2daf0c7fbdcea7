"""Validating requests and responses against AssemblyAI's official OpenAPI specifications.

The specs live beside the project, in ``../shared/reference/`` (they are not copied in). Both are
OpenAPI 3.1, so their schemas are JSON Schema 2020-12. One adjustment is made before validating:
request objects built with ``allOf`` from parts that each say ``additionalProperties: false`` would
reject every property under a strict validator, so each ``allOf`` is merged into one object (the
union of the parts' properties and required keys, closed when every part is closed).
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
#: The pre-recorded API: the newest published spec (August 2026) with :data:`OVERLAY` applied; the LLM
#: Gateway: the March 2026 spec (no newer copy exists) with :data:`GATEWAY_OVERLAY` applied.
SPEC_FILES = {"api": "published-2026-08-18/assemblyai-openapi.yml", "gateway": "assemblyai-llm-gateway.yml"}
#: What the published pre-recorded spec has not caught up with, each patch with its source.
OVERLAY = ROOT / "tools" / "spec_overlay.yml"
#: What the March gateway spec gets wrong or lacks (the real error envelopes, ``transcript_id``,
#: ``/understanding/validate``), each patch with its source.
GATEWAY_OVERLAY = ROOT / "tools" / "spec_gateway_overlay.yml"
OVERLAYS = {"api": OVERLAY, "gateway": GATEWAY_OVERLAY}
#: Real endpoints that the published specs do not describe (api-2026.md lists them).
NOT_IN_SPEC = {("GET", "gateway", "/models")}


class SpecViolation(AssertionError):
    """A request or response does not match the official specification."""


class UnknownOperation(SpecViolation):
    """No operation in the specs matches this method and URL."""


class UnknownQueryParameter(SpecViolation):
    """A query parameter the operation does not define; ``known`` lists the ones it does."""

    def __init__(self, name: str, path: str, known: list[str]):
        super().__init__(f"{path} has no query parameter {name} (it takes {', '.join(known) or 'none'})")
        self.name, self.path, self.known = name, path, known


class InvalidQueryValue(SpecViolation):
    """A query parameter given twice, missing though required, or with a value outside its schema."""

    def __init__(self, name: str, value: Any, detail: str):
        super().__init__(f"query parameter {name}={value!r}: {detail}")
        self.name, self.value, self.detail = name, value, detail


def spec_available() -> bool:
    """True when ``../shared/reference/`` holds both specs."""
    return all((REFERENCE / name).is_file() for name in SPEC_FILES.values())


def _resolve(spec: dict, ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _merge_all_of(node: Any, spec: dict) -> Any:
    """Replace every ``allOf`` of object parts with one merged object schema (see module doc)."""
    if isinstance(node, list):
        return [_merge_all_of(item, spec) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _merge_all_of(value, spec) for key, value in node.items()}
    parts = node.get("allOf")
    if not parts:
        return node
    resolved = [_merge_all_of(_resolve(spec, p["$ref"]), spec) if "$ref" in p else p for p in parts]
    if not all(part.get("type", "object") == "object" and "properties" in part for part in resolved):
        return node
    merged = {key: value for key, value in node.items() if key != "allOf"}
    merged["type"] = "object"
    merged["properties"] = {}
    required: list[str] = list(node.get("required", []))
    for part in resolved:
        merged["properties"].update(part.get("properties", {}))
        required += [name for name in part.get("required", []) if name not in required]
    if required:
        merged["required"] = required
    merged["additionalProperties"] = not all(part.get("additionalProperties") is False for part in resolved)
    return merged


def overlay(which: str = "api") -> list[dict]:
    """The patches of one spec's overlay (:data:`OVERLAYS`): each a ``pointer``, an ``append``, ``set`` or
    ``add`` value (``add``: a key the spec lacks), and a ``source``."""
    path = OVERLAYS[which]
    patches = load_yaml(path.read_text())
    for patch in patches:
        if not patch.get("source") or sum(op in patch for op in ("append", "set", "add")) != 1:
            raise ValueError(f"{path.name}: each patch needs a source and one of append, set or add: {patch}")
    return patches


def apply_overlay(raw: dict, patches: list[dict]) -> dict:
    """``raw`` with ``patches`` applied (a copy). A patch must change the spec: a ``set`` pointer that finds
    nothing, an ``add`` pointer that finds something, or a patch that repeats what the spec already says
    (a value already in the list, a ``set`` to the same value) raises KeyError."""
    patched = copy.deepcopy(raw)
    for patch in patches:
        *parents, last = patch["pointer"].removeprefix("/").split("/")
        last = last.replace("~1", "/").replace("~0", "~")
        node = _resolve(patched, "#/" + "/".join(parents)) if parents else patched
        if "append" in patch:
            if patch["append"] in node[last]:
                raise KeyError(f"{patch['pointer']}: already holds {patch['append']!r}")
            node[last].append(patch["append"])
        elif "add" in patch:
            if last in node:
                raise KeyError(f"{patch['pointer']}: already in the spec (use set)")
            node[last] = patch["add"]
        else:
            if last not in node:
                raise KeyError(f"{patch['pointer']}: not in the spec")
            if node[last] == patch["set"]:
                raise KeyError(f"{patch['pointer']}: the spec already says this")
            node[last] = patch["set"]
    return patched


@functools.cache
def load(which: str) -> dict:
    """One spec (``"api"`` or ``"gateway"``), its overlay applied, every ``allOf`` merged."""
    if not spec_available():
        raise FileNotFoundError(f"the official specs are not in {REFERENCE}")
    raw = load_yaml((REFERENCE / SPEC_FILES[which]).read_text())
    raw = apply_overlay(raw, overlay(which))
    merged = copy.deepcopy(raw)
    merged["components"] = _merge_all_of(raw["components"], raw)
    merged["paths"] = _merge_all_of(raw["paths"], raw)
    return merged


@functools.cache
def _validator_for(which: str, pointer: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    uri = f"urn:assemblyai:{which}"
    registry = Registry().with_resource(uri, Resource(contents=load(which), specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def _which(url: str) -> tuple[str, str]:
    """(``api`` or ``gateway``, the path relative to that spec's server)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.startswith("llm-gateway"):
        return "gateway", parts.path.removeprefix("/v1")
    if host.startswith("api.") and host.endswith("assemblyai.com"):
        return "api", parts.path
    raise UnknownOperation(f"{url} is not an AssemblyAI API host")


def find_operation(method: str, url: str) -> tuple[str, str, dict] | None:
    """The spec, path template and operation for a request; None for a real endpoint the spec
    does not describe (``NOT_IN_SPEC``). Raises :class:`UnknownOperation` otherwise."""
    which, path = _which(url)
    if (method.upper(), which, path) in NOT_IN_SPEC:
        return None
    paths = load(which)["paths"]
    # Literal segments first: /v2/transcript/{id}/sentences before /v2/transcript/{id}/{format}.
    for template in sorted(paths, key=lambda t: t.count("{")):
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in paths[template]:
            return which, template, paths[template][method.lower()]
    raise UnknownOperation(f"{method} {url}: no such operation in the {which} spec")


def _check(which: str, pointer: str, instance: Any, what: str) -> None:
    errors = sorted(_validator_for(which, pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]]
        raise SpecViolation(f"{what} does not match the spec ({len(errors)} errors):\n  " + "\n  ".join(lines))


def _pointer(which: str, node_path: list[str]) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in node_path)


def validate_request(method: str, url: str, body: Any) -> None:
    """Check a JSON request body against the operation's request schema."""
    found = find_operation(method, url)
    if found is None:
        return
    which, template, operation = found
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        if body is not None:
            raise SpecViolation(f"{method} {url}: the spec takes no JSON body")
        return
    pointer = _pointer(
        which, ["paths", template, method.lower(), "requestBody", "content", "application/json", "schema"]
    )
    _check(which, pointer, body, f"request {method} {url}")


def validate_response(method: str, url: str, status: int, body: Any, content_type: str = "application/json") -> None:
    """Check a response body against the schema the spec gives for its status and content type."""
    found = find_operation(method, url)
    if found is None:
        return
    which, template, operation = found
    responses = operation.get("responses", {})
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    if key is None:
        raise SpecViolation(f"{method} {url}: the spec lists no {status} response")
    node_path = ["paths", template, method.lower(), "responses", key]
    response = responses[key]
    if "$ref" in response:
        node_path = response["$ref"].removeprefix("#/").split("/")
        response = _resolve(load(which), response["$ref"])
    media = (content_type or "application/json").split(";")[0].strip()
    content = response.get("content", {})
    if not content:
        return
    if media not in content:
        raise SpecViolation(f"{method} {url} {status}: content type {media!r} not in {sorted(content)}")
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if media == "application/json" and isinstance(body, str):
        body = json.loads(body)
    _check(
        which, _pointer(which, [*node_path, "content", media, "schema"]), body, f"response {status} to {method} {url}"
    )


def _query_value(schema: dict, which: str, raw: str) -> Any:
    """A query string value as the type its schema names (form style, not exploded, for arrays)."""
    if "$ref" in schema:
        schema = _resolve(load(which), schema["$ref"])
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ValueError("not an integer")
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        if raw not in {"true", "false"}:
            raise ValueError("not true or false")
        return raw == "true"
    if kind == "array":
        return [part for part in raw.split(",")]
    if schema.get("format") == "uuid":
        uuid.UUID(raw)
    if schema.get("format") == "date":
        datetime.date.fromisoformat(raw)
    return raw


def validate_query(method: str, url: str) -> dict[str, Any]:
    """The query parameters of a request, typed and checked against the operation's parameters.
    An unknown name raises :class:`UnknownQueryParameter`; a repeated one, a missing required one
    or a value outside its schema raises :class:`InvalidQueryValue`."""
    parts = urlsplit(url)
    raw = parse_qs(parts.query, keep_blank_values=True)
    found = find_operation(method, url)
    parameters = [] if found is None else found[2].get("parameters", [])
    which, template = (found[0], found[1]) if found else ("", "")
    known = {p["name"]: (index, p) for index, p in enumerate(parameters) if p.get("in") == "query"}
    typed: dict[str, Any] = {}
    for name, values in raw.items():
        if name not in known:
            raise UnknownQueryParameter(name, parts.path, list(known))
        if len(values) > 1:
            raise InvalidQueryValue(name, values, "given twice")
        index, parameter = known[name]
        try:
            value = _query_value(parameter["schema"], which, values[0])
        except ValueError as error:
            raise InvalidQueryValue(name, values[0], str(error)) from None
        pointer = _pointer(which, ["paths", template, method.lower(), "parameters", str(index), "schema"])
        problems = list(_validator_for(which, pointer).iter_errors(value))
        if problems:
            raise InvalidQueryValue(name, values[0], problems[0].message)
        typed[name] = value
    for name, (_, parameter) in known.items():
        if parameter.get("required") and name not in typed:
            raise InvalidQueryValue(name, None, "it is required")
    return typed
