"""How long `import cookbook_utils` and `cookbook_utils.setup()` take, each in a fresh interpreter.

    .venv/bin/python benchmarks/import_time.py [--runs 15]

Prints the median and the range over the runs. `setup()` is timed in replay mode on the pilot
notebook, which includes importing the SDK and vcrpy and loading the recording.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

SNIPPETS = {
    "import cookbook_utils": (
        "import time; t = time.perf_counter(); import cookbook_utils; print(time.perf_counter() - t)"
    ),
    "setup('speaker-labels'), replay": (
        "import time; t = time.perf_counter(); import cookbook_utils as cu; cu.setup('speaker-labels', quiet=True); "
        "print(time.perf_counter() - t)"
    ),
}


def measure(code: str, runs: int) -> list[float]:
    env = dict(os.environ, COOKBOOK_MODE="replay")
    return [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout)
        for _ in range(runs)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for name, code in SNIPPETS.items():
        times = [t * 1000 for t in measure(code, runs)]
        spread = f"(min {min(times):.1f}, max {max(times):.1f}, {runs} runs)"
        print(f"{name:34s} median {statistics.median(times):7.1f} ms  {spread}")


if __name__ == "__main__":
    main()
