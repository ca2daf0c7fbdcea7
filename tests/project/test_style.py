"""The house style's mechanical rules (docs/style.md), checked on every notebook under notebooks/.

The checks find the notebooks on disk, so a new recipe is held to them from its first commit. Each
failure says which cell breaks which rule and what to do. Judgement (is the lesson visible, is the
prose plain) stays with the writer and the reviewer.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import paths, registry
from cookbook_utils.session import LINE_WIDTH
from tools import registry as tool

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(paths.notebooks().items())
REGISTRY = registry.load(ROOT)
WHOLE_RECIPE = "## The whole recipe in one cell"
GOING_FURTHER = "## Going further"

#: What must never appear in a stored output: loopback addresses and ports, this machine's paths.
LOCAL = re.compile(
    r"(?P<loopback>\b(?:127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0)(?::\d+)?|\[::1\](?::\d+)?)"
    r"|(?P<path>(?<![\w.])/(?:home|root|tmp|work|Users|var/folders)/[\w.-]+|[A-Z]:\\\\Users|site-packages)"
)
#: A bare transcript id (a UUID) in an output: say what the transcript is instead.
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
#: Markdown links to a file next to the notebook or in another folder of the cookbook.
RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+?)(?:#[^)]*)?\)")


def _load(path: Path):
    return nbformat.read(path, as_version=4)


def _where(slug: str, index: int) -> str:
    return f"{slug}: cell {index}"


def _output_texts(cell) -> list[tuple[str, str]]:
    """``(kind, text)`` of each stored output of a code cell that a reader sees as text."""
    texts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(("stream", output.text))
        elif output.output_type in {"execute_result", "display_data"}:
            data = output.get("data", {})
            for mime in ("text/html", "text/markdown", "text/plain"):
                if mime in data:
                    texts.append((mime, data[mime]))
                    break
        elif output.output_type == "error":
            texts.append(("error", "\n".join(output.get("traceback", []))))
    return texts


parametrize = pytest.mark.parametrize(("slug", "path"), NOTEBOOKS, ids=[slug for slug, _ in NOTEBOOKS])


def test_the_output_checks_can_fail():
    for local in ("http://127.0.0.1:41375/a.mp3", "localhost:8000", "/tmp/ipykernel_12/1.py", "/work/wt/x/data"):
        assert LOCAL.search(local), local
    for fine in ("data/cassettes/x.yaml", "0:00:05", "<workdir>/python/%(title)s.%(ext)s", "s3://bucket/key"):
        assert not LOCAL.search(fine), fine
    assert UUID.search("Transcript fb6347e5-1e8e-01a7-5fe4-59e5699324e4: 109 s")
    assert RELATIVE_LINK.findall("[a](../speakers/x.ipynb) [b](https://x.y/z) [c](#top)") == ["../speakers/x.ipynb"]


def test_the_checks_see_every_notebook():
    assert len(NOTEBOOKS) >= 8, "tests/project/test_style.py found fewer notebooks than the cookbook has"


@parametrize
def test_it_opens_with_a_title_and_a_markdown_cell_before_every_code_cell(slug, path):
    nb = _load(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{slug}: the first cell must be markdown starting with the recipe's '# Title'"
    )
    bare = [
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and nb.cells[i - 1].cell_type != "markdown"
    ]
    assert not bare, (
        f"{slug}: code cells {bare} follow another code cell; put a markdown cell before each one saying why "
        "the code is there (docs/style.md, Anatomy)"
    )


@parametrize
def test_the_colab_cell_and_the_setup_cell_have_the_generated_shape(slug, path):
    nb = _load(path)
    recipe = REGISTRY.recipe(slug)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[0].source == tool.colab_block(recipe), (
        f"{slug}: the first code cell must be the Colab block alone, as tools/registry.py writes it: "
        "run `make registry`"
    )
    setup = code[1].source
    assert setup.rstrip().endswith(f'session = cu.setup("{slug}")'), (
        f'{slug}: the setup cell (second code cell) must end with `session = cu.setup("{slug}")`'
    )
    if tool.uses_setting(_load(path), "SPEECH_MODELS"):
        assert tool.speech_models_block() in setup, (
            f"{slug}: the setup cell must carry the literal SPEECH_MODELS list of cookbook_utils/config.py: "
            "run `make registry`"
        )


@parametrize
def test_lesson_code_uses_the_literal_speech_models(slug, path):
    cells = [i for i, cell in enumerate(_load(path).cells) if "session.speech_models" in cell.source]
    assert not cells, f"{slug}: cells {cells} read session.speech_models; use the SPEECH_MODELS list of the setup cell"


def _session_uses(source: str) -> list[int]:
    """Lines where code reads the notebook's ``session`` other than as ``session.audio/media/text(...)``
    (a word in a string, such as a voice agent's ``"session.update"`` event, is not a use)."""
    import ast

    tree = ast.parse(source)
    allowed = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("audio", "media", "text")
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "session" and id(node) not in allowed
    ]


