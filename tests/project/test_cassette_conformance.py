"""Every recorded request and response validates against AssemblyAI's official specifications; a request
that does not (sent wrong on purpose, by a recipe about errors) must have been refused with a 4xx."""

import json
from pathlib import Path

import pytest

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = sorted((ROOT / "data" / "cassettes").glob("*.yaml"))

spec = pytest.importorskip("tools.spec")
pytestmark = pytest.mark.skipif(
    not spec.spec_available(), reason="../shared/reference/ (the official specs) is not beside the project"
)


def _json_or_text(body):
    if body is None:
        return None
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _interactions(path):
    for number, interaction in enumerate(load_yaml(path.read_text())["interactions"], start=1):
        yield number, interaction["request"], interaction["response"]


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_recorded_interactions_follow_the_spec(cassette):
    checked = 0
    for number, request, response in _interactions(cassette):
        where = f"{cassette.name} interaction {number}: {request['method']} {request['uri']}"
        body = _json_or_text(request.get("body"))
        if isinstance(body, dict):
            try:
                spec.validate_request(request["method"], request["uri"], body)
            except spec.SpecViolation as error:
                # A recipe about errors sends a wrong request on purpose; the API must refuse it.
                if not 400 <= response["status"]["code"] < 500:
                    raise AssertionError(f"{where}: a request outside the spec was not refused: {error}") from error
        headers = {name.lower(): values for name, values in response["headers"].items()}
        content_type = (headers.get("content-type") or [""])[0]
        payload = _json_or_text(response["body"].get("string"))
        try:
            spec.validate_response(request["method"], request["uri"], response["status"]["code"], payload, content_type)
        except spec.SpecViolation as error:
            raise AssertionError(f"{where}: {error}") from error
        checked += 1
    streams = cassette.parents[1] / "streams" / f"{cassette.stem}.json"
    assert checked or streams.is_file(), f"{cassette.name} holds no interactions (and no streaming recording)"
