"""The common-errors recipe's own code (run from the notebook, tools/notebook_code.py): its advice
is chosen by phrases of the API's real error texts (../shared/docs/platform-2026-12.md sections 1
and 13, and the docs pages they name), `observe` tells a refusal from a transcript in error, and
`transcribe_or_explain` says what to do and whether to retry, against fakes and the emulator."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import assemblyai as aai
import pytest

from cookbook_utils import config, paths
from tools import spec
from tools.notebook_code import load_cell, load_definitions

SLUG = "common-errors"
#: Real texts, each from a real response or the docs page named beside it.
RETIRED = (
    'The "universal-3-pro" speech model(s) have been deprecated. Use speech_models: '
    '["universal-3-5-pro", "universal-2"] instead.'
)  # section 1, [S18]
UNKNOWN_MODEL = '"speech_models" must be a non-empty list containing one or more of: "universal-3-pro", "universal-2"'
BAD_KEY = "Authentication error, API token missing/invalid"  # section 13, "What already matches"
NOT_AUDIO = "Transcoding failed. File does not appear to contain audio. File type is text/plain (ASCII text)."
DOWNLOAD = (
    "Download error, unable to download https://example.com/recordings/missing-call.mp3. Please make "
    "sure the file exists and is accessible from the internet."
)  # the docs' common errors page
TOO_SHORT = "Audio duration is too short."  # the docs' FAQ on the minimum audio duration
LOW_CONFIDENCE = (  # section 13, "What already matches"
    "detected language 'fr', confidence 0.6907, is below the requested confidence threshold value of '0.9'"
)
REAL_TEXTS = [RETIRED, UNKNOWN_MODEL, BAD_KEY, NOT_AUDIO, DOWNLOAD, TOO_SHORT, LOW_CONFIDENCE]


@pytest.fixture(scope="module")
def recipe():
    return load_cell(SLUG, "def transcribe_or_explain")


@pytest.fixture(scope="module")
def steps():
    return load_definitions(SLUG, ["observe"], ("rows", "fixes"))


def test_every_phrase_it_matches_is_in_a_real_text(recipe):
    phrases = [*recipe.REQUEST_ADVICE, *recipe.AUDIO_ADVICE]
    assert phrases and all(any(p in real for real in REAL_TEXTS) for p in phrases), [
        p for p in phrases if not any(p in real for real in REAL_TEXTS)
    ]


@pytest.mark.parametrize(
    ("message", "table", "phrase"),
    [
        (RETIRED, "REQUEST_ADVICE", "have been deprecated"),
        (UNKNOWN_MODEL, "REQUEST_ADVICE", "must be a non-empty list"),
        (BAD_KEY, "REQUEST_ADVICE", "API token missing/invalid"),
        (NOT_AUDIO, "AUDIO_ADVICE", "does not appear to contain audio"),
        (
            NOT_AUDIO.replace("text/plain (ASCII text)", "application/pdf (PDF document)"),
            "AUDIO_ADVICE",
            "does not appear to contain audio",
        ),
        (DOWNLOAD, "AUDIO_ADVICE", "Download error"),
        (TOO_SHORT, "AUDIO_ADVICE", "too short"),
        (LOW_CONFIDENCE, "AUDIO_ADVICE", "below the requested confidence threshold"),
    ],
)
def test_the_advice_for_each_real_text(recipe, message, table, phrase):
    advice = getattr(recipe, table)
    assert recipe.advise(message, advice) == advice[phrase]


def test_a_text_it_does_not_know_is_its_own_advice(recipe):
    text = "The emulator's wording of a conflict"
    assert recipe.advise(text, recipe.REQUEST_ADVICE) == text


def test_it_uses_the_speech_models_of_the_config_by_default(recipe, monkeypatch):
    assert inspect.signature(recipe.transcribe_or_explain).parameters["speech_models"].default == config.SPEECH_MODELS
    assert recipe.SPEECH_MODELS == config.SPEECH_MODELS
    sent = []

    class Transcriber:
        def __init__(self, config):
            sent.append(config.speech_models)

        def transcribe(self, audio):
            return SimpleNamespace(status=aai.TranscriptStatus.completed, error=None, text="hello")

    monkeypatch.setattr(aai, "Transcriber", Transcriber)
    assert recipe.transcribe_or_explain("clip.mp3").text == "hello"
    assert sent == [config.SPEECH_MODELS]


def _failing(monkeypatch, *, raises: Exception | None = None, error: str | None = None):
    monkeypatch.setattr(aai.settings, "api_key", "fake-key")  # the recipe reads the default client

    class Transcriber:
        def __init__(self, config):
            pass

        def transcribe(self, audio):
            if raises is not None:
                raise raises
            return SimpleNamespace(status=aai.TranscriptStatus.error, error=error)

    monkeypatch.setattr(aai, "Transcriber", Transcriber)


@pytest.mark.parametrize(
    ("raises", "retry", "says"),
    [
        (aai.types.TranscriptError(f"failed to transcribe url https://x/a.mp3: {RETIRED}", 400), False, "retired"),
        (aai.types.TranscriptError(f"failed to transcribe url https://x/a.mp3: {BAD_KEY}", 401), False, "API key"),
        (aai.types.AssemblyAIError("Too Many Requests", 429), True, "temporary failure (429)"),
        (aai.types.AssemblyAIError("Server error, developers have been alerted.", 500), True, "(500)"),
    ],
)
def test_a_refusal_says_whether_to_retry(recipe, monkeypatch, raises, retry, says):
    _failing(monkeypatch, raises=raises)
    with pytest.raises(recipe.TranscriptionFailed) as failed:
        recipe.transcribe_or_explain("clip.mp3")
    assert failed.value.retry is retry and says in str(failed.value)
    assert str(failed.value).endswith("[retry later]" if retry else "[do not retry]")


def test_a_transcript_in_error_is_never_returned(recipe, monkeypatch):
    _failing(monkeypatch, error=NOT_AUDIO)
    with pytest.raises(recipe.TranscriptionFailed) as failed:
        recipe.transcribe_or_explain("notes.txt")
    assert not failed.value.retry
    assert (
        str(failed.value) == f"audio problem: {recipe.AUDIO_ADVICE['does not appear to contain audio']} [do not retry]"
    )


def test_observe_strips_the_sdks_prefix_and_keeps_the_apis_text(steps):
    steps["rows"].clear()

    def refused():
        raise aai.types.TranscriptError(
            f"failed to transcribe url https://cdn.assemblyai.com/upload/ab: {RETIRED}", 400
        )

    steps["observe"]("retired speech model", refused)
    assert steps["rows"][-1] == {
        "error": "retired speech model",
        "status": 400,
        "message": RETIRED,
        "seen as": "TranscriptError raised",
    }


def test_observe_reads_the_status_of_a_transcript(steps):
    steps["rows"].clear()
    steps["observe"]("not an audio file", lambda: SimpleNamespace(status=aai.TranscriptStatus.error, error=NOT_AUDIO))
    steps["observe"]("fine", lambda: SimpleNamespace(status=aai.TranscriptStatus.completed, error=None))
    assert [(r["seen as"], r["message"]) for r in steps["rows"]] == [
        ("transcript.status: error", NOT_AUDIO),
        ("transcript.status: completed", "(no error)"),
    ]


def test_the_table_has_a_fix_for_every_case_the_notebook_shows(steps):
    import nbformat

    nb = nbformat.read(paths.notebook_path(SLUG), as_version=4)
    shown = {
        line.split(":", 1)[0]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
        for line in output.text.splitlines()
        if line and not line.startswith(" ") and ": " in line and line.split(":", 1)[0] in steps["fixes"]
    }
    assert shown == set(steps["fixes"]), set(steps["fixes"]) - shown
    assert all(len(fix) > 10 for fix in steps["fixes"].values())


@pytest.fixture
def emulator(monkeypatch):
    from tools.emulator import Emulator

    with Emulator(api_key="common-errors-test-key") as running:
        monkeypatch.setattr(aai.settings, "api_key", "common-errors-test-key")
        monkeypatch.setattr(aai.settings, "base_url", running.base_url)
        monkeypatch.setattr(aai.settings, "polling_interval", 0.05)
        yield running
        assert running.violations == [], "the emulator sent responses that break the spec"


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
@pytest.mark.parametrize(
    ("audio", "models", "phrase"),
    [
        (
            b"Notes from the support call with Tom\n\nRefund promised within five days.\n",
            None,
            "does not appear to contain audio",
        ),
        ("https://example.com/recordings/missing-call.mp3", None, "Download error"),
        ("support-call.mp3", ["universal-3-pro"], "have been deprecated"),
    ],
)
def test_against_the_emulator(recipe, emulator, audio, models, phrase):
    audio = str(paths.audio_file(audio)) if audio == "support-call.mp3" else audio
    advice = {**recipe.REQUEST_ADVICE, **recipe.AUDIO_ADVICE}[phrase]
    with pytest.raises(recipe.TranscriptionFailed, match=r"do not retry") as failed:
        recipe.transcribe_or_explain(audio, models or recipe.SPEECH_MODELS)
    assert advice in str(failed.value)


# Step 5, the LLM Gateway on a free-credit account: the real answers of 2026-09-24
# (../shared/real-responses/probes/live-2026-09-24-smoke.json), as the SDK raises them.
NO_ACCESS = "Your account does not have access to this LLM Gateway model"


def _gateway_error(status: int, message: str, errors: list[str] | None = None) -> aai.types.LLMGatewayError:
    return aai.types.LLMGatewayError(message, status, "2b7e1c7a-0000-4000-8000-000000000000", errors)


@pytest.fixture
def backoff():
    return load_definitions(SLUG, ["with_backoff", "observe"], ("rows", "retry_after"))


def test_observe_shows_the_gateways_causes_after_its_message(steps, capsys):
    steps["rows"].clear()

    def refused():
        raise _gateway_error(400, "invalid request body", [NO_ACCESS])

    steps["observe"]("LLM model not available", refused)
    assert steps["rows"][-1]["message"] == f"invalid request body; {NO_ACCESS}"
    assert steps["rows"][-1]["seen as"] == "LLMGatewayError raised"
    steps["observe"]("a reply", lambda: SimpleNamespace(choices=[]))  # a gateway reply has no status
    assert steps["rows"][-1]["seen as"] == "answered" and steps["rows"][-1]["status"] == 200


def test_with_backoff_waits_the_retry_after_seconds_then_sends_again(backoff, monkeypatch):
    import time

    slept, calls = [], []
    monkeypatch.setattr(time, "sleep", slept.append)

    def action():
        calls.append(1)
        if len(calls) < 3:
            backoff["retry_after"]["seconds"] = 7.0  # what the httpx hook notes from the header
            raise _gateway_error(429, "too many requests for this action")
        return "identified"

    assert backoff["with_backoff"](action, max_wait=10) == "identified"
    assert slept == [7.0, 7.0] and len(calls) == 3


@pytest.mark.parametrize(
    ("error", "retry_after", "max_wait"),
    [
        (_gateway_error(400, "invalid request body", [NO_ACCESS]), None, 90),  # no retry: change the model
        (_gateway_error(429, "too many requests for this action"), 56.0, 5),  # longer than the caller allows
        (_gateway_error(429, "too many requests for this action"), None, 5),  # no header: a minute
    ],
)
def test_with_backoff_gives_up_at_once_when_waiting_cannot_help(backoff, monkeypatch, error, retry_after, max_wait):
    import time

    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail(f"slept {s} s"))

    def action():
        if retry_after is not None:
            backoff["retry_after"]["seconds"] = retry_after
        raise error

    with pytest.raises(aai.types.LLMGatewayError) as raised:
        backoff["with_backoff"](action, max_wait=max_wait)
    assert raised.value is error


def test_the_recording_holds_a_free_credit_accounts_answers():
    """data/accounts.yml records common-errors as a free-credit account: re-recorded as a paid one,
    Step 5 would show no error, and this fails."""
    from tools.emulator.server import recorded_account

    assert recorded_account(SLUG, paths.project_root() / "data") == "free"
    from cookbook_utils.yamlio import load_yaml

    answers = load_yaml(paths.cassette_path(SLUG).read_text(encoding="utf-8"))["interactions"]
    gateway = [a["response"] for a in answers if "://llm-gateway." in a["request"]["uri"]]
    bodies = [str(r["body"]["string"]) for r in gateway]
    assert any(NO_ACCESS in body for body in bodies)
    limited = [r for r in gateway if r["status"]["code"] == 429]
    assert limited and all("too many requests for this action" in str(r["body"]["string"]) for r in limited)
    assert all(r["headers"]["retry-after"] == ["60"] for r in limited)  # kept, so the replay reads it


def test_the_account_of_a_recording_is_the_environments_else_data_accounts_yml(monkeypatch):
    from tools.emulator.server import ENV_ACCOUNT, settings_from_env

    monkeypatch.delenv(ENV_ACCOUNT, raising=False)
    assert settings_from_env(SLUG)["account"] == "free"
    assert settings_from_env("structured-qa")["account"] == "paid"  # not listed
    monkeypatch.setenv(ENV_ACCOUNT, "paid")
    assert settings_from_env(SLUG)["account"] == "paid"


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
def test_the_whole_recipe_alone_says_a_server_error_is_worth_retrying_and_a_refusal_is_not():
    """Run as a reader's script (tools/whole_recipe.py), its first transcription meets a 503: that one
    is told to retry later, the retired model and the URL that cannot be downloaded are told not to."""
    from tools.emulator.faults import Fault, FaultPlan
    from tools.whole_recipe import run_whole_recipe

    plan = FaultPlan([Fault("503", method="POST", path="/v2/transcript", nth=[1])])
    run, shown = run_whole_recipe(SLUG, faults=plan)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [kind for kind, _, _ in plan.fired] == ["503"]
    said = run.stdout.splitlines()
    assert said[0] == "failed: temporary failure (503) [retry later]"
    assert said[1:] == shown.splitlines()[1:]  # the two others as the notebook shows them


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
def test_the_whole_recipe_alone_tells_a_429_when_to_send_again():
    """A 429 with ``Retry-After: 2`` on the first transcription: the SDK's error has no headers, so
    the recipe reads them from the client's last answer and says how long to wait."""
    from tools.emulator.faults import Fault, FaultPlan
    from tools.whole_recipe import run_whole_recipe

    plan = FaultPlan([Fault("429", method="POST", path="/v2/transcript", nth=[1], retry_after=2)])
    run, _ = run_whole_recipe(SLUG, faults=plan)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [kind for kind, _, _ in plan.fired] == ["429"]
    assert run.stdout.splitlines()[0] == "failed: temporary failure (429) [retry later in 2 s]"
