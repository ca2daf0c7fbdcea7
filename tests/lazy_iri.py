"""A pytest plugin loaded before all others (``-p tests.lazy_iri`` in pyproject.toml's ``addopts``).

jsonschema imports ``rfc3987_syntax`` as it is itself imported, and that module builds some thirty Earley
parsers as it loads: 1.7 CPU-seconds in every test process, since pytest and each of its workers import
jsonschema through nbval and nbformat (jsonschema issue #1428). A stand-in takes its place here; the first
schema that checks an ``iri`` format loads the real module, which then does the check.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

NAME = "rfc3987_syntax"


def _install() -> None:
    if NAME in sys.modules or importlib.util.find_spec(NAME) is None:
        return  # already imported, or not installed (jsonschema then checks no iri format)
    stand_in = types.ModuleType(NAME, "Loads the real rfc3987_syntax when first used (tests/lazy_iri.py).")

    def is_valid_syntax(term: str, value: str) -> bool:
        if sys.modules.get(NAME) is stand_in:
            del sys.modules[NAME]
        return importlib.import_module(NAME).is_valid_syntax(term, value)

    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules[NAME] = stand_in


_install()
