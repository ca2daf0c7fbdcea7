"""The weekly refresh (tools/refresh.py, run by .github/workflows/refresh.yml): against the emulator on a scratch
copy of the project (a git clone of its own, so the real notebooks are never rewritten), and its live path with
the commands stood in for, to show the key never reaches what it writes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import refresh

ROOT = Path(__file__).resolve().parents[2]
CHEAP = "speaker-labels"  # one pre-recorded notebook: about 7 s to record and replay


def _git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def scratch(tmp_path) -> Path:
    """The project's files (tracked and new, as in the work tree) copied into a git clone of their own, with
    ``shared/`` beside it as the real project has it (the emulator's specs)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    copy = tmp_path / "cookbook"
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    if (ROOT.parent / "shared").is_dir():
        (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    cassette = copy / "data" / "cassettes" / f"{CHEAP}.yaml"  # an old date: re-recording must change it
    cassette.write_text(re.sub(r"recorded_on: '[0-9-]+'", "recorded_on: '2000-01-01'", cassette.read_text()))
    _git("init", "-q", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("commit", "-q", "-m", "scratch", cwd=copy)
    return copy


def _run_refresh(copy: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"ASSEMBLYAI_API_KEY", "COOKBOOK_MODE", "COOKBOOK_RECORD"}}
    env.update(PYTHONPATH=str(copy), COOKBOOK_ROOT=str(copy))
    command = [sys.executable, "-m", "tools.refresh", *args]
    return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.end_to_end
def test_the_refresh_against_the_emulator_records_and_summarises_what_changed(scratch):
    done = _run_refresh(scratch, "--emulator", CHEAP, "--summary", "build/refresh/summary.md")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = (scratch / "build" / "refresh" / "summary.md").read_text()
    assert text.startswith("## Recordings refreshed against the local emulator on ")
    assert "**Probe:** passed." in text
    totals = re.findall(r"^- `(probe --emulator .*)`$", text, re.M)
    assert len(totals) == 2 and all(", 0 DIFFERS," in line for line in totals), text  # paid, then free account
    assert "**Notebooks:** 1 of 1 re-recorded." in text
    assert f"- modified: `data/cassettes/{CHEAP}.yaml`" in text
    changed = re.findall(r"^- \w+: `([^`]+)`$", text, re.M)
    assert all(CHEAP in path for path in changed), f"only the recorded notebook's files change: {changed}"
    assert "recorded_on: '2000-01-01'" not in (scratch / "data" / "cassettes" / f"{CHEAP}.yaml").read_text()
    porcelain = _git("status", "--porcelain", cwd=scratch)
    assert f" M data/cassettes/{CHEAP}.yaml" in porcelain
    assert "build/" not in porcelain, "the summary stays out of the pull request (build/ is ignored)"


@pytest.mark.end_to_end  # the refresh tool run whole (make test-e2e)
def test_the_refresh_stops_before_anything_when_it_cannot_start(scratch):
    unknown = _run_refresh(scratch, "--emulator", "speaker-lables")
    assert unknown.returncode == 2 and "Did you mean 'speaker-labels'" in unknown.stderr
    live = _run_refresh(scratch)
    assert live.returncode == 2 and "the real API needs ASSEMBLYAI_API_KEY" in live.stderr
    assert not (scratch / "build").exists()


@pytest.mark.end_to_end  # the refresh tool run whole (make test-e2e)
def test_the_live_refresh_masks_the_key_and_reports_failures(scratch, monkeypatch, capsys):
    """The live path with stand-in commands: a probe that differs and a notebook that fails (both echoing
    the key) give exit status 1, and the summary lists them, with the key masked everywhere."""
    key = "live-key-" + "9" * 24
    monkeypatch.setenv("ASSEMBLYAI_API_KEY", key)
    monkeypatch.setenv("COOKBOOK_ROOT", str(scratch))
    from cookbook_utils import paths

    paths.project_root.cache_clear()
    seen = []

    def runner(command, root, secret):
        seen.append(command[1:])
        if "tools.probe" in command:
            output = f"auth-401: DIFFERS: got [401, 'x'], expected [401, 'y'] (sent {key})\nprobe --live: 1 DIFFERS\n"
            return refresh.Step(command, 1, refresh.mask(output, secret))
        if command[-1] == "talk-listen-ratio":
            output = f"Traceback...\nRuntimeError: 500 from the API with Authorization: {key}\n"
            return refresh.Step(command, 1, refresh.mask(output, secret))
        (root / "data" / "cassettes" / f"{command[-1]}.yaml").write_text("re-recorded\n")
        return refresh.Step(command, 0, f"{command[-1]}: recorded\n")

    try:
        code = refresh.main([CHEAP, "talk-listen-ratio"], runner=runner)
    finally:
        paths.project_root.cache_clear()
    assert code == 1
    assert seen == [
        ["-m", "tools.probe", "--live"],
        ["-m", "tools.record", CHEAP],
        ["-m", "tools.record", "talk-listen-ratio"],
    ]
    text = (scratch / "build" / "refresh" / "summary.md").read_text()
    assert text.startswith("## Recordings refreshed against the real API (api.assemblyai.com) on ")
    assert "**Probe:** failed (exit status 1)" in text and "- auth-401: DIFFERS" in text
    assert "**Notebooks:** 1 of 2 re-recorded." in text
    assert "- `talk-listen-ratio` failed; its previous recording is kept:" in text
    assert "RuntimeError: 500 from the API with Authorization: ***" in text
    assert f"- modified: `data/cassettes/{CHEAP}.yaml`" in text
    assert key not in text and key not in capsys.readouterr().out
