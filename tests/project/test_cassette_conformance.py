"""Every recorded request and response validates against AssemblyAI's official specifications; a request
that does not (sent wrong on purpose, by a recipe about errors) must have been refused with a 4xx."""

import json
from pathlib import Path

import pytest

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = sorted((ROOT / "data" / "cassettes").glob("*.yaml"))

spec = pytest.importorskip("tools.spec")
from tools.emulator import sync_dictation  # noqa: E402  (after the skip: it needs the specs too)

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


def _check_tts(where, request, response):
    """A ``/v1/speech`` body is the SDK's ``TTSConfig`` plus ``text`` and ``stream`` (or was refused with a
    4xx); a 200 carries audio, any other status the API's error envelope (platform-2026-12.md section 7)."""
    import assemblyai as aai

    status = response["status"]["code"]
    body = _json_or_text(request.get("body"))
    if request["uri"].split("?")[0].endswith("/v1/speech") and isinstance(body, dict):
        options = {k: v for k, v in body.items() if k not in ("text", "stream")}
        try:
            aai.TTSConfig(**options)
            fits = isinstance(body.get("text"), str) and isinstance(body.get("stream", True), bool)
        except ValueError:
            fits = False
        assert fits or 400 <= status < 500, f"{where}: a request outside the SDK's TTSConfig was not refused"
    headers = {name.lower(): values for name, values in response["headers"].items()}
    content_type = (headers.get("content-type") or [""])[0]
    if status == 200:
        assert content_type.startswith(("audio/", "text/event-stream")), f"{where}: a 200 without audio"
        return
    payload = _json_or_text(response["body"].get("string"))
    fields = {"code", "message", "param", "request_id", "retryable"}
    assert isinstance(payload, dict) and (fields <= set(payload) or "error" in payload), (
        f"{where}: a {status} without the API's error envelope"
    )


def _interactions(path):
    for number, interaction in enumerate(load_yaml(path.read_text())["interactions"], start=1):
        yield number, interaction["request"], interaction["response"]


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_recorded_interactions_follow_the_spec(cassette):
    checked = 0
    for number, request, response in _interactions(cassette):
        where = f"{cassette.name} interaction {number}: {request['method']} {request['uri']}"
        if sync_dictation.api_of(request["uri"]):  # no published spec: the SDK's own models judge
            payload = _json_or_text(response["body"].get("string"))
            try:
                sync_dictation.validate_response(request["uri"], response["status"]["code"], payload)
            except spec.SpecViolation as error:
                raise AssertionError(f"{where}: {error}") from error
            checked += 1
            continue
        if "://tts." in request["uri"]:  # text to speech: no published spec here; the SDK 1.8.2 models judge
            _check_tts(where, request, response)
            checked += 1
            continue
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


#: Recipes about a model other than the cookbook's first choice: their requests may name another model
#: first (or none, to show the account default). Every other recording asks for ``SPEECH_MODELS[0]`` first.
ABOUT_ANOTHER_MODEL = {
    "model-migration": "compares Universal-3.5 Pro with assemblyai-stt-3-7 and leaves the list out once",
    "common-errors": "sends a retired and an unknown model on purpose",
    "chinese-script-conversion": "shows what a list without a fallback model does with Chinese audio",
    "ald-routing": "routes each language to the model the docs list for it",
}


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_transcript_requests_name_the_cookbooks_first_model_first(cassette):
    from cookbook_utils.config import SPEECH_MODELS

    if cassette.stem in ABOUT_ANOTHER_MODEL:
        pytest.skip(f"{cassette.stem} {ABOUT_ANOTHER_MODEL[cassette.stem]}")
    for number, request, _ in _interactions(cassette):
        body = _json_or_text(request.get("body"))
        if request["method"] != "POST" or not request["uri"].endswith("/v2/transcript") or not isinstance(body, dict):
            continue
        models = body.get("speech_models") or []
        assert models[:1] == SPEECH_MODELS[:1], (
            f"{cassette.name} interaction {number} asks for {models or 'the account default'}; "
            f"re-record it with SPEECH_MODELS = {SPEECH_MODELS} (make record-emulator NOTEBOOK={cassette.stem})"
        )
