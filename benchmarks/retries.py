"""The operations recipes' retry code under injected faults.

    .venv/bin/python benchmarks/retries.py [--files 200] [--workers 8] [--seed 7]

200 files (the shipped conversations, cycled) go through the emulator: each is checked and
uploaded with ``upload_files`` from *retry-upload-errors*, then submitted with ``submit`` and
polled with ``_request`` from *retry-server-errors* (the code of the notebooks' whole-recipe
cells, loaded by ``tools.notebook_code``, with their policies unchanged). Every endpoint
(``/v2/upload``, ``/v2/transcript``, ``/v2/transcript/*``) fails on purpose with seeded faults:
20 % 5xx (500, 503 and 502 in turn), 5 % 429 with ``Retry-After: 1``, 2 % reset connections, and 2 %
uploads cut off mid-body. On top, 2 % of submissions lose their answer: the server creates the
transcript but answers after the client's timeout (``slow``, 1.5 s against a timeout of 1 s set in
the recipe's ``POLICY`` for this run), the case where a naive retry creates a duplicate. The same
run without faults gives the baseline.

Reported: files completed, files reported failed (by the recipes' own reports or raised errors),
files lost (neither: must be 0), duplicate transcripts (more than one transcript for one
upload), requests per file, faults served, and wall time against the run without faults.
``--no-guard`` retries submissions without looking for the transcript a lost answer created, to
show what the guard saves.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cookbook_utils import paths  # noqa: E402
from cookbook_utils.config import SPEECH_MODELS  # noqa: E402
from tools.emulator import Emulator  # noqa: E402
from tools.emulator.faults import Fault, FaultPlan  # noqa: E402
from tools.notebook_code import load_cell  # noqa: E402

KEY = "benchmark-retries-key"
MODELS = SPEECH_MODELS
ENDPOINTS = ["/v2/upload", "/v2/transcript", "/v2/transcript/*"]
AUDIO = sorted(p.name for p in (ROOT / "data" / "audio").glob("*.mp3") if "-stereo" not in p.name)


def fault_plan(seed: int) -> FaultPlan:
    """Per endpoint, in order (the first that fires wins, each drawing from its own seeded
    generator): cut upload 2 % (uploads only), reset 2 %, 429 5 %, and 5xx 20 %."""
    faults = [
        Fault("cut_upload", method="POST", path="/v2/upload", fraction=0.02, seed=seed),
        Fault("slow", method="POST", path="/v2/transcript", fraction=0.02, seed=seed + 1, delay=1.5),
    ]
    for number, path in enumerate(ENDPOINTS):
        base = seed * 100 + number * 10
        faults += [
            Fault("reset", path=path, fraction=0.02, seed=base + 1),
            Fault("429", path=path, fraction=0.05, seed=base + 2, retry_after=1),
            Fault("500", path=path, fraction=0.08, seed=base + 3),
            Fault("503", path=path, fraction=0.08, seed=base + 4),
            Fault("502", path=path, fraction=0.04, seed=base + 5),
        ]
    return FaultPlan(faults)


def run(files: int, workers: int, plan: FaultPlan | None, poll_s: float, guard: bool = True) -> dict:
    uploads = load_cell("retry-upload-errors", "def upload_files")
    server = load_cell("retry-server-errors", "def transcribe_with_retries")
    server.POLICY["timeout"] = 1.0  # so that a "slow" answer is lost, as a longer one would be live
    if not guard:  # for comparison: retry a submission without looking for the one already created
        server._already_submitted = lambda *args: None
    outcomes: dict[int, str] = {}

    with Emulator(api_key=KEY, processing_seconds=0.3, faults=plan) as emulator:
        base = emulator.base_url

        def one(index: int) -> None:
            path = paths.audio_file(AUDIO[index % len(AUDIO)])
            done, failed = uploads.upload_files([path], KEY, base)
            if failed:
                outcomes[index] = "reported failed (upload)"
                return
            try:
                transcript_id = server.submit(KEY, done[str(path)], MODELS, base)
                while True:
                    path = f"/v2/transcript/{transcript_id}"
                    result = server._request(KEY, "GET", path, base, timeout=server.POLICY["timeout"])
                    if result["status"] in ("completed", "error"):
                        break
                    time.sleep(poll_s)
            except Exception as error:  # noqa: BLE001 - every failure the recipes raise is a report
                outcomes[index] = f"reported failed ({type(error).__name__})"
                return
            outcomes[index] = "completed" if result["status"] == "completed" else "transcript error"

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(files)))
        wall = time.perf_counter() - started
        per_upload = Counter(record.params["audio_url"] for record in emulator.state.transcripts.values())
        requests_sent = len(emulator.requests_seen)
        fired = Counter(kind for kind, _, _ in plan.fired) if plan else Counter()
        violations = list(emulator.violations)

    kinds = Counter(outcomes.values())
    return {
        "files": files,
        "completed": kinds["completed"],
        "reported failed": sum(n for k, n in kinds.items() if k.startswith("reported")),
        "failure kinds": {k: n for k, n in kinds.items() if k != "completed"},
        "lost": files - len(outcomes),
        "duplicate transcripts": sum(n - 1 for n in per_upload.values()),
        "transcripts created": sum(per_upload.values()),
        "requests per file": round(requests_sent / files, 2),
        "faults served": dict(fired),
        "wall time (s)": round(wall, 1),
        "emulator violations": len(violations),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between polls")
    parser.add_argument("--no-guard", action="store_true", help="retry submissions without the duplicate check")
    args = parser.parse_args(argv)
    baseline = run(args.files, args.workers, None, args.poll)
    faulted = run(args.files, args.workers, fault_plan(args.seed), args.poll, guard=not args.no_guard)
    print(json.dumps({"without faults": baseline, "with faults": faulted}, indent=2))
    ratio = faulted["wall time (s)"] / max(baseline["wall time (s)"], 0.1)
    print(f"wall time with faults: {ratio:.1f}x the run without; files lost: {faulted['lost']}")
    return 0 if faulted["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
