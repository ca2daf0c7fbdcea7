"""The lesson code written in a notebook and the helper that does the same job (for tests, benchmarks and
other recipes) give the same result on the same input, so the two cannot drift apart.

Each test takes the function from the notebook's own cell source, runs it, and compares it with the helper.
"""

from __future__ import annotations

import ast
import random
import string
from pathlib import Path

import nbformat
import numpy as np
import pytest

import cookbook_utils as cu
from cookbook_utils import alignment, speaker_matching

ROOT = Path(__file__).resolve().parents[1]


def from_notebook(notebook: str, *names: str, namespace: dict | None = None) -> dict:
    """Run the top-level definitions called ``names`` (functions or assignments) found in the code cells
    of ``notebook``, in cell order, in ``namespace``; returns the namespace."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    namespace = dict(namespace or {})
    wanted, found = set(names), set()
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.startswith("#") and "google.colab" in cell.source:
            continue
        tree = ast.parse("\n".join(line for line in cell.source.split("\n") if not line.startswith(("!", "%"))))
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), notebook, "exec"), namespace)
                continue
            if isinstance(node, ast.FunctionDef):
                defined = {node.name}
            elif isinstance(node, ast.Assign):
                defined = {t.id for t in node.targets if isinstance(t, ast.Name)}
            else:
                continue
            if defined & wanted:
                exec(compile(ast.Module([node], []), f"{notebook}", "exec"), namespace)
                found |= defined & wanted
    missing = wanted - found
    assert not missing, f"{notebook} no longer defines {sorted(missing)}: update this test with the lesson"
    return namespace


# --- pyannote-speaker-labels: the overlap rule ---------------------------------------------------------


def test_pyannote_overlap_rule_labels_words_as_the_helper_does():
    lesson = from_notebook("speakers/pyannote-speaker-labels.ipynb", "speaker_for", namespace={"cu": cu})
    rng = random.Random(7)
    segments, t = [], 0
    for _ in range(40):
        start = t + rng.choice([0, 0, 150, 900])
        t = start + rng.randint(200, 4000)
        segments.append(cu.Segment(start, t, rng.choice("ABCD")))
    rng.shuffle(segments)  # the rule must not depend on the order of the list
    starts = [rng.uniform(-500, t + 500) for _ in range(500)] + [900, 800, 3200]
    ends = [s + rng.uniform(0, 1200) for s in starts[:-3]] + [1300, 1200, 3400]
    for gap in (None, 100):
        expected = alignment.assign_speakers(starts, ends, segments, max_gap_ms=gap)
        got = [lesson["speaker_for"](a, b, segments, max_gap_ms=gap) for a, b in zip(starts, ends, strict=True)]
        assert got == expected


# --- nemo-async-chunking: the matching step ------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0.99, 0.85, 0.5, 0.0])
def test_nemo_matching_step_matches_as_the_helper_does(threshold):
    from scipy.optimize import linear_sum_assignment

    lesson = from_notebook(
        "speakers/nemo-async-chunking.ipynb",
        "match_speakers",
        namespace={"np": np, "string": string, "linear_sum_assignment": linear_sum_assignment},
    )
    rng = np.random.default_rng(3)
    voices = rng.normal(size=(5, 16))
    chunks = []
    for people in ([0, 1, 2], [1, 0], [2, 3, 1, 0], [4, 3]):
        chunks.append(
            {
                label: voices[p] + rng.normal(scale=0.4, size=16)
                for label, p in zip("ABCD"[: len(people)], people, strict=True)
            }
        )
    expected = speaker_matching.match_speakers(chunks, threshold).relabel
    assert lesson["match_speakers"](chunks, threshold) == expected
