"""The spec checker itself: it must accept what the spec allows and reject what it does not."""

import pytest

from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
TRANSCRIPT = "https://api.assemblyai.com/v2/transcript"


def test_merged_all_of_accepts_a_valid_request():
    spec.validate_request(
        "POST", TRANSCRIPT, {"audio_url": "https://x/a.mp3", "speech_models": ["universal-2"], "speaker_labels": True}
    )
    spec.validate_request("POST", TRANSCRIPT, {"audio_url": "https://x/a.mp3"})  # optional since June 2026


@pytest.mark.parametrize(
    "body",
    [
        {"audio_url": "https://x/a.mp3", "speech_models": ["nano"]},  # not in the SpeechModel enum
        {"speech_models": ["universal-2"]},
        {"audio_url": "https://x/a.mp3", "speech_models": ["universal-2"], "not_a_field": 1},
        {"audio_url": "https://x/a.mp3", "speech_models": "universal-2"},
    ],
)
def test_invalid_requests_are_rejected(body):
    with pytest.raises(spec.SpecViolation):
        spec.validate_request("POST", TRANSCRIPT, body)


def test_responses_are_checked_by_status_and_content_type():
    spec.validate_response("POST", "https://api.assemblyai.com/v2/upload", 200, {"upload_url": "https://cdn/x"})
    spec.validate_response("GET", f"{TRANSCRIPT}/abc/srt", 200, "1\n00:00:00,000 --> 00:00:01,000\nHi\n", "text/plain")
    spec.validate_response(
        "GET", f"{TRANSCRIPT}/abc", 400, {"error": "Transcript lookup error, transcript id not found"}
    )
    with pytest.raises(spec.SpecViolation):
        spec.validate_response("POST", "https://api.assemblyai.com/v2/upload", 200, {"url": "https://cdn/x"})
    with pytest.raises(spec.SpecViolation):
        spec.validate_response("GET", f"{TRANSCRIPT}/abc", 200, {"id": "abc"})


def test_operations_are_found_literal_first():
    assert spec.find_operation("GET", f"{TRANSCRIPT}/abc/sentences")[1] == "/v2/transcript/{transcript_id}/sentences"
    assert spec.find_operation("GET", f"{TRANSCRIPT}/abc/vtt")[1] == "/v2/transcript/{transcript_id}/{subtitle_format}"
    assert (
        spec.find_operation("POST", "https://llm-gateway.assemblyai.com/v1/chat/completions")[1] == "/chat/completions"
    )
    assert spec.find_operation("GET", "https://llm-gateway.assemblyai.com/v1/models") is None
    with pytest.raises(spec.UnknownOperation):
        spec.find_operation("POST", "https://api.assemblyai.com/lemur/v3/generate/task")


def test_the_overlay_holds_only_what_the_published_spec_lacks():
    """Each patch of tools/spec_overlay.yml has a source and changes the spec; one that repeats it is refused."""
    from cookbook_utils.yamlio import load_yaml

    raw = load_yaml((spec.REFERENCE / spec.SPEC_FILES["api"]).read_text())
    patches = spec.overlay()
    assert patches and all(p["source"].strip() for p in patches)
    spec.apply_overlay(raw, patches)  # every pointer found, nothing repeated
    assert "assemblyai-stt-3-7" in spec.load("api")["components"]["schemas"]["SpeechModel"]["enum"]
    enum = "/components/schemas/SpeechModel/enum"
    with pytest.raises(KeyError, match="already holds"):
        spec.apply_overlay(raw, [{"pointer": enum, "append": "universal-2", "source": "x"}])
    with pytest.raises(KeyError, match="already says"):
        spec.apply_overlay(raw, [{"pointer": "/components/schemas/SpeechModel/type", "set": "string", "source": "x"}])
    with pytest.raises(KeyError, match="not in the spec"):
        spec.apply_overlay(raw, [{"pointer": "/components/schemas/SpeechModel/nothing", "set": 1, "source": "x"}])


def test_the_gateway_overlay_holds_only_what_the_march_spec_lacks():
    """Each patch of tools/spec_gateway_overlay.yml has a source and changes the March gateway spec."""
    from cookbook_utils.yamlio import load_yaml

    raw = load_yaml((spec.REFERENCE / spec.SPEC_FILES["gateway"]).read_text())
    patches = spec.overlay("gateway")
    assert patches and all(p["source"].strip() for p in patches)
    spec.apply_overlay(raw, patches)
    gateway = spec.load("gateway")
    assert "/understanding/validate" in gateway["paths"]
    assert "oneOf" in gateway["components"]["schemas"]["ErrorResponse"]
    with pytest.raises(KeyError, match="already in the spec"):
        spec.apply_overlay(raw, [{"pointer": "/paths/~1understanding", "add": {}, "source": "x"}])
