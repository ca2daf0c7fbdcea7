"""Refresh the recordings: probe the API, re-record the notebooks, and summarise what changed for a pull request.

    python -m tools.refresh                                  # the real API (needs ASSEMBLYAI_API_KEY): make refresh
    python -m tools.refresh --emulator speaker-labels        # the local emulator, chosen notebooks (the test)
    python -m tools.refresh --summary build/refresh/summary.md

What `.github/workflows/refresh.yml` runs every week, so that the recordings follow the platform without anyone
remembering to. In order:

1. the probe (``python -m tools.probe --live``, or ``--emulator``): whether the emulator's assumptions still
   hold. A probe that finds a difference does not stop the refresh (the recordings follow the real API whatever
   the emulator believes), but the summary lists what differs and the exit status is 1.
2. every notebook (or the ones named) re-recorded by ``python -m tools.record [--emulator] <slug>``, one process
   each, so one that fails leaves the others recorded; a failed one keeps its previous recording
   (``tools/record.py``).
3. what changed, from ``git status --porcelain`` over ``data/`` and ``notebooks/``.
4. the summary in Markdown (default ``build/refresh/summary.md``), which the workflow uses as the pull
   request's body.

Exit status: 0 when the probe passed and every notebook was recorded; 1 otherwise (the summary is written
either way); 2 when it cannot start (no key for the real API, an unknown notebook, not a git clone). The API
key's value is masked in everything this prints or writes: a pull request's body is not masked by CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cookbook_utils import paths
from cookbook_utils.config import API_HOST, ENV_API_KEY
from cookbook_utils.errors import CookbookError

DEFAULT_SUMMARY = Path("build/refresh/summary.md")
#: The folders whose changes the pull request carries: recordings, stream fixtures, stored outputs.
WATCHED = ("data", "notebooks")
#: Lines of a failed step's output kept in the summary.
TAIL_LINES = 15
MASK = "***"


def mask(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, MASK) if secret else text


@dataclass
class Step:
    """One command run, with its exit status and its output (masked)."""

    command: list[str]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.output.rstrip().split("\n")[-lines:])


@dataclass
class Refresh:
    """What a refresh did: the probe, each notebook's recording, the files that changed."""

    target: str
    probe: Step
    recordings: dict[str, Step] = field(default_factory=dict)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (status, path)

    @property
    def failed(self) -> list[str]:
        return [slug for slug, step in self.recordings.items() if not step.ok]

    @property
    def ok(self) -> bool:
        return self.probe.ok and not self.failed


def run_step(command: list[str], root: Path, secret: str | None) -> Step:
    """Run ``command`` in ``root``; its output (stdout and stderr together) is printed and kept, masked."""
    shown = " ".join(command[1:]) if command[0] == sys.executable else " ".join(command)
    print(f"refresh: {shown}", flush=True)
    result = subprocess.run(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = mask(result.stdout, secret)
    sys.stdout.write(output)
    sys.stdout.flush()
    return Step(command, result.returncode, output)


def changed_files(root: Path) -> list[tuple[str, str]]:
    """``(status, path)`` of every file under :data:`WATCHED` that differs from the last commit (untracked
    files too); the status is git's two-letter code."""
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *WATCHED],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return [(line[:2].strip(), line[3:]) for line in result.stdout.splitlines() if line.strip()]


_STATUS = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "??": "new"}


def summary(refresh: Refresh, today: dt.date | None = None) -> str:
    """The Markdown the pull request's body is made of."""
    today = today or dt.date.today()
    lines = [f"## Recordings refreshed against {refresh.target} on {today.isoformat()}", ""]
    output = refresh.probe.output.splitlines()
    totals = [line for line in output if line.startswith("probe --")] or [line for line in output if line.strip()][-1:]
    if refresh.probe.ok:
        lines += ["**Probe:** passed.", "", *(f"- `{line}`" for line in totals), ""]
    else:
        differs = [line for line in refresh.probe.output.splitlines() if "DIFFERS" in line and ": " in line]
        lines += [
            f"**Probe:** failed (exit status {refresh.probe.returncode}): the emulator's assumptions no longer all "
            "hold (docs/probe.md says what each check means).",
            "",
            *(f"- {line}" for line in differs[:30]),
            *([] if differs else ["```", refresh.probe.tail(), "```"]),
            "",
        ]
    recorded = [slug for slug, step in refresh.recordings.items() if step.ok]
    lines.append(f"**Notebooks:** {len(recorded)} of {len(refresh.recordings)} re-recorded.")
    for slug in refresh.failed:
        tail = "\n".join("  " + line for line in refresh.recordings[slug].tail().split("\n"))
        lines += ["", f"- `{slug}` failed; its previous recording is kept:", "", "  ```", tail, "  ```"]
    lines.append("")
    if refresh.changes:
        lines.append(f"**Changed files** ({len(refresh.changes)}):")
        lines += [f"- {_STATUS.get(status, status)}: `{path}`" for status, path in refresh.changes]
    else:
        lines.append("**Changed files:** none; the recordings are as they were.")
    lines += ["", "Written by `python -m tools.refresh` (.github/workflows/refresh.yml)."]
    return "\n".join(lines) + "\n"


def refresh(root: Path, slugs: list[str], *, emulator: bool, secret: str | None, runner=run_step) -> Refresh:
    """Probe, record each of ``slugs``, and collect what changed (steps 1 to 3 of the module's docstring)."""
    where = ["--emulator"] if emulator else ["--live"]
    probe = runner([sys.executable, "-m", "tools.probe", *where], root, secret)
    result = Refresh("the local emulator" if emulator else f"the real API ({API_HOST})", probe)
    for slug in slugs:
        command = [sys.executable, "-m", "tools.record", *(["--emulator"] if emulator else []), slug]
        result.recordings[slug] = runner(command, root, secret)
    result.changes = changed_files(root)
    return result


def main(argv: list[str] | None = None, runner=run_step) -> int:
    """The command line; ``runner`` runs each step (a test stands in for it)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", help="notebooks to re-record (default: every one)")
    parser.add_argument("--emulator", action="store_true", help="probe and record against the local emulator")
    parser.add_argument("--summary", type=Path, default=DEFAULT_SUMMARY, help=f"where to write it ({DEFAULT_SUMMARY})")
    args = parser.parse_args(argv)
    root = paths.project_root()
    secret = os.environ.get(ENV_API_KEY, "").strip() or None
    if not args.emulator and not secret:
        print(f"refresh: the real API needs {ENV_API_KEY} (or pass --emulator)", file=sys.stderr)
        return 2
    try:
        slugs = [paths.notebook_path(slug).stem for slug in args.slugs] or sorted(paths.notebooks())
    except CookbookError as error:
        print(f"refresh: {error}", file=sys.stderr)
        return 2
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True)
    if inside.stdout.strip() != "true":
        print(
            f"refresh: {root} is not a git clone: the summary lists what changed since the last commit", file=sys.stderr
        )
        return 2
    result = refresh(root, slugs, emulator=args.emulator, secret=secret, runner=runner)
    out = args.summary if args.summary.is_absolute() else root / args.summary
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mask(summary(result), secret), encoding="utf-8")
    print(f"refresh: {len(result.changes)} files changed, {len(result.failed)} notebooks failed; summary in {out}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