def test_session_uses_sees_names_not_words():
    assert _session_uses('x = session.audio("a.mp3")\ny = "session.update"') == []
    assert _session_uses("x = session.replaying") == [1]
    assert _session_uses("def f(session):\n    return session") == [2]


@parametrize
def test_it_ends_with_the_whole_recipe_in_one_cell_then_going_further(slug, path):
    nb = _load(path)
    whole = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and WHOLE_RECIPE in (line.strip() for line in c.source.split("\n"))
    ]
    assert whole, f"{slug}: no '{WHOLE_RECIPE}' section: end the recipe with one self-contained function"
    after = [c for c in nb.cells[whole[0] + 1 :] if c.cell_type == "code"]
    assert after and re.search(r"^def \w+\(", after[0].source, re.M), (
        f"{slug}: the cell after '{WHOLE_RECIPE}' must define the recipe as a function (def ...) and call it"
    )
    assert not _session_uses(after[0].source), (
        f"{slug}: the whole-recipe cell may use `session` only for the paths of shipped files (audio, media, "
        "text); write the configuration literally"
    )
    further = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and GOING_FURTHER in c.source]
    assert further and further[-1] > whole[0], f"{slug}: a '{GOING_FURTHER}' section must follow the whole recipe"
    assert "https://www.assemblyai.com/docs" in "".join(nb.cells[i].source for i in further), (
        f"{slug}: '{GOING_FURTHER}' must link the API reference pages the recipe uses (https://www.assemblyai.com/docs/...)"
    )


@parametrize
def test_every_relative_link_resolves(slug, path):
    broken = []
    for i, cell in enumerate(_load(path).cells):
        if cell.cell_type != "markdown":
            continue
        for target in RELATIVE_LINK.findall(cell.source):
            if not (path.parent / target).resolve().exists():
                broken.append(f"cell {i}: {target}")
            elif target.endswith(".ipynb") and Path(target).stem not in dict(NOTEBOOKS):
                broken.append(f"cell {i}: {target} is not a recipe")
    assert not broken, (
        f"{slug}: relative links that lead nowhere: {broken}; link only recipes that exist, as "
        "../<category>/<slug>.ipynb (or list them under related: in recipes.yml)"
    )


@parametrize
def test_printed_lines_fit_the_page(slug, path):
    long = []
    for i, cell in enumerate(_load(path).cells):
        for kind, text in _output_texts(cell):
            if kind in {"stream", "text/plain"}:
                lines = [line for line in text.split("\n") if len(line) > LINE_WIDTH]
                long += [f"cell {i}: {len(line)} columns: {line[:50]}..." for line in lines]
    assert not long, (
        f"{slug}: printed lines longer than {LINE_WIDTH} columns (wrap them with textwrap, shorten them, "
        f"or show a DataFrame), then re-record: {long}"
    )


