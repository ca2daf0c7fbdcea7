"""Reading YAML with libyaml's C parser when PyYAML was built with it (about ten times faster than the
pure-Python one on a cassette or an API specification), and the pure-Python safe loader otherwise."""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, faster: only plain data (no Python objects) is built."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
