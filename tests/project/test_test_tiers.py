"""The two tiers of the suite (conftest.py): ``make test`` leaves out the tests marked ``rehearsal``,
those that run what a reader runs (a whole recipe as a pasted script, a notebook on a free key),
and ``make rehearse`` runs them; ``make test-lowest`` runs both. The marking is by what a test
calls, so a new recipe's script tests join the rehearsal from their first commit."""

from __future__ import annotations

import re
import types

from conftest import _runs_what_a_reader_runs
from cookbook_utils import paths
from tests.project import test_whole_recipes


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("synthetic_tests")
    exec(compile(source, "synthetic_tests.py", "exec"), module.__dict__)  # noqa: S102
    return module


SYNTHETIC = """
def run_alone(slug):
    return slug

def _helper(slug):
    return run_alone(slug)

def test_direct():
    run_alone("a")

def test_through_a_helper():
    _helper("a")

def test_through_a_lambda():
    return (lambda: run_replaced("a", {}))()

def test_a_unit():
    assert len("run_alone") == 9  # the name in a string is no call

def test_calls_another_module_helper():
    other.run_alone("a")
"""


def test_a_test_that_runs_a_script_directly_through_a_helper_or_a_lambda_is_a_rehearsal():
    module = _module(SYNTHETIC)
    verdicts = {name: _runs_what_a_reader_runs([getattr(module, name)], module) for name in dir(module)}
    assert verdicts["test_direct"] and verdicts["test_through_a_helper"] and verdicts["test_through_a_lambda"]
    assert not verdicts["test_a_unit"]


def test_the_whole_recipe_run_is_a_rehearsal_and_its_static_check_is_not():
    runs = test_whole_recipes.test_the_whole_recipe_runs_alone_and_prints_what_the_notebook_shows
    static = test_whole_recipes.test_the_whole_recipe_names_nothing_it_does_not_import_or_define
    assert _runs_what_a_reader_runs([runs], test_whole_recipes)
    assert not _runs_what_a_reader_runs([static], test_whole_recipes)


def test_make_test_leaves_the_rehearsal_out_and_rehearse_and_lowest_run_it():
    makefile = (paths.project_root() / "Makefile").read_text(encoding="utf-8")
    target = {
        name: body for name, body in re.findall(r"^([a-z-]+):[^\n]*\n((?:\t[^\n]*\n)+)", makefile, flags=re.MULTILINE)
    }
    assert '-m "not rehearsal"' in target["test"]
    assert "-m rehearsal" in target["rehearse"] and "tools.rehearse --all" in target["rehearse"]
    lowest = (paths.project_root() / "tools" / "lowest_deps.sh").read_text(encoding="utf-8")
    runs = [line for line in lowest.splitlines() if "-m pytest" in line]
    assert runs and not any("rehearsal" in line for line in runs)  # the lowest versions run both tiers