@parametrize
def test_outputs_hold_nothing_local_or_volatile(slug, path):
    found = []
    for i, cell in enumerate(_load(path).cells):
        for kind, text in _output_texts(cell):
            found += [f"cell {i} ({kind}): {m.group(0)!r}" for m in LOCAL.finditer(text)]
            found += [f"cell {i} ({kind}): transcript id {m.group(0)}" for m in UUID.finditer(text)]
    assert not found, (
        f"{slug}: outputs show loopback addresses, ports, this machine's paths or bare ids: {found}; print what "
        "the reader needs instead (a file name, the transcript's status or length), then re-record"
    )


@parametrize
def test_one_stream_output_per_cell(slug, path):
    split = []
    for i, cell in enumerate(_load(path).cells):
        names = [o.name for o in cell.get("outputs", []) if o.output_type == "stream"]
        if len(names) != len(set(names)):
            split.append(i)
    assert not split, (
        f"{slug}: cells {split} store their printed text in several pieces; print once per cell (collect the lines, "
        "or show a DataFrame), or let the recorder merge them, then re-record"
    )


@parametrize
def test_no_error_outputs_are_stored(slug, path):
    errors = [
        i for i, cell in enumerate(_load(path).cells) for o in cell.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, f"{slug}: cells {errors} stored an error; catch the failure the recipe shows, then re-record"


def test_at_least_five_recipes_show_a_figure_or_a_table():
    showing = []
    for slug, path in NOTEBOOKS:
        for cell in _load(path).cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data or "image/svg+xml" in data or "<table" in str(data.get("text/html", "")):
                    showing.append(slug)
    showing = sorted(set(showing))
    assert len(showing) >= min(5, len(NOTEBOOKS)), (
        f"only {showing} show a figure or a table; show results as DataFrames and matplotlib figures (docs/style.md)"
    )


# --- What the notebook reviews found, checked where a machine can see it (issue 28) ---------------------------

#: A cell of an HTML table, and the tags inside it.
TABLE_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
TAG = re.compile(r"<[^>]+>")
#: pandas' cut (``display.max_colwidth``) and ``textwrap.shorten``'s placeholder at a cell's end.
CUT = re.compile(r"(?:\.\.\.|…|\[\.\.\.\])\s*$")
#: An object's default repr, such as ``<pandas.io.formats.style.Styler at 0x7f…>``: volatile and meaningless.
OBJECT_REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-f]+>")
#: A number with pandas Styler's default six decimals (``10.500000``): format it for people.
SIX_DECIMALS = re.compile(r"^-?\d+\.\d{6}$")
#: SDK calls whose result is a transcript that may have failed.
TRANSCRIPT_CALLS = {"transcribe", "get_by_id", "wait_for_completion"}
#: Clients whose ``transcribe`` answers in the same response and raises on failure: no status to check.
ONE_REQUEST_CLIENTS = ("SyncTranscriber", "AsyncSyncTranscriber", "DictationTranscriber", "AsyncDictationTranscriber")
#: What a failed transcript does not have (``None``), read before its status is checked.
TRANSCRIPT_READS = {
    "text", "words", "utterances", "json_response", "audio_duration", "export_subtitles_srt", "export_subtitles_vtt",
    "get_sentences", "get_paragraphs", "word_search", "chapters", "entities", "language_code", "confidence",
}  # fmt: skip
#: A call that checks what it is given (``check_transcript(t)``, ``require_completed(t)``).
CHECKING_CALL = re.compile(r"check|require|ensure|complet|raise|fail|assert", re.I)


