"""Fixtures shared by the project tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cookbook_utils import paths

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's registry, README and notebooks (for the writers to rewrite), with an empty
    ``data/``, as the project root (``COOKBOOK_ROOT``)."""
    for name in ("recipes.yml", "recipes.schema.json", "README.md"):
        shutil.copy(ROOT / name, tmp_path)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("COOKBOOK_ROOT", str(tmp_path))
    paths.project_root.cache_clear()
    yield tmp_path
    paths.project_root.cache_clear()
