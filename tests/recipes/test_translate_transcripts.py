"""translate-transcripts: the whole recipe, run alone as a pasted script, turns a refused translation
request into an error that carries the gateway's status and message, as the steps do."""

from __future__ import annotations

import pytest

from tests.recipes.whole_recipe_alone import run_alone
from tools import spec
from tools.emulator.faults import Fault, FaultPlan


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_reports_a_refused_translation_with_its_status():
    plan = FaultPlan([Fault("503", method="POST", path="/v1/understanding")])
    run = run_alone("translate-transcripts", faults=plan)
    assert run.returncode == 1
    assert "RuntimeError: Translation refused (503): " in run.stderr
    assert run.stdout == ""