#: A text output line cut short: ``textwrap.shorten``'s ``[...]``, an ellipsis, or a word cut by ``[:n]`` then "...".
CUT_LINE = re.compile(r"(?:\[\.\.\.\]|…|[^\s.]\s*\.\.\.)[\"')\]]*\s*$")  # also inside a closing quote
#: A progress line ("Waiting for the transcript..."): its "..." says work goes on, not that text was cut.
PROGRESS_LINE = re.compile(r"^\s*\w+ing\b[\w ,]{0,40}\.\.\.\s*$")
#: What a code cell says when its output is shortened on purpose (a preview of a long transcript).
SHORTENED_ON_PURPOSE = "# shortened on purpose:"
#: What a table cell must never be: a missing value shown as pandas or Python spells it, not as a word.
MISSING = {"NaN", "nan", "None", "<NA>", "NaT"}


def cut_text_lines(nb) -> list[str]:
    """Lines of stored text outputs (streams, and text/plain without an HTML form) that end cut short,
    in cells whose code does not say ``# shortened on purpose: <why>``."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or SHORTENED_ON_PURPOSE in cell.source:
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = output.get("text", "") if output.output_type == "stream" else ""
            if output.output_type in {"execute_result", "display_data"} and "text/html" not in data:
                text = data.get("text/plain", "")
            lines = [line for line in text.split("\n") if CUT_LINE.search(line) and not PROGRESS_LINE.match(line)]
            found += [f"cell {i}: {line[-60:]!r}" for line in lines]
    return found


def missing_value_cells(nb) -> list[str]:
    return [f"cell {i}: {text}" for i, text in table_cells(nb) if text in MISSING]


def table_cells(nb) -> list[tuple[int, str]]:
    """``(cell index, text)`` of every cell of every HTML table the notebook's outputs show."""
    found = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            page = output.get("data", {}).get("text/html", "")
            found += [(i, html.unescape(TAG.sub("", m.group(1))).strip()) for m in TABLE_CELL.finditer(page)]
    return found


def cut_table_cells(nb) -> list[str]:
    return [f"cell {i}: {text[-60:]!r}" for i, text in table_cells(nb) if CUT.search(text)]


def unformatted_numbers(nb) -> list[str]:
    return [f"cell {i}: {text}" for i, text in table_cells(nb) if SIX_DECIMALS.match(text)]


