"""Record every notebook against the emulator twice: how long each pass takes, and which files differ.

    .venv/bin/python benchmarks/record_all.py           # every notebook
    .venv/bin/python benchmarks/record_all.py speaker-labels ald-routing

It rewrites the cassettes and notebooks as `make record-all-emulator` does. A reproducible recorder
leaves no file different between the two passes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def snapshot() -> dict[str, str]:
    """The sha256 of every cassette and notebook, by path."""
    files = [*ROOT.glob("data/cassettes/*.yaml"), *ROOT.glob("notebooks/*/*.ipynb")]
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def record(slugs: list[str]) -> float:
    """Record the notebooks (all when none is named); the wall time in seconds."""
    started = time.perf_counter()
    args = slugs or ["--all"]
    subprocess.run([sys.executable, "-m", "tools.record", "--emulator", *args], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    first_time = record(argv)
    first = snapshot()
    second_time = record(argv)
    second = snapshot()
    differing = sorted(path for path in first.keys() | second.keys() if first.get(path) != second.get(path))
    print(f"pass 1: {first_time:.1f} s; pass 2: {second_time:.1f} s")
    print(f"files that differ between the passes: {len(differing)}")
    for path in differing:
        print(f"  {path}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
