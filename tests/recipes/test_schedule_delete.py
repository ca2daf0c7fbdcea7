"""schedule-delete's whole recipe, run alone as a reader's script (tools/whole_recipe.py) against the
emulator, meets the failures its steps handle: a deletion that fell due while the service was down
runs as soon as a new process starts the scheduler again (Step 5, ``misfire_grace_time=None``), and a
deletion the API refuses (an id that does not exist: Step 2) is reported with the API's message.

Each test keeps the cell's code as the reader pastes it and puts its own run block in place of the
cell's ``if __name__ == "__main__":`` demonstration: two processes, as a deploy between them would."""

from __future__ import annotations

import nbformat
import pytest
import requests

from cookbook_utils import paths
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

SLUG = "schedule-delete"
KEY = "schedule-delete-test-key"
RUN_BLOCK = '\nif __name__ == "__main__":'


@pytest.fixture
def emulator():
    from tools.emulator import Emulator

    with Emulator(api_key=KEY, notebook=SLUG) as running:
        yield running
        assert running.violations == [], "the emulator sent responses that break the spec"


def _recipe(emulator) -> str:
    """The whole recipe as a script, without its own run block."""
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    script = as_script(source, real_origins(emulator))
    assert RUN_BLOCK in script
    return script.split(RUN_BLOCK)[0]


#: Start the stored deletions, wait until none is left to start, then stop (shutdown waits for a
#: running job and its listeners).
_RUN_DUE = """
import time
runner = run_deletions({jobs!r})
for _ in range(300):
    if not runner.get_jobs():
        break
    time.sleep(0.1)
runner.shutdown()
"""


def _run(emulator, script: str, tmp_path) -> str:
    run = run_script(script, script_env(emulator), timeout_s=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_a_deletion_due_while_the_service_was_down_runs_when_it_is_back(emulator, tmp_path):
    jobs = f"sqlite:///{tmp_path / 'deletions.sqlite'}"
    audio = str(paths.audio_file("support-call.mp3"))
    first = _recipe(emulator) + (
        f"\nconfig = aai.TranscriptionConfig(speech_models=SPEECH_MODELS)"
        f"\ntranscript = aai.Transcriber(config=config).transcribe({audio!r})"
        f"\nassert transcript.status == aai.TranscriptStatus.completed, transcript.error"
        f"\nschedule_deletion(transcript.id, dt.timedelta(seconds=1), {jobs!r})"
        f"\nprint(transcript.id)\n"
    )
    transcript_id = _run(emulator, first, tmp_path).strip()
    # The first process is gone, and the deletion falls due before the next one starts.
    second = _recipe(emulator) + _RUN_DUE.format(jobs=jobs) + "\nprint('jobs left:', len(runner.get_jobs()))\n"
    assert _run(emulator, second, tmp_path) == "jobs left: 0\n"
    assert ("DELETE", f"/v2/transcript/{transcript_id}") in emulator.requests_seen
    after = requests.get(
        f"{emulator.base_url}/v2/transcript/{transcript_id}", headers={"authorization": KEY}, timeout=10
    ).json()
    assert after["text"] == "Deleted by user."


def test_a_deletion_the_api_refuses_is_reported_with_its_message(emulator, tmp_path):
    jobs = f"sqlite:///{tmp_path / 'deletions.sqlite'}"
    unknown = "00000000-0000-0000-0000-000000000000"
    script = (
        _recipe(emulator) + f"\nschedule_deletion({unknown!r}, dt.timedelta(0), {jobs!r})" + _RUN_DUE.format(jobs=jobs)
    )
    said = _run(emulator, script, tmp_path)
    assert said == "Deleting transcript 00000000 failed (400): Transcript lookup error, transcript id not found\n"


@pytest.fixture
def easycron():
    from cookbook_utils.standins.easycron import easycron_stand_in

    cron = easycron_stand_in()
    yield cron
    cron.stop()


def _easycron_recipe(emulator, easycron, tmp_path, *, extra: str) -> str:
    env = script_env(emulator, {"EASYCRON_URL": easycron.base_url, "EASYCRON_API_KEY": easycron.api_key})
    run = run_script(_recipe(emulator) + extra, env, timeout_s=120, cwd=tmp_path)
    return run


def test_easycron_gets_one_delete_at_one_utc_minute_and_the_stored_job_is_checked(emulator, easycron, tmp_path):
    script = (
        "\njob_id = schedule_with_easycron('abc-123', dt.timedelta(days=1), os.environ['EASYCRON_API_KEY'])"
        "\nprint(job_id, cron_for(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))\n"
    )
    run = _easycron_recipe(emulator, easycron, tmp_path, extra=script)
    assert run.returncode == 0, run.stderr[-3000:]
    job_id, expression = run.stdout.split(" ", 1)
    job = easycron.jobs[int(job_id)]
    assert job["http_method"] == "DELETE" and job["url"].endswith("/v2/transcript/abc-123")
    assert job["cron_expression"] == expression.strip() and len(expression.split()) == 6  # with its year
    assert job["timezone"] == "UTC" and job["http_headers"] == f"authorization: {KEY}"


def test_a_job_easycron_stores_otherwise_is_not_trusted(emulator, easycron, tmp_path):
    """The check the recipe promises: a stored job whose expression differs from the one sent fails."""
    script = (
        "\n_get = requests.get"
        "\ndef altered(*args, **kwargs):"
        "\n    answer = _get(*args, **kwargs)"
        "\n    body = answer.json()"
        "\n    body['cron_job']['cron_expression'] = '* * * * *'"
        "\n    answer.json = lambda: body"
        "\n    return answer"
        "\nrequests.get = altered"
        "\nschedule_with_easycron('abc-123', dt.timedelta(days=1), os.environ['EASYCRON_API_KEY'])\n"
    )
    run = _easycron_recipe(emulator, easycron, tmp_path, extra=script)
    assert run.returncode == 1
    assert "RuntimeError: EasyCron stored another job than the one sent" in run.stderr
