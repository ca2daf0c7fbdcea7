"""Faults on purpose: a client of our own against the emulator, one test per fault kind, asserting
what the client sees; the plan's counting (Nth request, seeded fraction) and its JSON form."""

import json
from pathlib import Path

import pytest
import requests

from cookbook_utils import config
from tests.emulator.support import checked_emulator, point_sdk
from tools import spec
from tools.emulator.faults import Fault, FaultPlan

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-faults-test-key"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter
BODY = {"audio_url": "https://example.com/media/support-call.mp3", "speech_models": MODELS}


@pytest.fixture
def emulator():
    with checked_emulator(KEY) as running:
        yield running


def _post(emulator, path, **kwargs):
    kwargs.setdefault("timeout", 10)
    return requests.post(f"{emulator.base_url}{path}", headers={"authorization": KEY}, **kwargs)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("500", "Server error, developers have been alerted."),
        ("502", "Bad Gateway"),
        ("503", "Service Unavailable"),
        ("429", "Too Many Requests"),
    ],
)
def test_status_faults_answer_the_nth_request_only(emulator, kind, message):
    emulator.faults = FaultPlan([Fault(kind, method="POST", path="/v2/transcript", nth=[2], retry_after=3)])
    answers = [_post(emulator, "/v2/transcript", json=BODY) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, int(kind), 200]
    assert answers[1].json() == {"error": message}
    assert (answers[1].headers.get("retry-after") == "3") == (kind == "429")
    if kind in {"500", "429"}:  # the statuses whose body the spec defines
        spec.validate_response("POST", "https://api.assemblyai.com/v2/transcript", int(kind), answers[1].json())
    assert emulator.faults.fired == [(kind, "POST", "/v2/transcript")]


def test_a_gateway_fault_uses_the_gateway_error_shape(emulator):
    emulator.faults = FaultPlan([Fault("429", path="/v1/*")])
    answer = _post(emulator, "/v1/chat/completions", json={"model": "x", "messages": []})
    assert answer.status_code == 429
    body = answer.json()
    assert {k: body[k] for k in ("message", "code")} == {"message": "too many requests for this action", "code": 429}
    assert set(body) == {"message", "code", "request_id"} and answer.headers["retry-after"]


def test_a_reset_connection(emulator):
    emulator.faults = FaultPlan([Fault("reset", method="GET", path="/v2/transcript/*", nth=[1])])
    created = _post(emulator, "/v2/transcript", json=BODY).json()
    url = f"{emulator.base_url}/v2/transcript/{created['id']}"
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers={"authorization": KEY}, timeout=10)
    assert requests.get(url, headers={"authorization": KEY}, timeout=10).json()["status"] == "completed"


def test_a_response_slower_than_the_clients_timeout(emulator):
    emulator.faults = FaultPlan([Fault("slow", method="GET", path="/v2/transcript", delay=2.0, nth=[1])])
    with pytest.raises(requests.Timeout):
        requests.get(f"{emulator.base_url}/v2/transcript", headers={"authorization": KEY}, timeout=0.3)
    # The emulator serves others meanwhile, and the next call is answered at once.
    assert requests.get(f"{emulator.base_url}/v2/transcript", headers={"authorization": KEY}, timeout=5).ok


def test_an_upload_cut_off_mid_body(emulator):
    emulator.faults = FaultPlan([Fault("cut_upload", method="POST", path="/v2/upload", nth=[1], cut_after=4096)])
    audio = (ROOT / "data" / "audio" / "support-call.mp3").read_bytes()
    with pytest.raises(requests.ConnectionError):
        _post(emulator, "/v2/upload", data=audio)
    retried = _post(emulator, "/v2/upload", data=audio)
    assert retried.status_code == 200 and retried.json()["upload_url"].startswith("https://cdn.assemblyai.com/")


def test_a_seeded_fraction_fails_the_same_requests_every_run():
    def run():
        plan = FaultPlan([Fault("503", fraction=0.3, seed=7)])
        return [plan.pick("GET", "/v2/transcript") is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 <= sum(first) <= 90  # about 30 % of 200


def test_faults_only_match_their_method_and_path():
    plan = FaultPlan([Fault("500", method="POST", path="/v2/upload")])
    assert plan.pick("GET", "/v2/upload") is None
    assert plan.pick("POST", "/v2/transcript") is None
    assert plan.pick("POST", "/v2/upload").status == 500


def test_a_plan_from_json_and_from_a_recordings_environment(monkeypatch, tmp_path):
    text = json.dumps([{"kind": "429", "method": "POST", "path": "/v2/transcript", "nth": [1], "retry_after": 2}])
    monkeypatch.setenv("COOKBOOK_EMULATOR_FAULTS", text)
    plan = FaultPlan.from_env()
    assert plan.faults == [Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=2)]
    monkeypatch.delenv("COOKBOOK_EMULATOR_FAULTS")
    (tmp_path / "faults").mkdir()
    (tmp_path / "faults" / "retries.json").write_text(json.dumps({"faults": [{"kind": "reset"}]}))
    assert FaultPlan.from_env("retries", tmp_path).faults[0].kind == "reset"
    assert FaultPlan.from_env("other", tmp_path) is None


