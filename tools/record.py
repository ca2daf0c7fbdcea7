"""Re-record notebooks: run each in record mode, then replay it and store the replay's outputs.

    python -m tools.record speaker-labels            # against the real API (needs ASSEMBLYAI_API_KEY)
    python -m tools.record --emulator speaker-labels # against the local emulator
    python -m tools.record --emulator --all
    python -m tools.record --emulator --all --jobs 3 # three notebooks at a time, each against its own emulator
    python -m tools.record --replay speaker-labels   # no recording: re-run from the recording, store outputs

A notebook is recorded in three steps: (1) it runs with ``COOKBOOK_RECORD=1``, its HTTP calls
going to the API (or the emulator) and into a new cassette; (2) it runs again in replay mode
from that cassette, which proves the recording is complete; (3) the replay's outputs are saved
into the notebook. If step 2 fails, the previous cassette is put back and the new one is kept
beside it as ``<slug>.rejected.yaml`` for inspection. ``--replay`` does steps 2 and 3 alone, for an edit
that sends the same requests as the recording holds (a prose or printing change): the recording is
left as it is, and a request it does not hold fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cookbook_utils import paths
from cookbook_utils.config import (
    ENV_API_BASE_URL,
    ENV_API_KEY,
    ENV_EU_API_BASE_URL,
    ENV_MODE,
    ENV_RECORD,
    ENV_STAND_INS,
)
from cookbook_utils.recording import webhooks
from cookbook_utils.recording.cassette import prune_bodies
from cookbook_utils.recording.streams import ENV_STREAMING_HOST, fixture_path
from tools.kernels import IPCAsyncKernelManager

SAVE_CELL = "import cookbook_utils as _cu\n_cu.save_recording()"
CELL_TIMEOUT_S = 900


@contextmanager
def _environment(**changes: str | None):
    """Set (or, with None, remove) environment variables for the duration of a block."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# A kernel can take over a minute to answer on a loaded 2-core CI machine (nbclient's default is 60 s).
KERNEL_STARTUP_S = 240


def notebook_client(nb: nbformat.NotebookNode, notebook: Path, timeout_s: int = CELL_TIMEOUT_S) -> NotebookClient:
    """A client that runs ``nb`` as the notebook at ``notebook`` (its folder is the working directory)."""
    return NotebookClient(
        nb,
        timeout=timeout_s,
        startup_timeout=KERNEL_STARTUP_S,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,  # Unix sockets: no TCP port to race for
        record_timing=False,
        resources={"metadata": {"path": str(notebook.parent)}},
    )


#: The variables that tell a notebook's setup which local servers answer for the real hosts.
EMULATOR_VARIABLES = (ENV_API_BASE_URL, ENV_EU_API_BASE_URL, ENV_STREAMING_HOST, ENV_STAND_INS)


def emulator_env(emulator) -> dict[str, str]:
    """:data:`EMULATOR_VARIABLES`, each set to the address of ``emulator``'s server for its hosts."""
    return {
        ENV_API_BASE_URL: emulator.base_url,
        ENV_EU_API_BASE_URL: emulator.eu_base_url,
        ENV_STREAMING_HOST: emulator.streaming_url,
        ENV_STAND_INS: json.dumps(emulator.stand_ins),
    }


