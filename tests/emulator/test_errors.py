"""The error table (``tools/emulator/errors.py``): every text names where it comes from."""

import pytest

from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def test_every_message_names_its_source():
    from tools.emulator.errors import MESSAGES, text

    assert all(m.source and m.template for m in MESSAGES.values())
    assert text("transcript_not_found") == "Transcript lookup error, transcript id not found"
