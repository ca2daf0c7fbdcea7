"""The batch-transcription recipe's own code (run from the notebook, see tools/notebook_code.py)
against the local emulator: the ledger resumes a run without submitting anything twice, failures
are kept with their error, and the webhook receiver gets the emulator's deliveries."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import Counter
from http.server import ThreadingHTTPServer

import pytest

from cookbook_utils import paths
from cookbook_utils.network import serve_in_background
from tools import spec
from tools.notebook_code import load_definitions

LESSON = ["run_batch", "transcribe_file", "open_ledger", "mark", "WebhookReceiver"]


@pytest.fixture
def live(monkeypatch):
    """The SDK pointed at an emulator (processing takes 0.4 s), and a count of transcript submissions."""
    import assemblyai as aai
    import httpx

    from tools.emulator import Emulator

    submissions: Counter = Counter()
    original = httpx.Client.send

    def send(self, request, **kwargs):
        if request.method == "POST" and request.url.path == "/v2/transcript":
            submissions["create"] += 1
        return original(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    with Emulator(api_key="test-key-for-the-emulator", processing_seconds=0.4) as emulator:
        monkeypatch.setattr(aai.settings, "api_key", "test-key-for-the-emulator")
        monkeypatch.setattr(aai.settings, "base_url", emulator.base_url)
        monkeypatch.setattr(aai.settings, "polling_interval", 0.1)
        ns = load_definitions("batch-transcription", LESSON, ("LEDGER_TABLE", "LOCK", "CONFIG", "BAR"))
        from tqdm.auto import tqdm  # the steps import it under a warnings filter, which the loader skips

        ns.setdefault("tqdm", tqdm)
        ns["emulator"], ns["submissions"] = emulator, submissions
        yield ns


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("clip-es.mp3", "clip-fr.mp3", "clip-de.mp3"):
        shutil.copy(paths.audio_file(name), folder / name)
    (folder / "notes.txt").write_text("not audio\n")
    return folder


def test_an_interrupted_run_resumes_from_the_ledger_without_submitting_twice(live, inbox, tmp_path):
    outbox = tmp_path / "out"
    first = live["run_batch"](inbox, outbox, concurrency=2, max_files=2)
    assert Counter(first["status"]) == {"completed": 2, "pending": 2}
    # A crash after submission: clip-fr is submitted, its id in the ledger, but never read.
    db = sqlite3.connect(outbox / "ledger.sqlite", isolation_level=None)
    import assemblyai as aai

    transcript_id = aai.Transcriber(config=live["CONFIG"]).submit(str(inbox / "clip-fr.mp3")).id
    db.execute("UPDATE files SET status = 'submitted', transcript_id = ? WHERE name = 'clip-fr.mp3'", (transcript_id,))
    before = live["submissions"]["create"]

    second = live["run_batch"](inbox, outbox, concurrency=2)
    assert live["submissions"]["create"] - before == 1  # only notes.txt: clip-fr was read by its id
    assert second.loc["clip-fr.mp3", "status"] == "completed"
    assert second.loc["notes.txt", "status"] == "error"
    assert "does not appear to contain audio" in second.loc["notes.txt", "error"]
    assert sorted(p.name for p in outbox.glob("*.txt")) == ["clip-de.txt", "clip-es.txt", "clip-fr.txt"]
    assert (outbox / "clip-fr.txt").read_text().strip()

    third = live["run_batch"](inbox, outbox, concurrency=2)  # nothing left to do
    assert live["submissions"]["create"] - before == 1
    assert third.equals(second)


def test_the_webhook_receiver_hears_each_finished_transcript(live, inbox):
    import assemblyai as aai

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), live["WebhookReceiver"])
    receiver.finished = {}
    serve_in_background(receiver)
    try:
        config = aai.TranscriptionConfig(speech_models=live["SPEECH_MODELS"], language_detection=True)
        config.set_webhook(f"http://127.0.0.1:{receiver.server_port}/assemblyai-webhook")
        ids = {
            name: aai.Transcriber(config=config).submit(str(inbox / name)).id for name in ("clip-es.mp3", "notes.txt")
        }
        deadline = time.monotonic() + 20
        while len(receiver.finished) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        receiver.shutdown()
    assert receiver.finished == {ids["clip-es.mp3"]: "completed", ids["notes.txt"]: "error"}
    assert {d["code"] for d in live["emulator"].webhooks} == {200}


def _whole_recipe_script(emulator, folder) -> str:
    """The whole recipe as a reader's script (tools/whole_recipe.py), its scratch folder ``folder``."""
    import nbformat

    from tools.whole_recipe import as_script, real_origins, whole_recipe_cell

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("batch-transcription"), as_version=4))
    script = as_script(source, real_origins(emulator))
    assert "Path(tempfile.mkdtemp())" in script
    # The demonstration removes its scratch copy at the end; here a second run resumes from it.
    assert script.count("shutil.rmtree(inbox.parent)") == 1
    script = script.replace("shutil.rmtree(inbox.parent)", "pass")
    return script.replace("Path(tempfile.mkdtemp())", f"Path({str(folder)!r})")


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_alone_keeps_a_refused_upload_and_a_second_run_submits_nothing_again(tmp_path):
    from tools.emulator import Emulator
    from tools.emulator.faults import Fault, FaultPlan
    from tools.whole_recipe import run_script, script_env

    plan = FaultPlan([Fault("503", method="POST", path="/v2/upload", nth=[2])])
    with Emulator(api_key="batch-key", notebook="batch-transcription", faults=plan) as emulator:
        script = _whole_recipe_script(emulator, tmp_path)
        first = run_script(script, script_env(emulator), cwd=tmp_path)
        made = len(emulator.state.transcripts)
        second = run_script(script.replace("inbox.mkdir()", "inbox.mkdir(exist_ok=True)"), script_env(emulator))
        assert len(emulator.state.transcripts) == made  # nothing submitted (or paid for) twice
    assert first.returncode == 0, first.stderr[-2000:]
    lines = first.stdout.replace("\n    ", " ").splitlines()  # a long error wraps, indented
    assert len(lines) == 5
    refused = [line for line in lines if "TranscriptError: Failed to upload audio file" in line]
    assert len(refused) == 1 and ": error (" in refused[0]  # kept against its file, with the reason
    # The uploads run in a pool, so which file is the second upload (the refused one) varies.
    notes_refused = refused[0].startswith("notes.txt:")
    completed = sum(line.endswith(": completed") for line in lines)
    assert completed == (4 if notes_refused else 3)
    if not notes_refused:
        assert any(line.startswith("notes.txt: error (Transcoding failed. File does not appear") for line in lines)
    assert made == 4  # the refused upload never became a transcript
    assert second.returncode == 0 and second.stdout == first.stdout, second.stderr[-2000:]
    assert len(list((tmp_path / "transcripts").glob("*.txt"))) == completed


