"""Test-wide settings: every notebook and test runs in replay mode, with no key in sight, and no
connection leaves this machine (notebook kernels seal themselves the same way in replay)."""

import inspect
import json
import os
import types
from pathlib import Path

os.environ["COOKBOOK_MODE"] = "replay"
os.environ.pop("COOKBOOK_RECORD", None)
os.environ.pop("COOKBOOK_API_BASE_URL", None)
os.environ.pop("COOKBOOK_EU_API_BASE_URL", None)
# Notebook kernels draw figures with IPython's inline backend, as when they were recorded: an inherited
# MPLBACKEND=Agg would make plt.show() draw nothing. (Without a display, matplotlib picks Agg by itself.)
os.environ.pop("MPLBACKEND", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Kernels and scripts compute embeddings and speaker fingerprints with PyTorch; with twice as many test
# workers as cores, its OpenMP threads would spin against each other (one thread: 12% less CPU for the
# four notebooks that use it, the same outputs).
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_configure(config):
    """Block every non-loopback connection for the whole run, below every HTTP library; nbval's
    kernels talk over Unix sockets (tools/kernels.py: TCP ports race between test workers) and start
    from a process that has imported what the notebooks import first (tools/kernels.py)."""
    import nbval.kernel

    from cookbook_utils.network import block_network
    from tools.kernels import PreloadedKernelManager

    nbval.kernel.KernelManager = PreloadedKernelManager
    block_network("the test suite")


def pytest_runtest_teardown(item):
    """Seal the network again after any test that unsealed it (a live-mode ``setup()`` does, as in a
    kernel that moves from replay to live), so no later test runs with the network open."""
    import cookbook_utils.session
    from cookbook_utils.network import block_network, network_blocked

    if not network_blocked():
        block_network("the test suite")
    cookbook_utils.session._mode = None  # a live setup() in one test does not make the next one live


#: What a test calls to run what a reader runs: a whole recipe as a pasted script, in a new
#: interpreter (tools/whole_recipe.py, tests/recipes/whole_recipe_alone.py).
READER_RUNS = frozenset({"run_script", "run_whole_recipe", "run_alone", "run_replaced"})
#: What a test calls to open a page in Chromium (Playwright).
BROWSER_RUNS = frozenset({"sync_playwright"})


def _calls_any(names: frozenset[str], functions: list, module: types.ModuleType) -> bool:
    """Whether any of ``functions`` calls one of ``names``, itself or through a function of
    ``module`` (a helper of the test file), an inner function or a lambda."""
    codes = [f.__code__ for f in functions if hasattr(f, "__code__")]
    seen: set[types.CodeType] = set()
    while codes:
        code = codes.pop()
        if code in seen:
            continue
        seen.add(code)
        for name in code.co_names:
            if name in names:
                return True
            found = module.__dict__.get(name) if module else None
            if inspect.isfunction(found) and found.__module__ == module.__name__:
                codes.append(found.__code__)
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return False


def _runs_what_a_reader_runs(functions: list, module: types.ModuleType) -> bool:
    """Whether any of ``functions`` runs a whole recipe as a script (one of READER_RUNS)."""
    return _calls_any(READER_RUNS, functions, module)


def _opens_a_browser(functions: list, module: types.ModuleType) -> bool:
    """Whether any of ``functions`` opens Chromium (one of BROWSER_RUNS)."""
    return _calls_any(BROWSER_RUNS, functions, module)


def pytest_collection_modifyitems(config, items):
    """Mark the two tiers ``make test`` leaves out. ``rehearsal`` (``make rehearse``): every test that
    runs what a reader runs, a whole recipe as a script, directly, through a helper of its file or
    through a fixture, and every test of a file marked so itself. ``end_to_end`` (``make test-e2e``):
    every test that opens Chromium the same ways, and the tests marked so by hand (a tool run whole on
    a notebook in a kernel of its own)."""
    for item in items:
        function = getattr(item, "function", None)
        if function is None:
            continue
        fixtures = [
            definitions[-1].func
            for name in item.fixturenames
            if (definitions := item._fixtureinfo.name2fixturedefs.get(name))
        ]
        module = inspect.getmodule(function)
        if not item.get_closest_marker("rehearsal") and _runs_what_a_reader_runs([function, *fixtures], module):
            item.add_marker("rehearsal")
        if not item.get_closest_marker("end_to_end") and _opens_a_browser([function, *fixtures], module):
            item.add_marker("end_to_end")

    _longest_first(items)


#: Each test file's time in the last run that stored it (``make durations``), for the order below.
DURATIONS = Path(__file__).parent / "tests" / "durations.json"
#: Files that go to one worker together (``--dist loadfile`` otherwise hands out one file at a time). The
#: real-time ones wait on the clock far more than they compute: together they leave the other workers both
#: cores, where spread out they would start together and leave the cores idle. The PyTorch ones import it,
#: and sentence-transformers (9 CPU-seconds) or resemblyzer, once instead of once per worker.
SCOPES = {
    "real-time voice agents": ("tests/emulator/agents/", "tests/recipes/test_voice_agent_resume.py"),
    "real-time notebooks": ("notebooks/voice-agents/", "notebooks/streaming/"),
    "PyTorch": (
        "tests/package/test_embeddings.py",
        "tests/package/test_diarization.py",
        "tests/recipes/test_quotes_semantic_search.py",
        "tests/recipes/test_nemo_async_chunking.py",
        "tests/recipes/test_pyannote_speaker_labels.py",
    ),
}


def scope(nodeid: str) -> str:
    """The unit of work a test goes to a worker in: its group in ``SCOPES``, else its file."""
    name = nodeid.split("::")[0]
    return next((group for group, paths in SCOPES.items() if name.startswith(paths)), name)


def _longest_first(items: list) -> None:
    """Order the units of work longest first, each file's tests in their own order. ``--dist loadfile``
    hands them to the workers in this order (``--no-loadscope-reorder``; by default it puts the files with the
    most tests first, which left the voice-agent files of three tests each, real-time and among the
    longest, for last). A file not in ``tests/durations.json`` counts as a long one, so it starts early."""
    known = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    unknown = max(known.values(), default=0.0)
    weight: dict[str, float] = {}
    for name in dict.fromkeys(item.nodeid.split("::")[0] for item in items):
        weight[scope(name)] = weight.get(scope(name), 0.0) + known.get(name, unknown)
    position = {item: number for number, item in enumerate(items)}
    items.sort(key=lambda item: (-weight[scope(item.nodeid)], scope(item.nodeid), position[item]))


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the groups of ``SCOPES`` as units of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class GroupedFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope(nodeid)

    return GroupedFiles(config, log)


def pytest_addoption(parser):
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="write each test file's time in this run to tests/durations.json (the order of later runs)",
    )


_file_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Add up each file's setup, call and teardown times (on the controller, from every worker)."""
    name = report.nodeid.split("::")[0]
    _file_seconds[name] = _file_seconds.get(name, 0.0) + report.duration


def pytest_sessionfinish(session):
    if not session.config.getoption("--store-durations") or hasattr(session.config, "workerinput"):
        return
    stored = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    stored.update({name: round(seconds, 2) for name, seconds in _file_seconds.items()})
    stored = {name: seconds for name, seconds in stored.items() if (Path(session.config.rootpath) / name).exists()}
    DURATIONS.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n")