@pytest.mark.parametrize("item", [{"kind": "418"}, {"kind": "500", "fraction": 2}, {"kind": "500", "nth": [0]}])
def test_a_bad_plan_is_refused_with_its_reason(item):
    with pytest.raises(ValueError):
        Fault(**item)


def test_the_sdk_sees_a_fault_as_the_api_would_show_it(emulator, monkeypatch):
    """A retry recipe's view: the SDK raises on the 503 and succeeds when called again."""
    import assemblyai as aai

    point_sdk(monkeypatch, emulator, KEY)
    emulator.faults = FaultPlan([Fault("503", method="POST", path="/v2/transcript", nth=[1])])
    transcriber = aai.Transcriber(config=aai.TranscriptionConfig(speech_models=MODELS))
    with pytest.raises(aai.types.TranscriptError):
        transcriber.transcribe(BODY["audio_url"])
    assert transcriber.transcribe(BODY["audio_url"]).status == aai.TranscriptStatus.completed


@pytest.mark.parametrize(
    ("text", "words"),
    [("not json", "COOKBOOK_EMULATOR_FAULTS: not a valid fault plan"), ('[{"kind": "500", "every": 2}]', "every")],
)
def test_a_bad_plan_in_the_environment_says_what_is_wrong(monkeypatch, text, words):
    monkeypatch.setenv("COOKBOOK_EMULATOR_FAULTS", text)
    with pytest.raises(ValueError, match=words):
        FaultPlan.from_env()


def test_a_recorded_fault_replays_for_a_retry_loop(tmp_path, emulator):
    """A retry recipe recorded against the emulator: the 429 is stored like any answer, and replay
    gives the loop the same 429 and then the same success."""
    from cookbook_utils.recording import Recording, Scrubber

    def submit_with_retries(base_url):
        statuses = []
        for _ in range(3):
            answer = requests.post(f"{base_url}/v2/transcript", json=BODY, headers={"authorization": KEY}, timeout=10)
            statuses.append(answer.status_code)
            if answer.status_code != 429:
                return statuses, answer.json()
        return statuses, None

    emulator.faults = FaultPlan([Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=0)])
    cassette = tmp_path / "retries.yaml"
    stand_in = emulator.base_url.removeprefix("http://")
    recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")
    try:
        recorded = submit_with_retries(emulator.base_url)
    finally:
        recording.close()
    assert recorded[0] == [429, 200]
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        replayed = submit_with_retries("https://api.assemblyai.com")
    finally:
        replay.close()
    assert replayed == recorded


def test_a_transcript_that_ends_in_the_servers_error(emulator):
    """ "transcript_error": the submission is answered as usual, and that transcript (only) then ends
    with status error and the server's text, as the SDK reads it; the next one completes."""
    import assemblyai as aai

    emulator.faults = FaultPlan([Fault("transcript_error", method="POST", path="/v2/transcript", nth=[1])])
    first, second = (_post(emulator, "/v2/transcript", json=BODY) for _ in range(2))
    assert first.status_code == second.status_code == 200 and first.json()["status"] == "queued"
    headers = {"authorization": KEY}
    failed = requests.get(f"{emulator.base_url}/v2/transcript/{first.json()['id']}", headers=headers, timeout=10)
    done = requests.get(f"{emulator.base_url}/v2/transcript/{second.json()['id']}", headers=headers, timeout=10)
    assert failed.json()["status"] == "error"
    assert failed.json()["error"] == "Server error, developers have been alerted."
    assert failed.json()["text"] is None and done.json()["status"] == "completed"
    assert aai.types.TranscriptResponse.model_validate(failed.json()).status == aai.TranscriptStatus.error
    assert emulator.faults.fired == [("transcript_error", "POST", "/v2/transcript")]


def test_a_transcript_error_fault_leaves_other_requests_alone(emulator):
    emulator.faults = FaultPlan([Fault("transcript_error")])
    assert requests.get(f"{emulator.base_url}/v2/transcript", headers={"authorization": KEY}, timeout=10).ok
    assert FaultPlan.from_json('[{"kind": "transcript_error", "nth": [2]}]').faults[0].kind == "transcript_error"