def live_env(emulator, key: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """A kernel's environment for a live run against ``emulator`` with ``key`` (``base``: the environment
    to start from, this process's by default): live mode, not recording, the emulator's addresses."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k != ENV_RECORD}
    env.update({ENV_MODE: "live", ENV_API_KEY: key, **emulator_env(emulator)})
    return env


def chosen_slugs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The notebooks a command names (``args.slugs``, or every one with ``args.all``), checked."""
    slugs = sorted(paths.notebooks()) if args.all else args.slugs
    if not slugs:
        parser.error("name at least one notebook, or pass --all")
    for slug in slugs:
        paths.notebook_path(slug)  # fail early on a typo
    return slugs


def execute(notebook: Path, *, extra_cell: str | None = None) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel (in the environment as it is now)."""
    nb = nbformat.read(notebook, as_version=4)
    if extra_cell:
        nb.cells.append(nbformat.v4.new_code_cell(extra_cell))
    notebook_client(nb, notebook).execute()
    if extra_cell:
        nb.cells.pop()
    merge_streams(nb)
    return nb


_CARRIAGE_RETURN = re.compile(r"^.*\r(?=[^\n])", re.MULTILINE)


def coalesce_streams(nb: nbformat.NotebookNode) -> None:
    """Store streams as a reader sees them: consecutive writes to one stream merged, and text that a
    carriage return overwrote (a progress bar's earlier states) dropped. nbval compares the same way."""
    for cell in nb.cells:
        merged: list = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and merged and merged[-1].output_type == "stream":
                if merged[-1].name == output.name:
                    merged[-1].text += output.text
                    continue
            merged.append(output)
        for output in merged:
            if output.output_type == "stream":
                output.text = _CARRIAGE_RETURN.sub("", output.text.replace("\r\n", "\n"))
        if "outputs" in cell:
            cell.outputs = merged


def merge_streams(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """:func:`coalesce_streams` on ``nb``, returned: how a kernel splits printed text into messages
    depends on timing, so joined, the same text is stored the same way on every recording."""
    coalesce_streams(nb)
    return nb


def replay(notebook: Path) -> nbformat.NotebookNode:
    """Run a notebook in replay mode in the tests' environment and return it with its outputs (conftest.py
    unsets MPLBACKEND, so figures are drawn by IPython's inline backend in both, and nbval compares like
    with like)."""
    replaying = {ENV_RECORD: None, ENV_MODE: "replay", **dict.fromkeys(EMULATOR_VARIABLES)}
    with _environment(**replaying, MPLBACKEND=None):
        return merge_streams(execute(notebook))


def replay_one(slug: str) -> None:
    """Store a notebook's outputs from a replay of its recording, which is not changed."""
    notebook = paths.notebook_path(slug)
    started = time.perf_counter()
    nbformat.write(replay(notebook), notebook)
    print(
        f"{slug}: replayed in {time.perf_counter() - started:.1f} s; wrote {notebook.relative_to(paths.project_root())}"
    )


def record_one(slug: str, *, api_key: str, emulator=None) -> None:
    """Record one notebook, verify its cassette by replaying, and store the replay's outputs."""
    notebook = paths.notebook_path(slug)
    cassette = paths.cassette_path(slug)
    backup = cassette.with_suffix(".previous.yaml")
    if cassette.exists():
        shutil.copy2(cassette, backup)
    started = time.perf_counter()
    try:
        servers = emulator_env(emulator) if emulator else dict.fromkeys(EMULATOR_VARIABLES)
        with _environment(**{ENV_RECORD: "1", ENV_MODE: None, ENV_API_KEY: api_key, **servers}):
            execute(notebook, extra_cell=SAVE_CELL)
        if emulator is not None:  # the emulator's calls to the notebook's receiver, for replay
            emulator.settle_webhooks()
            webhooks.add_to_cassette(cassette, emulator.webhook_attempts)
        recorded = time.perf_counter()
        replayed = replay(notebook)
    except Exception:
        if cassette.exists() and backup.exists():
            cassette.replace(cassette.with_suffix(".rejected.yaml"))
            backup.replace(cassette)
            print(f"{slug}: failed; the previous recording was kept", file=sys.stderr)
        raise
    backup.unlink(missing_ok=True)
    prune_bodies(cassette.parent)  # audio the previous recording kept beside it and this one does not
    prune_bodies(fixture_path(slug).parent)  # and the same for streaming sessions
    nbformat.write(replayed, notebook)
    print(
        f"{slug}: recorded in {recorded - started:.1f} s, replayed in {time.perf_counter() - recorded:.1f} s; "
        f"wrote {cassette.relative_to(paths.project_root())} and {notebook.relative_to(paths.project_root())}"
    )


def _in_parallel(slugs: list[str], flags: list[str], jobs: int) -> int:
    """Record (or replay) ``slugs`` ``jobs`` at a time, one ``python -m tools.record`` process each, and
    list the ones that failed; their previous recordings are kept (see :func:`record_one`)."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def run(slug: str) -> tuple[str, int]:
        command = [sys.executable, "-m", "tools.record", *flags, slug]
        return slug, subprocess.run(command, cwd=paths.project_root(), check=False).returncode

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        failed = [slug for slug, code in pool.map(run, slugs) if code != 0]
    if failed:
        print(f"{len(failed)} of {len(slugs)} failed: {' '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", help="notebooks to record, by slug")
    parser.add_argument("--all", action="store_true", help="record every notebook")
    parser.add_argument("--emulator", action="store_true", help="record against the local emulator")
    parser.add_argument(
        "--jobs", type=int, default=1, help="with --emulator or --replay: notebooks at a time, each in its own process"
    )
    parser.add_argument(
        "--replay", action="store_true", help="record nothing: store the outputs of a replay of the recording"
    )
    args = parser.parse_args(argv)
    slugs = chosen_slugs(parser, args)
    if args.jobs > 1 and (args.emulator or args.replay):
        return _in_parallel(slugs, ["--emulator"] if args.emulator else ["--replay"], args.jobs)
    if args.replay:
        for slug in slugs:
            replay_one(slug)
        return 0
    if args.emulator:
        from tools.emulator import Emulator
        from tools.emulator.server import settings_from_env  # processing time and faults, from the environment

        key = "emulator-" + secrets.token_hex(16)
        for slug in slugs:
            with Emulator(api_key=key, notebook=slug, **settings_from_env(slug)) as emulator:
                record_one(slug, api_key=key, emulator=emulator)
        return 0
    key = os.environ.get(ENV_API_KEY)
    if not key:
        parser.error(f"recording against the real API needs {ENV_API_KEY}; or pass --emulator")
    for slug in slugs:
        record_one(slug, api_key=key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