def test_the_whole_recipe_shares_its_ledger_connection_under_a_lock():
    import ast

    import nbformat

    from tools.whole_recipe import whole_recipe_cell

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("batch-transcription"), as_version=4))
    tree = ast.parse(source)
    executes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute"
    ]
    locked = [
        node
        for w in ast.walk(tree)
        if isinstance(w, ast.With) and any(ast.unparse(item.context_expr) == "lock" for item in w.items)
        for node in ast.walk(w)
        if node in executes
    ]
    assert executes and locked == executes  # every db.execute runs holding the lock


def _uses_outside_the_lock(source: str, connection: str, lock: str, exempt: set[str]) -> list[str]:
    """Calls where ``connection`` is used (a method of it, or passed to a library) outside a
    ``with <lock>:`` block, in functions not named in ``exempt``."""
    import ast

    found: list[str] = []

    def visit(node: ast.AST, locked: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in exempt:
            return
        if isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Name) and item.context_expr.id == lock for item in node.items
        ):
            locked = True
        if isinstance(node, ast.Call) and not locked:
            # db.execute(...), or db handed to a library (pd.read_sql(..., db)); the recipe's own
            # functions that take it (mark, transcribe_file) are checked themselves.
            named = [node.func.value] if isinstance(node.func, ast.Attribute) else []
            if isinstance(node.func, ast.Attribute) and node.func.attr.startswith("read_sql"):
                named += node.args
            if any(isinstance(n, ast.Name) and n.id == connection for n in named):
                found.append(ast.unparse(node))
        for child in ast.iter_child_nodes(node):
            visit(child, locked)

    visit(ast.parse(source), False)
    return found


def test_every_use_of_the_shared_connection_takes_the_lock_in_the_steps_and_the_whole_recipe():
    import nbformat

    from tools.whole_recipe import whole_recipe_cell

    nb = nbformat.read(paths.notebook_path("batch-transcription"), as_version=4)
    index, whole = whole_recipe_cell(nb)
    steps = "\n".join(c.source for c in nb.cells[:index] if c.cell_type == "code" and "db" in c.source)
    # open_ledger sets the connection up before any thread has it.
    assert _uses_outside_the_lock(steps, "db", "LOCK", {"open_ledger"}) == []
    assert _uses_outside_the_lock(whole, "db", "lock", set()) == []
    # The check sees a use outside the lock.
    assert _uses_outside_the_lock("def f(db):\n    db.execute('x')\n", "db", "lock", set()) == ["db.execute('x')"]
