"""Stored notebook outputs must replay anywhere: no path of the machine that recorded them (the
project folder, an installed package's folder), which would differ in a fresh clone or on CI."""

import json
import re
import sys
from pathlib import Path

import pytest

from cookbook_utils import paths

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = paths.notebooks()
MACHINE_PATHS = re.compile(r"(site-packages|dist-packages)/|" + re.escape(str(ROOT)) + "|" + re.escape(sys.prefix))


def _outputs(notebook: Path):
    for number, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        for output in cell.get("outputs", []):
            text = output.get("text") or "".join(
                "".join(value) if isinstance(value, list) else str(value)
                for key, value in (output.get("data") or {}).items()
                if key.startswith("text/")
            )
            yield number, "".join(text) if isinstance(text, list) else text


def test_the_check_can_fail():
    assert MACHINE_PATHS.search(f"{sys.prefix}/lib/python3.11/site-packages/tqdm/auto.py:21: TqdmWarning")
    assert not MACHINE_PATHS.search("Serving data/cassettes/speaker-labels.yaml")


@pytest.mark.parametrize("slug", sorted(NOTEBOOKS))
def test_no_output_names_a_path_of_this_machine(slug):
    found = [f"cell {n}: {m.group(0)}" for n, text in _outputs(NOTEBOOKS[slug]) if (m := MACHINE_PATHS.search(text))]
    assert not found, f"outputs that name this machine's paths (silence or mask them): {found}"
