"""tests/lazy_iri.py: jsonschema loads without building rfc3987_syntax's parsers, and its iri check still
works, through the real module, once a schema asks for it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("rfc3987_syntax")


def test_jsonschema_is_imported_without_the_parsers():
    code = "import tests.lazy_iri, jsonschema, sys; print('rfc3987_syntax.syntax_helpers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_iri_format_is_still_checked_by_the_real_module():
    import jsonschema

    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    assert checker.conforms("https://example.com/caf\u00e9?q=1", "iri")
    assert not checker.conforms("no scheme at all", "iri")
    assert not checker.conforms("https://exa mple.com/", "iri")
    assert hasattr(sys.modules["rfc3987_syntax"], "syntax_helpers"), "the real module took the stand-in's place"
