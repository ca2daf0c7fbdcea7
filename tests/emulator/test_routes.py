"""The table of routes (``tools/emulator/routes.py``): an unknown path is a 404, a method the path
lacks a 405 naming the ones it has, each query checked by name against the spec, and every route
answered by its own handler."""

import re

import pytest

from tests.emulator.support import call, submit
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("status=done", "status"),
        ("before_id=not-a-uuid", "before_id"),
        ("created_on=yesterday", "created_on"),
        ("throttled_only=maybe", "throttled_only"),
        ("limit=5&limit=6", "limit"),
        ("page=2", "page"),
    ],
)
def test_bad_list_queries_are_refused_by_name(emulator, query, named):
    response = call(emulator, "GET", f"/v2/transcript?{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_bad_caption_and_search_queries(emulator):
    created = submit(emulator)
    call(emulator, "GET", f"/v2/transcript/{created['id']}")
    response = call(emulator, "GET", f"/v2/transcript/{created['id']}/srt?chars_per_caption=wide")
    assert response.status_code == 400 and "chars_per_caption" in response.json()["error"]
    response = call(emulator, "GET", f"/v2/transcript/{created['id']}/word-search")
    assert response.status_code == 400 and "words" in response.json()["error"]
    response = call(emulator, "GET", f"/v2/transcript/{created['id']}/vtt?chars_per_caption=20")
    assert response.status_code == 200 and response.text.startswith("WEBVTT")


def test_an_empty_upload_is_refused(emulator):
    response = call(emulator, "POST", "/v2/upload", data=b"")
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v2/transcript", "GET, POST"),
        ("GET", "/v2/upload", "POST"),
        ("POST", "/v2/transcript/abc", "GET, DELETE"),
        ("PATCH", "/v1/chat/completions", "POST"),
    ],
)
def test_a_method_the_path_lacks_gets_405(emulator, method, path, allowed):
    response = call(emulator, method, path)
    assert response.status_code == 405 and response.headers["allow"] == allowed
    body = response.json()
    message = body["message"] if path.startswith("/v1/") else body["error"]  # each host's envelope
    assert method in message and path in message


def test_an_unknown_path_is_404(emulator):
    response = call(emulator, "GET", "/v2/transcripts")
    assert response.status_code == 404 and response.json() == {"error": "Not found"}


def test_every_route_has_a_handler_and_a_pattern_of_its_own():
    from tools.emulator.routes import ROUTES

    assert all(callable(route.handler) and route.methods for route in ROUTES)
    keys = [(method, route.pattern) for route in ROUTES for method in route.methods]
    assert len(keys) == len(set(keys)), "two routes answer the same method and path"


def test_every_route_is_an_operation_of_the_specs():
    """Each route matches an operation of the specs (or GET /v1/models, which they lack); sync
    transcription and dictation have no published spec, and are the next test's."""
    from tools.emulator import sync_dictation
    from tools.emulator.routes import ROUTES

    for route in ROUTES:
        if any(route.match(path) for path in sync_dictation.PATHS):
            continue
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", "x", route.pattern).replace("\\", "")
        host = "llm-gateway.assemblyai.com" if path.startswith("/v1/") else "api.assemblyai.com"
        for method in route.methods:
            spec.find_operation(method, f"https://{host}{path}")  # raises UnknownOperation otherwise


def test_sync_and_dictation_routes_are_the_sdks_endpoints():
    """What SDK 1.8.2's sync and dictation clients request is routed, and nothing else on those paths."""
    from assemblyai.dictation.v1 import api as dictation_api
    from assemblyai.sync.v1 import api as sync_api

    from tools.emulator import sync_dictation
    from tools.emulator.routes import ROUTES

    sdk = {sync_api.ENDPOINT_TRANSCRIBE, sync_api.ENDPOINT_TRANSCRIBE_LIVE, sync_api.ENDPOINT_WARM}
    sdk |= {dictation_api.ENDPOINT_TRANSCRIBE_LIVE, dictation_api.ENDPOINT_WARM}
    assert sdk <= set(sync_dictation.PATHS)
    for path in sync_dictation.PATHS:
        assert [route for route in ROUTES if route.match(path)], path
    assert not any(route.match("/v1/transcribe/other") for route in ROUTES)


def test_adding_a_path_needs_only_the_table(emulator, monkeypatch):
    from tools.emulator import routes

    def hello(request):
        return 200, {"hello": request.params["name"], "region": request.region}, "application/json"

    table = [*routes.ROUTES, routes.Route(("GET",), r"/v2/hello/(?P<name>[^/]+)", hello)]
    monkeypatch.setattr(routes, "ROUTES", table)
    monkeypatch.setattr(spec, "NOT_IN_SPEC", {*spec.NOT_IN_SPEC, ("GET", "api", "/v2/hello/world")})
    response = call(emulator, "GET", "/v2/hello/world")
    assert response.status_code == 200 and response.json() == {"hello": "world", "region": "us"}
    refused = call(emulator, "POST", "/v2/hello/world")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"


def test_redacted_audio_is_refused_with_a_reason_not_a_404(emulator):
    created = submit(emulator)
    response = call(emulator, "GET", f"/v2/transcript/{created['id']}/redacted-audio")
    assert response.status_code == 400 and "redact_pii_audio" in response.json()["error"]
    missing = call(emulator, "GET", "/v2/transcript/00000000-0000-0000-0000-000000000000/redacted-audio")
    assert missing.status_code == 400 and "transcript id not found" in missing.json()["error"]
