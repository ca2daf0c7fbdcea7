"""Rehearse every notebook as a reader runs it live: a key, live mode, the API on the internet.

    python -m tools.rehearse --all            # every notebook (make rehearse)
    python -m tools.rehearse github-raw-links sdk-tips
    python -m tools.rehearse --all --jobs 2   # notebooks at a time (default: the number of cores)

Each notebook runs top to bottom in a fresh kernel, in live mode with a made-up key, against the local
emulator started with ``internet=True``: it answers as the real API does from the internet, so it
cannot download a loopback or private ``audio_url`` (the transcript fails as the real one does) nor
deliver a webhook to one, and it keeps every URL it was sent. Nothing is recorded and no output is
written back. The kernel cannot reach the network either (:mod:`tools.offline_site`): what a reader
would fetch from the internet must come from the reader's own settings.

A notebook either runs to its end ("ran"), or stops at its first cell that needs something only the
reader has, with the cookbook's :class:`~cookbook_utils.SetupNeeded` message and no traceback
("stopped for setup: <variable>"). Anything else is "failed: <reason>", and so is a loopback or private
URL sent to the API. The last line sums it up; the exit status is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from cookbook_utils import paths
from cookbook_utils.config import (
    ENV_DRIVE_LINK,
    ENV_GITHUB_LINK,
    ENV_RECORD,
    ENV_S3_BUCKET,
    ENV_VIDEO_URL,
    ENV_WEBHOOK_URL,
)
from tools.record import chosen_slugs, live_env, notebook_client

#: The folder whose ``sitecustomize.py`` keeps a rehearsal kernel off the network.
SITE = Path(__file__).with_name("offline_site")
CELL_TIMEOUT_S = 600
#: What only the reader has: unset in a rehearsal, whatever this machine's environment holds.
READER_SETTINGS = (
    ENV_S3_BUCKET,
    ENV_VIDEO_URL,
    ENV_DRIVE_LINK,
    ENV_GITHUB_LINK,
    ENV_WEBHOOK_URL,
    ENV_RECORD,
    "HF_TOKEN",
    "OPENAI_API_KEY",
    "EASYCRON_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
)
_SET = re.compile(r"\bSet ([A-Z][A-Z0-9_]+) to\b")
_TRACEBACK = ("Traceback (most recent call last)", "----> ", 'File "')


@dataclass
class Outcome:
    """How one notebook's rehearsal ended."""

    slug: str
    verdict: str  # "ran", "stopped for setup" or "failed"
    detail: str = ""
    seconds: float = 0.0
    unreachable_urls: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        said = self.verdict + (f": {self.detail}" if self.detail else "")
        return f"{self.slug}: {said} ({self.seconds:.0f} s)"


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _first_error(nb: nbformat.NotebookNode) -> tuple[int, dict] | None:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output
    return None


def judge(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """``(verdict, detail)`` for a notebook a rehearsal stopped on an error."""
    found = _first_error(nb)
    if found is None:
        return "failed", "an error without an error output"
    index, error = found
    shown = _plain("\n".join(error.get("traceback", [])))
    message = _plain(str(error.get("evalue", ""))).strip().splitlines() or [""]
    if error.get("ename") == "SetupNeeded":
        if any(mark in shown for mark in _TRACEBACK):
            return "failed", f"cell {index} asks for setup, but under a traceback"
        wanted = _SET.search(" ".join(message))
        if not wanted:
            return "failed", f"cell {index} asks for setup without naming a variable ('Set NAME to ...')"
        return "stopped for setup", wanted.group(1)
    return "failed", f"cell {index}: {error.get('ename')}: {message[0][:160]}"


def kernel_env(emulator, key: str) -> dict[str, str]:
    """The environment of a rehearsal kernel: live mode, a made-up key, the emulator's addresses, none
    of the reader's settings, and the network guard first on the path."""
    env = live_env(emulator, key, {k: v for k, v in os.environ.items() if k not in READER_SETTINGS})
    env.pop("MPLBACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), env.get("PYTHONPATH", "")) if p)
    return env


def rehearse_one(slug: str, timeout_s: int = CELL_TIMEOUT_S, notebook: Path | None = None) -> Outcome:
    """Run one notebook live against the internet-faithful emulator and judge how it ended
    (``notebook``: another file to run as ``slug``, for tests)."""
    from tools.emulator import Emulator
    from tools.emulator.server import settings_from_env
    from tools.emulator.uploads import reaches_this_machine

    notebook = notebook or paths.notebook_path(slug)
    nb = nbformat.read(notebook, as_version=4)
    key = "rehearsal-" + secrets.token_hex(16)
    settings = settings_from_env(slug)
    settings.pop("faults", None)  # a reader's run meets no failure staged for a recording
    settings["account"] = "paid"
    started = time.perf_counter()
    with Emulator(api_key=key, notebook=slug, internet=True, **settings) as emulator:
        try:
            notebook_client(nb, notebook, timeout_s).execute(env=kernel_env(emulator, key))
            verdict, detail = "ran", ""
        except CellExecutionError:
            verdict, detail = judge(nb)
        except CellTimeoutError:
            verdict, detail = "failed", f"a cell ran longer than {timeout_s} s"
        except DeadKernelError as error:
            verdict, detail = "failed", f"the kernel died: {error}"
        sent = [url for _, url in emulator.urls_sent if reaches_this_machine(url)]
    outcome = Outcome(slug, verdict, detail, time.perf_counter() - started, sent)
    if sent:
        outcome.verdict = "failed"
        outcome.detail = f"sent the API {len(sent)} URL(s) it cannot reach, e.g. {sent[0]}" + (
            f"; and {detail}" if detail else ""
        )
    return outcome


def summary(outcomes: list[Outcome]) -> str:
    ran = sum(o.verdict == "ran" for o in outcomes)
    stopped = sum(o.verdict == "stopped for setup" for o in outcomes)
    failed = sum(o.verdict == "failed" for o in outcomes)
    loopback = sum(len(o.unreachable_urls) for o in outcomes)
    return f"rehearsal: {ran} ran, {stopped} stopped for setup, {failed} failed; {loopback} loopback URLs sent"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", help="notebooks to rehearse, by slug")
    parser.add_argument("--all", action="store_true", help="rehearse every notebook")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks at a time")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT_S, help="seconds a cell may run")
    args = parser.parse_args(argv)
    slugs = chosen_slugs(parser, args)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for outcome in pool.map(lambda s: rehearse_one(s, args.timeout), slugs):
            print(outcome.line, flush=True)
            outcomes.append(outcome)
    print(f"rehearsed {len(outcomes)} notebooks in {time.perf_counter() - started:.0f} s")
    print(summary(outcomes))
    return 1 if any(o.verdict == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
