"""What the registry's JSON Schema and the house-style checks cost.

    .venv/bin/python benchmarks/registry_and_style.py [--runs 20]

Times, in this interpreter (after one warm-up run): reading and checking ``recipes.yml`` against
``recipes.schema.json``; the registry tool's full check (registry, notebooks, README, generated cells);
and one pass of the mechanical style checks of tests/project/test_style.py over every notebook. Prints the median
and the range; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _style_pass() -> None:
    from tests import test_style as style

    for slug, path in style.NOTEBOOKS:
        for check in (
            style.test_it_opens_with_a_title_and_a_markdown_cell_before_every_code_cell,
            style.test_the_colab_cell_and_the_setup_cell_have_the_generated_shape,
            style.test_it_ends_with_the_whole_recipe_in_one_cell_then_going_further,
            style.test_every_relative_link_resolves,
            style.test_printed_lines_fit_the_page,
            style.test_outputs_hold_nothing_local_or_volatile,
            style.test_one_stream_output_per_cell,
        ):
            try:
                check(slug, path)
            except AssertionError:
                pass  # timing only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    from cookbook_utils import registry
    from tools import registry as tool

    cases = {
        "registry.load (YAML + JSON Schema)": lambda: registry.load(ROOT),
        "tools.registry check (all generated parts)": lambda: (
            tool.stale_setup_cells(ROOT, registry.load(ROOT)),
            registry.problems(ROOT),
        ),
        "style checks, every notebook": _style_pass,
    }
    for name, run in cases.items():
        run()  # warm-up: imports and file cache
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        print(
            f"{name:45s} median {statistics.median(times) * 1000:7.1f} ms "
            f"(range {min(times) * 1000:.1f}-{max(times) * 1000:.1f} ms, {args.runs} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
