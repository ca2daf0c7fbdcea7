"""The EasyCron stand-in answers as the documented v1 API does, and the schedule-delete recipe's
cron expression and APScheduler store behave as the notebook says."""

import datetime as dt

import pytest
import requests

from cookbook_utils.standins.easycron import easycron_stand_in
from tools.notebook_code import load_cell, load_definitions


@pytest.fixture
def cron(monkeypatch):
    monkeypatch.delenv("EASYCRON_API_KEY", raising=False)
    service = easycron_stand_in()
    yield service
    service.stop()


def _post(cron, body, key=None):
    headers = {"X-API-Key": key or cron.api_key}
    return requests.post(f"{cron.base_url}/v1/cron-jobs", headers=headers, json=body, timeout=5)


def test_a_job_is_created_read_and_removed(cron):
    body = {"url": "https://api.assemblyai.com/v2/transcript/abc", "cron_expression": "30 14 26 11 * 2026"}
    body |= {"http_method": "DELETE", "http_headers": "authorization: secret", "timezone_from": 2, "timezone": "UTC"}
    created = _post(cron, body)
    assert created.status_code == 201 and created.json() == {"cron_job_id": 1}
    headers = {"X-API-Key": cron.api_key}
    job = requests.get(f"{cron.base_url}/v1/cron-jobs/1", headers=headers, timeout=5).json()["cron_job"]
    assert job["http_method"] == "DELETE" and "http_headers" not in job  # the key is not echoed
    assert requests.delete(f"{cron.base_url}/v1/cron-jobs/1", headers=headers, timeout=5).status_code == 200
    assert requests.get(f"{cron.base_url}/v1/cron-jobs/1", headers=headers, timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "https://x"}, "cron_expression is required"),
        ({"url": "https://x", "cron_expression": "tomorrow"}, "Invalid cron expression"),
        ({"url": "https://x", "cron_expression": "* * * *"}, "Invalid cron expression"),
        ({"url": "https://x", "cron_expression": "* * * * *", "http_method": "FETCH"}, "Invalid http_method"),
        ({"url": "https://x", "cron_expression": "* * * * *", "every": 5}, "Unknown parameter"),
    ],
)
def test_bad_jobs_are_refused_with_a_message(cron, body, message):
    answer = _post(cron, body)
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_a_wrong_key_is_refused(cron):
    assert _post(cron, {"url": "https://x", "cron_expression": "* * * * *"}, key="wrong").status_code == 401


def test_the_cron_expression_is_one_minute_in_utc():
    cron_for = load_definitions("schedule-delete", ["cron_for"])["cron_for"]
    new_york = dt.timezone(dt.timedelta(hours=-5))
    assert cron_for(dt.datetime(2026, 11, 26, 9, 30, tzinfo=new_york)) == "30 14 26 11 * 2026"
    assert cron_for(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)) == "59 23 31 12 * 2026"


def test_a_stored_deletion_survives_a_new_scheduler(tmp_path):
    recipe = load_cell("schedule-delete", "def schedule_deletion")
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    when = recipe.schedule_deletion("transcript-1", dt.timedelta(hours=24), url)
    runner = recipe.run_deletions(url)
    try:
        (job,) = runner.get_jobs()
        assert job.args == ("transcript-1",) and job.func_ref.endswith("Transcript.delete_by_id")
        assert abs((job.next_run_time - when).total_seconds()) < 1
    finally:
        runner.shutdown()
