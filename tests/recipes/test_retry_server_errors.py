"""The retry code of the operations recipes, run as the notebook holds it (tools.notebook_code)
against the emulator with fault plans: transient failures are retried to completion, refused
requests are not, Retry-After is honoured, a lost answer creates no second transcript, and a
request that keeps failing is raised after the policy's attempts."""

import pytest
import requests
import tenacity

from tools import spec
from tools.emulator.faults import Fault, FaultPlan
from tools.notebook_code import load_cell

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

KEY = "retries-test-key"
AUDIO = "support-call.mp3"


@pytest.fixture
def recipe():
    module = load_cell("retry-server-errors", "def transcribe_with_retries")
    module.POLICY.update(first_wait=0.01, jitter=0.01, max_wait=0.05)  # the same rules, shorter waits
    return module


@pytest.fixture
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as running:
        yield running
        assert running.violations == [], "the emulator sent responses that break the spec"


def _audio():
    from cookbook_utils import paths

    return paths.audio_file(AUDIO)


def _transcripts(emulator) -> list[dict]:
    answer = requests.get(f"{emulator.base_url}/v2/transcript", headers={"authorization": KEY}, timeout=10)
    return answer.json()["transcripts"]


def test_transient_failures_on_every_endpoint_are_retried_to_completion(recipe, emulator):
    emulator.faults = FaultPlan(
        [
            Fault("503", method="POST", path="/v2/upload", nth=[1]),
            Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=1),
            Fault("500", method="POST", path="/v2/transcript", nth=[2]),
            Fault("502", method="GET", path="/v2/transcript/*", nth=[1]),
            Fault("reset", method="GET", path="/v2/transcript/*", nth=[2]),
        ]
    )
    result = recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert result["status"] == "completed" and "Thank you for calling" in result["text"]
    assert [kind for kind, _, _ in emulator.faults.fired] == ["503", "429", "500", "502", "reset"]
    assert len(_transcripts(emulator)) == 1


def test_a_refused_request_is_sent_once(recipe, emulator):
    with pytest.raises(requests.HTTPError) as raised:
        recipe.transcribe_with_retries(_audio(), "a-wrong-key", emulator.base_url, poll_s=0)
    assert raised.value.response.status_code == 401
    assert emulator.requests_seen == [("POST", "/v2/upload")]


def test_a_request_that_keeps_failing_is_raised_after_the_attempts(recipe, emulator):
    emulator.faults = FaultPlan([Fault("500", method="POST", path="/v2/upload")])
    with pytest.raises(requests.HTTPError) as raised:
        recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert raised.value.response.status_code == 500
    assert emulator.requests_seen.count(("POST", "/v2/upload")) == recipe.POLICY["attempts"] == 6


