"""The tiers of the suite (conftest.py): ``make test`` leaves out the tests marked ``rehearsal``,
those that run what a reader runs (a whole recipe as a pasted script, a notebook on a free key),
which ``make rehearse`` runs, and those marked ``end_to_end`` (a tool run whole on a notebook, a
page in Chromium), which ``make test-e2e`` runs; ``make test-lowest`` runs all of them. The marking
is by what a test calls, so a new recipe's script and browser tests join their tier from their
first commit."""

from __future__ import annotations

import re
import types

from conftest import _opens_a_browser, _runs_what_a_reader_runs
from cookbook_utils import paths
from tests.project import test_whole_recipes
from tests.recipes import test_common_errors


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

def browser():
    with sync_playwright() as playwright:
        yield playwright.chromium.launch()

def test_through_a_fixture(browser):
    browser.new_page()
"""


def test_a_test_that_runs_a_script_directly_through_a_helper_or_a_lambda_is_a_rehearsal():
    module = _module(SYNTHETIC)
    verdicts = {name: _runs_what_a_reader_runs([getattr(module, name)], module) for name in dir(module)}
    assert verdicts["test_direct"] and verdicts["test_through_a_helper"] and verdicts["test_through_a_lambda"]
    assert not verdicts["test_a_unit"]


def test_a_test_that_opens_chromium_itself_or_through_its_fixture_is_end_to_end():
    module = _module(SYNTHETIC)
    assert _opens_a_browser([module.test_through_a_fixture, module.browser], module)
    assert not _opens_a_browser([module.test_through_a_fixture], module)  # the fixture is what opens it
    assert not _opens_a_browser([module.test_direct], module)
    assert not _runs_what_a_reader_runs([module.browser], module)


def test_the_whole_recipe_run_is_a_rehearsal_and_its_static_check_is_not():
    runs = test_whole_recipes.test_the_whole_recipe_runs_alone_and_prints_what_the_notebook_shows
    static = test_whole_recipes.test_the_whole_recipe_names_nothing_it_does_not_import_or_define
    assert _runs_what_a_reader_runs([runs], test_whole_recipes)
    assert not _runs_what_a_reader_runs([static], test_whole_recipes)
    faulted = test_common_errors.test_the_whole_recipe_alone_says_a_server_error_is_worth_retrying_and_a_refusal_is_not
    assert _runs_what_a_reader_runs([faulted], test_common_errors)  # through tools.whole_recipe.run_whole_recipe


def test_make_test_leaves_both_tiers_out_and_ci_runs_each_of_them():
    makefile = (paths.project_root() / "Makefile").read_text(encoding="utf-8")
    rule = r"^([a-z0-9-]+):[^\n]*\n((?:\t[^\n]*\n)+)"
    target = dict(re.findall(rule, makefile, flags=re.MULTILINE))
    assert '-m "not rehearsal and not end_to_end"' in target["test"]
    assert "-m end_to_end" in target["test-e2e"]
    assert "-m rehearsal" in target["rehearse"] and "tools.rehearse --all" in target["rehearse"]
    lowest = (paths.project_root() / "tools" / "lowest_deps.sh").read_text(encoding="utf-8")
    runs = [line.strip() for line in lowest.splitlines() if line.strip().startswith("run_tests -m")]
    # the lowest versions run every tier, one after another
    assert runs == [
        'run_tests -m "not rehearsal and not end_to_end"',
        "run_tests -m end_to_end",
        "run_tests -m rehearsal",
    ]
    ci = (paths.project_root() / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line for line in ci.splitlines() if line.startswith("make ")]
    assert steps == ["make test", "make test-e2e", "make rehearse", "make test-lowest"]
