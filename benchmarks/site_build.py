"""How long the documentation site takes to build: cold (from nothing) and warm (nothing changed, and one
notebook changed), each as `make docs` runs it, in a fresh interpreter.

    .venv/bin/python benchmarks/site_build.py [--runs 5]

Builds into a temporary folder, so build/site is left alone. Prints the median and the range.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(out: Path, work: Path, *, clean: bool) -> float:
    command = [sys.executable, "-m", "tools.site", "--out", str(out), "--work", str(work)]
    started = time.perf_counter()
    subprocess.run(command + (["--clean"] if clean else []), cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    results: dict[str, list[float]] = {"cold (--clean)": [], "warm, nothing changed": [], "warm, one page changed": []}
    with tempfile.TemporaryDirectory() as folder:
        out, work = Path(folder) / "site", Path(folder) / "work"
        for _ in range(runs):
            results["cold (--clean)"].append(build(out, work, clean=True))
            results["warm, nothing changed"].append(build(out, work, clean=False))
            staged = next((work / "src").rglob("*.ipynb"))
            staged.unlink()  # the next build writes it again: one page to read and write
            results["warm, one page changed"].append(build(out, work, clean=False))
        shutil.rmtree(work, ignore_errors=True)
    for name, times in results.items():
        spread = f"(min {min(times):.2f}, max {max(times):.2f}, {runs} runs)"
        print(f"{name:24s} median {statistics.median(times):6.2f} s  {spread}")


if __name__ == "__main__":
    main()