def _state_after(error: BaseException) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(retry_object=tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((type(error), error, None))
    return state


def test_retry_after_is_honoured_and_capped(emulator):
    module = load_cell("retry-server-errors", "def transcribe_with_retries")
    for seconds, expected in [(3, 3.0), (120, module.POLICY["max_wait"])]:
        emulator.faults = FaultPlan([Fault("429", retry_after=seconds)])
        answer = requests.post(f"{emulator.base_url}/v2/upload", headers={"authorization": KEY}, data=b"x", timeout=10)
        assert answer.status_code == 429
        assert module._wait(_state_after(requests.HTTPError(response=answer))) == expected
    backoff = module._wait(_state_after(requests.ConnectionError("reset")))
    assert module.POLICY["first_wait"] <= backoff <= module.POLICY["first_wait"] + module.POLICY["jitter"]


def test_a_lost_submission_answer_creates_no_second_transcript(recipe, emulator):
    # The server creates the transcript but answers after the client gave up waiting.
    recipe.POLICY.update(timeout=0.3, first_wait=1.0, max_wait=1.0)
    emulator.faults = FaultPlan([Fault("slow", method="POST", path="/v2/transcript", nth=[1], delay=0.6)])
    result = recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert result["status"] == "completed"
    assert [kind for kind, _, _ in emulator.faults.fired] == ["slow"]
    assert emulator.requests_seen.count(("POST", "/v2/transcript")) == 1
    assert len(_transcripts(emulator)) == 1


@pytest.fixture
def uploads():
    module = load_cell("retry-upload-errors", "def upload_files")
    module.FIRST_WAIT_S, module.MAX_WAIT_S, module.TIMEOUT_S = 0.01, 0.05, (2, 0.5)
    return module


def _transcribe_upload(emulator, url: str) -> dict:
    """What the emulator makes of an uploaded file: proof the bytes that arrived were whole."""
    recipe = load_cell("retry-server-errors", "def transcribe_with_retries")
    transcript_id = recipe.submit(KEY, url, ["universal-2"], emulator.base_url)
    return recipe._request(KEY, "GET", f"/v2/transcript/{transcript_id}", emulator.base_url, timeout=10)


def test_an_upload_cut_off_reset_or_timed_out_is_sent_again_whole(uploads, emulator):
    emulator.faults = FaultPlan(
        [
            Fault("cut_upload", method="POST", path="/v2/upload", nth=[1]),
            Fault("reset", method="POST", path="/v2/upload", nth=[2]),
            Fault("slow", method="POST", path="/v2/upload", nth=[3], delay=1.0),
        ]
    )
    done, failed = uploads.upload_files([_audio()], KEY, emulator.base_url)
    assert failed == []
    assert [kind for kind, _, _ in emulator.faults.fired] == ["cut_upload", "reset", "slow"]
    result = _transcribe_upload(emulator, done[str(_audio())])
    assert result["status"] == "completed" and "Thank you for calling" in result["text"]


def test_files_that_cannot_be_sent_or_keep_failing_are_reported(uploads, emulator, tmp_path):
    empty, missing = tmp_path / "empty.mp3", tmp_path / "missing.mp3"
    empty.write_bytes(b"")
    emulator.faults = FaultPlan([Fault("503", method="POST", path="/v2/upload", nth=[2, 3, 4, 5])])
    good, bad = _audio(), _audio().with_name("team-meeting.mp3")
    done, failed = uploads.upload_files([good, empty, bad, missing], KEY, emulator.base_url)
    assert list(done) == [str(good)]
    assert [(f["file"], f["stage"]) for f in failed] == [
        (str(empty), "check"),
        (str(bad), "upload"),
        (str(missing), "check"),
    ]
    assert failed[1]["reason"] == "HTTP 503 after retries"
    assert emulator.requests_seen.count(("POST", "/v2/upload")) == 1 + uploads.ATTEMPTS


def _whole_recipe(emulator, audio=None, **settings) -> tuple:
    """Run the whole recipe alone as a reader's script (tools/whole_recipe.py), its audio replaced by
    ``audio`` when given: ``(run, what the notebook shows it printed)``."""
    import nbformat

    from cookbook_utils import paths
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, stored_stdout, whole_recipe_cell

    nb = nbformat.read(paths.notebook_path("retry-server-errors"), as_version=4)
    index, source = whole_recipe_cell(nb)
    if audio is not None:
        assert 'session.audio("support-call.mp3")' in source
        source = source.replace('session.audio("support-call.mp3")', repr(str(audio)))
    run = run_script(as_script(source, real_origins(emulator)), script_env(emulator), timeout_s=180)
    return run, stored_stdout(nb, index)


def test_the_whole_recipe_alone_goes_through_a_5xx_and_a_429_on_every_endpoint(emulator):
    emulator.faults = FaultPlan(
        [
            Fault("503", method="POST", path="/v2/upload", nth=[1]),
            Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=1),
            Fault("500", method="POST", path="/v2/transcript", nth=[2]),
            Fault("502", method="GET", path="/v2/transcript/*", nth=[1]),
        ]
    )
    run, shown = _whole_recipe(emulator)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == shown
    assert [kind for kind, _, _ in emulator.faults.fired] == ["503", "429", "500", "502"]
    assert len(_transcripts(emulator)) == 1


def test_the_whole_recipe_alone_raises_a_transcript_in_error_and_does_not_resubmit_it(emulator, tmp_path):
    """A file that is not audio: the transcript ends in error, an answer about the audio that a retry
    would only get again (and pay for again), so it is raised with the API's message, once."""
    not_audio = tmp_path / "notes.mp3"
    not_audio.write_text("Minutes of the meeting, not a recording of it.\n" * 20)
    run, _ = _whole_recipe(emulator, audio=not_audio)
    assert run.returncode == 1
    assert (
        "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio." in run.stderr
    )
    assert emulator.requests_seen.count(("POST", "/v2/transcript")) == 1


SERVER_ERROR_TEXT = "Server error, developers have been alerted."


def _posts(emulator) -> int:
    return emulator.requests_seen.count(("POST", "/v2/transcript"))


