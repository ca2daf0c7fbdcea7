"""One lesson, one place: a function or class a notebook defines is not defined again in
``cookbook_utils`` (design.md, "One notebook, one recipe"). A recipe's code lives in its notebook;
the package holds plumbing, stand-ins and tools that two or more recipes use, under other names.
Tests and benchmarks reach a notebook's code through ``tools.notebook_code``."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import nbformat

from cookbook_utils import paths

PACKAGE = Path(__file__).resolve().parents[2] / "cookbook_utils"


def _defined(tree: ast.AST) -> set[str]:
    """Names of the functions and classes defined anywhere in ``tree`` (nested ones too, so a helper
    written inside a notebook's whole-recipe function counts), methods and dunders left out."""
    names: set[str] = set()
    methods: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            methods |= {id(n) for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) not in methods:
            names.add(node.name)
    return {name for name in names if not name.startswith("__")}


def notebook_definitions() -> dict[str, set[str]]:
    """Each defined name, with the slugs of the notebooks whose code cells define it."""
    found: dict[str, set[str]] = defaultdict(set)
    for slug, path in paths.notebooks().items():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                "" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines()
            )
            for name in _defined(ast.parse(source)):
                found[name].add(slug)
    return found


def package_definitions() -> dict[str, set[str]]:
    """Each name a ``cookbook_utils`` module defines at its top level (what a caller can use; a
    request handler written inside a stand-in's function is its own), with the modules."""
    found: dict[str, set[str]] = defaultdict(set)
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith(
                "__"
            ):
                found[node.name].add(str(module.relative_to(PACKAGE.parent)))
    return found


def test_no_function_or_class_is_defined_in_a_notebook_and_in_the_package():
    package = package_definitions()
    twins = {
        name: (sorted(slugs), sorted(package[name]))
        for name, slugs in notebook_definitions().items()
        if name in package
    }
    assert not twins, (
        "defined both in a notebook and in cookbook_utils (the lesson belongs in the notebook; tests load it "
        "with tools.notebook_code, and a tool two recipes share takes a name of its own): "
        + "; ".join(f"{name}: {slugs} and {modules}" for name, (slugs, modules) in sorted(twins.items()))
    )


def test_the_check_sees_a_definition_in_both_places():
    source = "def outer():\n    def cue_text():\n        pass\n\nclass Box:\n    def method(self):\n        pass\n"
    assert _defined(ast.parse(source)) == {"outer", "cue_text", "Box"}
    assert "setup" in package_definitions()
    assert "Handler" not in package_definitions()  # nested in the stand-ins' functions
    assert "speaker_for" in notebook_definitions()