def object_reprs(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + [v for v in output.get("data", {}).values() if isinstance(v, str)]
            found += [f"cell {i}: {m.group(0)}" for text in texts for m in OBJECT_REPR.finditer(text)]
    return found


def _code_trees(nb) -> list[tuple[int, ast.Module]]:
    trees = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n")]
            try:
                trees.append((i, ast.parse("\n".join(lines))))
            except SyntaxError:
                continue
    return trees


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _scopes(tree: ast.AST) -> dict[int, object]:
    """The scope of each node below ``tree``: the id of its innermost function, or ``"top"``."""
    scopes: dict[int, object] = {}
    stack: list[tuple[ast.AST, object]] = [(tree, "top")]
    while stack:
        node, scope = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = id(child) if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else scope
            scopes[id(child)] = inner
            stack.append((child, inner))
    return scopes


def unchecked_transcript_reads(nb) -> list[str]:
    """Reads of a transcript's text, words, utterances... before anything looks at its status.

    Follows each name assigned from ``transcribe``/``get_by_id``/``wait_for_completion`` through the notebook's
    code in order, within one scope (a function, or the notebook's top level). Reading one of
    ``TRANSCRIPT_READS`` counts as unchecked until the scope reads ``name.status`` or passes the name to a
    function that does (one the notebook defines, or one named like a check)."""
    trees = _code_trees(nb)
    checkers = {
        node.name
        for _, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(isinstance(n, ast.Attribute) and n.attr == "status" for n in ast.walk(node))
    }
    one_request = {  # names bound to a sync or dictation client
        t.id
        for _, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and _call_name(node.value) in ONE_REQUEST_CLIENTS
        for t in node.targets
        if isinstance(t, ast.Name)
    }

    def answers_at_once(call: ast.Call) -> bool:
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(owner, ast.Call):
            return _call_name(owner) in ONE_REQUEST_CLIENTS
        return isinstance(owner, ast.Name) and owner.id in one_request

    events = []  # (position, scope, kind, name, attribute)
    for i, tree in trees:
        scopes = _scopes(tree)
        for node in ast.walk(tree):
            scope = scopes.get(id(node), "top")
            where = (i, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
                if _call_name(node.value) in TRANSCRIPT_CALLS and not answers_at_once(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    done = (i, node.end_lineno or 0, 0)
                    events += [(done, scope, "assign", t.id, "") for t in targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.attr == "status":
                    events.append((where, scope, "check", node.value.id, ""))
                elif node.attr in TRANSCRIPT_READS:
                    events.append((where, scope, "read", node.value.id, node.attr))
            elif isinstance(node, ast.Call):
                name = _call_name(node)
                if name in checkers or CHECKING_CALL.search(name):
                    events += [(where, scope, "check", a.id, "") for a in node.args if isinstance(a, ast.Name)]
    state: dict[tuple, str] = {}
    found = []
    for where, scope, kind, name, attribute in sorted(events, key=lambda e: e[0]):
        key = (scope, name)
        if kind == "assign":
            state[key] = "unchecked"
        elif kind == "check" and key in state:
            state[key] = "checked"
        elif kind == "read" and state.get(key) == "unchecked":
            found.append(f"cell {where[0]} line {where[1]}: {name}.{attribute}")
            state[key] = "reported"
    return found


def speaker_letter_maps(nb) -> list[str]:
    """Dict literals that give speaker letters names (``{"A": "Priya", "B": "Ollie"}``): diarization letters
    follow no promised order, so a name must come from the transcript (speaker identification, or what
    is said), not from a letter."""
    found = []
    for i, tree in _code_trees(nb):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Dict)
                and node.keys
                and all(isinstance(k, ast.Constant) and re.fullmatch(r"[A-Z]", str(k.value)) for k in node.keys)
                and all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values)
            ):
                found.append(f"cell {i}: {ast.unparse(node)[:60]}")
    return found


def _fake_notebook(code: str = "", html_table: str = "", plain: str = ""):
    cell = nbformat.v4.new_code_cell(code)
    data = {k: v for k, v in {"text/html": html_table, "text/plain": plain}.items() if v}
    cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=1)] if data else []
    return nbformat.v4.new_notebook(cells=[cell])


def test_the_review_checks_can_fail():
    cut = _fake_notebook(
        html_table="<table><tr><td>https://drive.google.com/uc?id=1A&amp;resourcek...</td></tr></table>"
    )
    assert cut_table_cells(cut) and not cut_table_cells(_fake_notebook(html_table="<td>whole text</td>"))
    assert unformatted_numbers(_fake_notebook(html_table="<td>10.500000</td>"))
    assert not unformatted_numbers(_fake_notebook(html_table="<td>10.5</td>"))
    assert object_reprs(_fake_notebook(plain="<pandas.io.formats.style.Styler at 0x7f68c3cb24d0>"))
    unchecked = "t = transcriber.transcribe(url)\nprint(t.text)"
    checked = "t = transcriber.transcribe(url)\nif t.status == aai.TranscriptStatus.error:\n    raise X\nprint(t.text)"
    helper = "def need(t):\n    assert t.status == 'completed'\n\nt = aai.Transcript.get_by_id(i)\nneed(t)\nt.words"
    assert unchecked_transcript_reads(_fake_notebook(unchecked)) == ["cell 0 line 2: t.text"]
    assert not unchecked_transcript_reads(_fake_notebook(checked))
    assert not unchecked_transcript_reads(_fake_notebook(helper))
    sync = "s = aai.SyncTranscriber()\nr = s.transcribe(p)\nq = aai.SyncTranscriber().transcribe(p)\nr.text, q.words"
    assert not unchecked_transcript_reads(_fake_notebook(sync)), "a sync answer raises on failure: no status"
    assert unchecked_transcript_reads(_fake_notebook(sync.replace("aai.SyncTranscriber()\n", "aai.Transcriber()\n")))
    assert speaker_letter_maps(_fake_notebook('names = {"A": "Priya", "B": "Ollie"}'))
    for cut_line in (
        "Speaker A: I placed an order on Monday and [...]",
        "Text: Thank you for calling Lark...",
        "It opens: Esta mañ ...",
        "completed: Thank you for calling Larkspar Books. How can  ...",
        "ok: Today I'm talking with Ollie Grant,  ...",
        "A quote that stops…",
        "     \"The phone app doesn't cope with that. The timer freezes when there's no...\"",
    ):
        assert cut_text_lines(_fake_notebook("print(text[:30])", plain=cut_line)), cut_line
    for whole_line in ("Waiting for the transcript...", "Text: Thank you for calling Larkspar Books.", ""):
        assert not cut_text_lines(_fake_notebook("print(text)", plain=whole_line)), whole_line
    said = "# shortened on purpose: the opening shows it worked\nprint(text[:30], '[...]')"
    assert not cut_text_lines(_fake_notebook(said, plain="Text opens: Thank you for [...]"))
    assert missing_value_cells(_fake_notebook(html_table="<table><tr><td>NaN</td><td>&lt;NA&gt;</td></tr></table>"))
    assert not missing_value_cells(_fake_notebook(html_table="<table><tr><td>none given</td></tr></table>"))
    assert not speaker_letter_maps(_fake_notebook('spans = {"A": [(0, 5000)], "B": [(4000, 8000)]}'))


