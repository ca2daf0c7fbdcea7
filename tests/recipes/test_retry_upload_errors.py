"""retry-upload-errors' whole recipe, run alone as a reader's script (tools/whole_recipe.py) against
the emulator with a fault plan: an upload that fails with a 5xx is sent again and goes through, and
a file whose every attempt fails is reported with its reason after the policy's attempts, beside the
file refused before sending. (Its functions, run from the notebook, are tested with cut, reset and
timed-out uploads in test_retry_server_errors.py.)"""

from __future__ import annotations

import pytest

from tools import spec
from tools.emulator.faults import Fault, FaultPlan
from tools.whole_recipe import run_whole_recipe

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

SLUG = "retry-upload-errors"
UPLOAD = ("POST", "/v2/upload")


def test_an_upload_that_fails_with_a_5xx_is_sent_again_and_goes_through():
    plan = FaultPlan([Fault("500", method="POST", path="/v2/upload", nth=[1]), Fault("503", *UPLOAD, nth=[2])])
    run, shown = run_whole_recipe(SLUG, faults=plan)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == shown == "1 uploaded; not uploaded: [('empty.mp3', 'empty file (0 bytes)')]\n"
    assert [kind for kind, _, _ in plan.fired] == ["500", "503"]


def test_a_file_that_keeps_failing_is_reported_after_the_attempts_not_lost():
    plan = FaultPlan([Fault("503", *UPLOAD)])
    run, _ = run_whole_recipe(SLUG, faults=plan)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == (
        "0 uploaded; not uploaded: [('podcast-clip.mp3', 'HTTP 503 after retries'), "
        "('empty.mp3', 'empty file (0 bytes)')]\n"
    )
    assert len(plan.fired) == 4  # ATTEMPTS: the empty file was never sent
