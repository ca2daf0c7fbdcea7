"""Every endpoint the emulator answers, in one table: ``ROUTES``.

A request goes to the first route whose pattern matches its whole path and whose methods hold its
method. A path no route matches is a 404; a path that matches with another method is a 405 whose
``Allow`` lists the matching routes' methods in table order. The query is then checked against the
spec (``tools.spec.validate_query``) and the route's handler answers.

To add an endpoint: add a :class:`Route` here, with a handler that takes a :class:`Request` and
returns ``(status, payload, content type)``. Nothing else routes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools import spec
from tools.emulator import gateway, models, redacted_audio, sync_dictation, transcripts, understanding, uploads
from tools.emulator.errors import EmulatorError, text
from tools.emulator.state import State

if TYPE_CHECKING:
    from tools.emulator.server import Emulator

JSON = "application/json"
TEXT = "text/plain"
#: What a handler returns: the status, the payload (JSON-able, text or bytes) and its content type.
Answer = tuple[int, Any, str]


@dataclass(frozen=True)
class Request:
    """One request as a handler sees it: the URL on the real host, the path's named parts, the
    typed query (already checked against the spec), the raw body and the headers (a mapping whose
    names ignore case, as ``http.client`` gives them)."""

    method: str
    url: str
    path: str
    params: dict[str, str]
    query: dict[str, Any]
    body: bytes
    region: str
    emulator: Emulator
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def state(self) -> State:
        return self.emulator.state

    def json(self, precheck: Callable[[Any], None] | None = None) -> dict:
        """The body as JSON, checked against the operation's request schema (a 400 otherwise);
        ``precheck`` first refuses what the API answers with texts of its own."""
        try:
            body = json.loads(self.body or b"null")
        except ValueError as error:
            raise EmulatorError(400, text("invalid_json", detail=error)) from error
        if precheck is not None:
            precheck(body)
        try:
            spec.validate_request(self.method, self.url, body)
        except spec.SpecViolation as violation:
            detail = str(violation).splitlines()[-1].strip()
            raise EmulatorError(400, text("invalid_body", detail=detail)) from violation
        return body

    def transcript(self) -> transcripts.TranscriptRecord:
        """The transcript the path names, if it exists in this region."""
        return transcripts.find(self.state, self.params["transcript_id"], self.region)


@dataclass(frozen=True)
class Route:
    """One operation: the methods it answers, the path pattern (named groups become
    ``Request.params``) and its handler."""

    methods: tuple[str, ...]
    pattern: str
    handler: Callable[[Request], Answer]

    def match(self, path: str) -> re.Match[str] | None:
        return re.fullmatch(self.pattern, path)  # re keeps the compiled patterns


# --- Handlers: each adapts one request to the module of its API area -----------------------------


def _upload(request: Request) -> Answer:
    if not request.body:
        raise EmulatorError(400, text("empty_upload"))
    return 200, uploads.upload(request.state, request.body), JSON


def _create_transcript(request: Request) -> Answer:
    body = request.json(precheck=models.check_request)
    return 200, transcripts.create(request.state, body, region=request.region), JSON


def _list_transcripts(request: Request) -> Answer:
    return 200, transcripts.listing(request.state, request.query, region=request.region), JSON


def _get_transcript(request: Request) -> Answer:
    return 200, request.transcript().poll(), JSON


def _delete_transcript(request: Request) -> Answer:
    return 200, request.transcript().delete(), JSON


def _sentences(request: Request) -> Answer:
    return 200, transcripts.sentences(request.transcript()), JSON


def _paragraphs(request: Request) -> Answer:
    return 200, transcripts.paragraphs(request.transcript()), JSON


def _captions(request: Request) -> Answer:
    kind = request.params["format"]
    return 200, transcripts.captions(request.transcript(), kind, request.query.get("chars_per_caption")), TEXT


def _word_search(request: Request) -> Answer:
    return 200, transcripts.word_search(request.transcript(), request.query.get("words", [])), JSON


def _redacted_audio(request: Request) -> Answer:
    return 200, redacted_audio.answer(request.transcript()), JSON


def _models(request: Request) -> Answer:
    return 200, gateway.models(), JSON


def _chat(request: Request) -> Answer:
    body = request.json()
    with request.emulator.chat_lock:  # answers are numbered in order of arrival
        return gateway.chat(request.state, body, region=request.region, key=request.emulator.api_key)


def _understand(request: Request) -> Answer:
    understanding.admit(request.state, request.emulator.api_key)
    return 200, understanding.understand(request.state, request.json(understanding.refuse_unemulated)), JSON


def _validate_understanding(request: Request) -> Answer:
    understanding.admit(request.state, request.emulator.api_key)  # billed like a real call
    return 200, understanding.validate(request.state, request.json()), JSON


def _short_audio(request: Request) -> Answer:
    """Sync transcription or dictation, by the host the request was meant for (``sync_dictation``)."""
    api = sync_dictation.api_of(request.url)
    if api is None:
        raise EmulatorError(404, text("unknown_path"))
    answer = sync_dictation.transcribe(request.state, api, request.path, request.body, request.headers, request.region)
    return 200, answer, JSON


def _warm(request: Request) -> Answer:
    api = sync_dictation.api_of(request.url)
    if api is None:
        raise EmulatorError(404, text("unknown_path"))
    sync_dictation.check_model(api, request.headers)
    return 200, {}, JSON


TRANSCRIPT = r"/v2/transcript/(?P<transcript_id>[^/]+)"
#: The specs' operations plus GET /v1/models, which the published specs do not describe, and sync
#: transcription and dictation (sync.assemblyai.com, dictation.assemblyai.com), which have no spec.
ROUTES: list[Route] = [
    Route(("POST",), r"/v2/upload", _upload),
    Route(("GET",), r"/v2/transcript", _list_transcripts),
    Route(("POST",), r"/v2/transcript", _create_transcript),
    Route(("GET",), TRANSCRIPT, _get_transcript),
    Route(("DELETE",), TRANSCRIPT, _delete_transcript),
    Route(("GET",), TRANSCRIPT + "/sentences", _sentences),
    Route(("GET",), TRANSCRIPT + "/paragraphs", _paragraphs),
    Route(("GET",), TRANSCRIPT + "/(?P<format>srt|vtt)", _captions),
    Route(("GET",), TRANSCRIPT + "/word-search", _word_search),
    Route(("GET",), TRANSCRIPT + "/redacted-audio", _redacted_audio),
    Route(("GET",), r"/v1/models", _models),
    Route(("POST",), r"/v1/chat/completions", _chat),
    Route(("POST",), r"/v1/understanding", _understand),
    Route(("POST",), r"/v1/understanding/validate", _validate_understanding),
    Route(("POST",), r"/v1/transcribe(?:/live|/stream)?", _short_audio),
    Route(("GET",), r"/v1/warm", _warm),
]


def _checked_query(method: str, url: str) -> dict[str, Any]:
    """The typed query, or the 400 that names the parameter the spec does not allow."""
    try:
        return spec.validate_query(method, url)
    except spec.UnknownQueryParameter as unknown:
        known = ", ".join(unknown.known) or "no parameters"
        raise EmulatorError(400, text("unknown_query", name=unknown.name, path=unknown.path, known=known)) from None
    except spec.InvalidQueryValue as invalid:
        raise EmulatorError(
            400, text("invalid_query", name=invalid.name, value=invalid.value, detail=invalid.detail)
        ) from None


def dispatch(
    emulator: Emulator,
    method: str,
    url: str,
    path: str,
    body: bytes,
    region: str,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """Answer one (authorised) request from the table: its route's handler, or a 404 or 405."""
    matching = [(route, found) for route in ROUTES if (found := route.match(path))]
    if not matching:
        raise EmulatorError(404, text("unknown_path"))
    chosen = next(((route, found) for route, found in matching if method in route.methods), None)
    if chosen is None:
        allowed = ", ".join(dict.fromkeys(m for route, _ in matching for m in route.methods))
        raise EmulatorError(
            405,
            text("method_not_allowed", method=method, path=path, allowed=allowed),
            headers={"allow": allowed},
        )
    route, found = chosen
    query = sync_dictation.check_query(url) if sync_dictation.api_of(url) else _checked_query(method, url)
    request = Request(method, url, path, found.groupdict(), query, body, region, emulator, headers or {})
    return route.handler(request)