def test_a_transcript_that_failed_on_the_server_is_submitted_once_more(recipe, emulator):
    emulator.faults = FaultPlan([Fault("transcript_error", method="POST", path="/v2/transcript", nth=[1])])
    result = recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert result["status"] == "completed" and "Thank you for calling" in result["text"]
    assert _posts(emulator) == 2
    assert sorted(t["status"] for t in _transcripts(emulator)) == ["completed", "error"]


def test_a_second_server_failure_is_raised_never_a_third_submission(recipe, emulator):
    emulator.faults = FaultPlan([Fault("transcript_error", method="POST", path="/v2/transcript", nth=[1, 2, 3])])
    with pytest.raises(RuntimeError, match="Transcription failed: Server error, developers have been alerted"):
        recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert _posts(emulator) == 1 + recipe.MAX_RESUBMITS == 2


def test_a_lost_answer_on_the_resubmission_is_not_mistaken_for_the_failed_transcript(recipe, emulator):
    """The look-up after a lost answer skips the transcript that failed on the server (same upload
    URL): it finds the new one, so the result is completed and no third transcript is made."""
    recipe.POLICY.update(timeout=0.3, first_wait=1.0, max_wait=1.0)
    emulator.faults = FaultPlan(
        [
            Fault("transcript_error", method="POST", path="/v2/transcript", nth=[1]),
            Fault("slow", method="POST", path="/v2/transcript", nth=[2], delay=0.6),
        ]
    )
    result = recipe.transcribe_with_retries(_audio(), KEY, emulator.base_url, poll_s=0)
    assert result["status"] == "completed"
    assert _posts(emulator) == 2 and len(_transcripts(emulator)) == 2


@pytest.fixture
def sdk_steps(emulator, monkeypatch):
    """The notebook's SDK step (Step 7) and the rule of Step 6, as the notebook defines them."""
    from tests.emulator.support import point_sdk
    from tools.notebook_code import load_definitions

    point_sdk(monkeypatch, emulator, KEY)
    constants = ("RETRY_STATUSES", "MAX_ATTEMPTS", "MAX_SECONDS", "MAX_WAIT_S", "backoff", "attempt_log")
    constants += ("POLL_DEADLINE_S", "SERVER_ERROR", "MAX_RESUBMITS", "sdk_policy", "transcriber")
    constants += ("submit_with_retries", "retry_policy")
    ns = load_definitions("retry-server-errors", ["transcribe_with_sdk", "wait_with_retries"], constants)
    url = requests.post(
        f"{emulator.base_url}/v2/upload", headers={"authorization": KEY}, data=_audio().read_bytes(), timeout=30
    ).json()["upload_url"]
    return ns, url


def test_the_sdk_path_retries_a_5xx_and_submits_a_server_failure_once_more(sdk_steps, emulator):
    ns, url = sdk_steps
    emulator.faults = FaultPlan(
        [
            Fault("500", method="POST", path="/v2/transcript", nth=[1]),
            Fault("transcript_error", method="POST", path="/v2/transcript", nth=[2]),
            Fault("503", method="GET", path="/v2/transcript/*", nth=[1]),
        ]
    )
    transcript, given_up = ns["transcribe_with_sdk"](url)
    assert transcript.status.value == "completed" and given_up == [SERVER_ERROR_TEXT]
    assert _posts(emulator) == 3  # the 500, the transcript that failed on the server, the good one
    assert len(_transcripts(emulator)) == 2


def test_the_sdk_path_gives_up_after_one_resubmission_and_never_resubmits_bad_audio(sdk_steps, emulator):
    ns, url = sdk_steps
    emulator.faults = FaultPlan([Fault("transcript_error", method="POST", path="/v2/transcript", nth=[1, 2, 3])])
    transcript, given_up = ns["transcribe_with_sdk"](url)
    assert transcript.status.value == "error" and given_up == [SERVER_ERROR_TEXT] * 2
    assert _posts(emulator) == 1 + ns["MAX_RESUBMITS"] == 2
    emulator.faults = None
    not_audio = requests.post(
        f"{emulator.base_url}/v2/upload", headers={"authorization": KEY}, data=b"not audio\n" * 50, timeout=30
    ).json()["upload_url"]
    transcript, given_up = ns["transcribe_with_sdk"](not_audio)
    assert transcript.status.value == "error" and given_up == []
    assert _posts(emulator) == 3