@parametrize
def test_tables_show_their_text_whole(slug, path):
    nb = _load(path)
    cut, numbers = cut_table_cells(nb), unformatted_numbers(nb)
    assert not cut, (
        f"{slug}: table cells end cut short: {cut}. cu.setup lets pandas show text in full; drop the "
        "textwrap.shorten or [:n] that cut it (the page wraps long text), then re-record"
    )
    assert not numbers, (
        f"{slug}: table numbers with six decimals (pandas Styler's default): {numbers}; format them for "
        "people (Styler.format(precision=...) or round the column), then re-record"
    )


@parametrize
def test_text_outputs_are_whole_or_say_they_are_shortened(slug, path):
    found = cut_text_lines(_load(path))
    assert not found, (
        f"{slug}: printed lines end cut short: {found}. Print the text whole (textwrap.fill, not "
        "textwrap.shorten or [:n]); where the shortening is the point (a preview of a long transcript), say so "
        f"in the output and put `{SHORTENED_ON_PURPOSE} <why>` in the cell (docs/style.md), then re-record"
    )


@parametrize
def test_tables_show_a_word_for_a_missing_value(slug, path):
    found = missing_value_cells(_load(path))
    assert not found, (
        f"{slug}: table cells show a missing value as {sorted(MISSING)}: {found}; fill it with a word that says "
        'what it means (`df.fillna("none given")`, "not offered in the EU"), then re-record'
    )


@parametrize
def test_no_output_is_an_object_repr(slug, path):
    found = object_reprs(_load(path))
    assert not found, (
        f"{slug}: outputs store an object's repr: {found}; show a DataFrame (cu.setup gives a Styler its "
        "table's text), or print what the object holds, then re-record"
    )


@parametrize
def test_lesson_code_checks_a_transcripts_status_before_reading_it(slug, path):
    found = unchecked_transcript_reads(_load(path))
    assert not found, (
        f"{slug}: a transcript is read before its status is checked: {found}. A failed transcript has no text or "
        "words: check `transcript.status == aai.TranscriptStatus.error` (raise with `transcript.error`) first"
    )


@parametrize
def test_no_speaker_letters_are_given_names_by_hand(slug, path):
    found = speaker_letter_maps(_load(path))
    assert not found, (
        f"{slug}: speaker letters mapped to names by hand: {found}. Diarization's letters follow no promised "
        "order: take names from the transcript (speaker identification, or who is addressed)"
    )
