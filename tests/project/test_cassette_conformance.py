"""Every recorded request and response validates against AssemblyAI's official specifications; a request
that does not (sent wrong on purpose, by a recipe about errors) must have been refused with a 4xx."""

import json
from pathlib import Path

import pytest

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = sorted((ROOT / "data" / "cassettes").glob("*.yaml"))

spec = pytest.importorskip("tools.spec")
from tools.emulator import agents, redacted_audio, sync_dictation, tts  # noqa: E402  (after the skip: it needs the specs too)

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
        if sync_dictation.api_of(request["uri"]):  # no published spec: the SDK's own models judge
            payload = _json_or_text(response["body"].get("string"))
            try:
                sync_dictation.validate_response(request["uri"], response["status"]["code"], payload)
            except spec.SpecViolation as error:
                raise AssertionError(f"{where}: {error}") from error
            checked += 1
            continue
        if agents.is_token_request(request["uri"]):  # the Voice Agent's token: its documented shape judges
            payload = _json_or_text(response["body"].get("string"))
            try:
                agents.validate_token_interaction(request["uri"], response["status"]["code"], payload)
            except spec.SpecViolation as error:
                raise AssertionError(f"{where}: {error}") from error
            checked += 1
            continue
        if request["uri"].startswith(f"https://{redacted_audio.HOST}{redacted_audio.PREFIX}"):
            # a redacted_audio_url (S3, no spec): a GET answered with the audio file, or refused
            headers = {name.lower(): values[0] for name, values in response["headers"].items()}
            code = response["status"]["code"]
            assert request["method"] == "GET", f"{where}: only GET reads a redacted_audio_url"
            ok = code == 200 and headers.get("content-type") in redacted_audio.CONTENT_TYPES.values()
            assert ok or code >= 400, f"{where}: neither an audio file nor a refusal"
            checked += 1
            continue
        body = _json_or_text(request.get("body"))
        if tts.is_tts(request["uri"]):  # no published spec either: tts.validate_interaction judges
            headers = {name.lower(): values[0] for name, values in response["headers"].items()}
            content_type = headers.get("content-type", "")
            payload = _json_or_text(response["body"].get("string")) if not content_type.startswith("audio/") else None
            try:
                status = response["status"]["code"]
                tts.validate_interaction(request["uri"], body, status, payload, content_type, headers)
            except spec.SpecViolation as error:
                raise AssertionError(f"{where}: {error}") from error
            checked += 1
            continue
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


def test_every_body_beside_the_recordings_is_one_a_recording_names():
    """Audio kept beside the cassettes (``data/cassettes/bodies``): each file named by a recording and
    present, none left over from an earlier recording."""
    named = set()
    for cassette in CASSETTES:
        for _, _, response in _interactions(cassette):
            if "file" in response["body"]:
                named.add(response["body"]["file"])
                assert (cassette.parent / response["body"]["file"]).is_file(), (cassette.name, response["body"])
    kept = {f"bodies/{p.name}" for p in (ROOT / "data" / "cassettes" / "bodies").glob("*")}
    assert kept == named, f"left over: {sorted(kept - named)}; remove them (or re-record what names them)"
