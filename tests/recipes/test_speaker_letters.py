"""No recipe assumes that speaker ``A`` speaks first, or that a letter stands for a given person.

Speaker letters are labels, not an order: a real 2026 transcript opens with ``B``
(``/work/shared/docs/platform-2026-12.md``, section 13 row 10). The speaker recipes' own
functions run here on a hand-built transcript whose first voice is ``B``, with a third speaker
``C`` who joins late, and every code cell of every notebook is checked for the shapes of code
that tie a person, a colour or a role to a literal letter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import assemblyai as aai
import nbformat
import numpy as np
import pytest

from cookbook_utils import paths
from tools.notebook_code import load_definitions

#: (speaker, start ms, end ms, text) of each turn: Priya opens (as ``B``), Ollie answers (``A``),
#: a caller (``C``) joins late, and Priya closes.
TURNS = [
    ("B", 0, 2000, "Welcome back to the show."),
    ("A", 2500, 4000, "Thanks for having me."),
    ("C", 4500, 5500, "Hello from Leeds."),
    ("B", 6000, 7000, "Good to hear you."),
]
FIRST_HEARD = ["B", "A", "C"]


def _words() -> list[SimpleNamespace]:
    """The turns' words as the SDK gives them, each spread evenly over its turn."""
    words = []
    for speaker, start, end, text in TURNS:
        parts = text.split()
        step = (end - start) // len(parts)
        words += [
            SimpleNamespace(text=w, start=start + i * step, end=start + (i + 1) * step, speaker=speaker)
            for i, w in enumerate(parts)
        ]
    return words


def _utterances() -> list[SimpleNamespace]:
    return [SimpleNamespace(speaker=s, start=a, end=b, text=t) for s, a, b, t in TURNS]


def _transcript() -> SimpleNamespace:
    return SimpleNamespace(
        id="b-first", status=aai.TranscriptStatus.completed, error=None, words=_words(), utterances=_utterances()
    )


@pytest.fixture
def fake_transcriber(monkeypatch):
    """``aai.Transcriber`` answering every file with the B-first transcript, without a network."""

    class Transcriber:
        def __init__(self, config=None):
            self.config = config

        def transcribe(self, audio):
            return _transcript()

    monkeypatch.setattr(aai, "Transcriber", Transcriber)


# --- speaker-subtitles ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def subtitles() -> dict:
    names = ["speaker_cues", "speaker_styles", "to_coloured_srt", "to_voiced_vtt", "speaker_subtitles"]
    return load_definitions("speaker-subtitles", names, ("PALETTE", "PEOPLE"))


#: What speaker identification answers for the B-first transcript: it names the two people it was
#: given, and leaves the caller (``C``), whom nobody listed, unnamed.
IDENTIFIED = {"B": "Priya", "A": "Ollie"}


@pytest.fixture
def fake_identification(monkeypatch):
    """``aai.LLMGateway`` whose speaker identification answers ``IDENTIFIED``, without a network."""

    class Understanding:
        def create(self, *, transcript_id, request):
            assert request["speaker_identification"]["known_values"] == ["Priya", "Ollie"]
            answer = {"speaker_identification": {"mapping": IDENTIFIED, "status": "success"}}
            return SimpleNamespace(speech_understanding={"request": request, "response": answer})

    monkeypatch.setattr(aai, "LLMGateway", lambda: SimpleNamespace(understanding=Understanding()))


def test_subtitle_names_and_colours_follow_the_people_not_the_letters(subtitles):
    colours, names = subtitles["speaker_styles"](["A", "B", "C"], IDENTIFIED, ["Priya", "Ollie"])
    palette = subtitles["PALETTE"]
    assert names == {"B": "Priya", "A": "Ollie", "C": "Speaker C"}  # the extra voice keeps its letter
    assert colours == {"B": palette[0], "A": palette[1], "C": palette[2]}


def test_subtitle_files_name_and_colour_the_b_first_transcript(subtitles):
    import srt
    import webvtt

    cues = subtitles["speaker_cues"](_words())
    colours, names = subtitles["speaker_styles"](["A", "B", "C"], IDENTIFIED, subtitles["PEOPLE"])
    palette = subtitles["PALETTE"]
    srt_cues = list(srt.parse(subtitles["to_coloured_srt"](cues, colours)))
    assert srt_cues[0].content == f'<font color="{palette[0]}">Welcome back to the show.</font>'
    assert srt_cues[2].content == f'<font color="{palette[2]}">Hello from Leeds.</font>'
    vtt = subtitles["to_voiced_vtt"](cues, colours, names)
    assert f'::cue(v[voice="Priya"]) {{ color: {palette[0]}; }}' in vtt
    assert f'::cue(v[voice="Speaker C"]) {{ color: {palette[2]}; }}' in vtt
    voiced = [(c.voice, c.text) for c in webvtt.from_string(vtt)]
    assert voiced == [
        ("Priya", "Welcome back to the show."),
        ("Ollie", "Thanks for having me."),
        ("Speaker C", "Hello from Leeds."),
        ("Priya", "Good to hear you."),
    ]


def test_subtitle_colours_cycle_for_more_voices_than_the_palette(subtitles):
    letters = "FEDCBAG"  # seven voices, none named
    colours, names = subtitles["speaker_styles"](list(letters), {}, [])
    palette = subtitles["PALETTE"]
    assert [colours[s] for s in letters] == [palette[i % len(palette)] for i in range(len(letters))]
    assert names["G"] == "Speaker G"


def test_the_whole_subtitle_recipe_on_the_b_first_transcript(
    subtitles, fake_transcriber, fake_identification, tmp_path
):
    import webvtt

    srt_path, vtt_path = subtitles["speaker_subtitles"]("show.mp3", tmp_path, ["Priya", "Ollie"])
    palette = subtitles["PALETTE"]
    assert f'<font color="{palette[0]}">Welcome back to the show.</font>' in srt_path.read_text()
    voices = [c.voice for c in webvtt.read(str(vtt_path))]
    assert voices == ["Priya", "Ollie", "Speaker C", "Priya"]


# --- talk-listen-ratio ---------------------------------------------------------------------


def test_talk_times_belong_to_the_letters_that_spoke():
    talk = load_definitions("talk-listen-ratio", ["spans_by_speaker", "talk_table", "talk_listen"])
    table = talk["talk_table"](talk["spans_by_speaker"](_utterances()))
    assert table["talk_s"].to_dict() == {"A": 1.5, "B": 3.0, "C": 1.0}
    assert table.loc["B", "listen_s"] == 2.5 and table.loc["B", "talk_listen_ratio"] == 1.2


def test_the_whole_talk_recipe_on_the_b_first_transcript(fake_transcriber):
    talk = load_definitions("talk-listen-ratio", ["talk_listen"])
    table = talk["talk_listen"]("call.mp3", ["assemblyai-stt-3-7"])
    assert table["talk_s"].to_dict() == {"A": 1.5, "B": 3.0, "C": 1.0}
    assert table.loc["C", "listen_s"] == 4.5


# --- speaker-timeline ----------------------------------------------------------------------


def test_the_timeline_matches_a_b_first_transcript_to_an_a_first_script():
    timeline = load_definitions("speaker-timeline", ["speaker_bars", "match", "agreement"])
    bars = timeline["speaker_bars"](_utterances())
    script = {"A": bars["B"], "B": bars["A"], "C": bars["C"]}  # the script letters its people A, B, C
    assert timeline["match"](bars, script) == {"A": "B", "B": "A", "C": "C"}
    assert timeline["agreement"](bars, script) == pytest.approx(1.0)


# --- nemo-async-chunking -------------------------------------------------------------------


def test_chunk_matching_letters_voices_in_the_order_they_are_first_heard():
    """Chunk 1 opens with ``B``; chunk 2's letters are its own. The merged labels are A, B, C in
    the order the voices are first heard, and each voice keeps its label across chunks."""
    lesson = load_definitions("nemo-async-chunking", ["longest_monologues", "match_speakers"])
    first = lesson["longest_monologues"](_words())
    assert list(first) == FIRST_HEARD
    voice = {label: np.eye(3)[i] for i, label in enumerate(FIRST_HEARD)}  # B, A, C: three people
    chunk1 = {label: voice[label] for label in first}
    chunk2 = {"A": voice["C"], "B": voice["B"]}  # in chunk 2 the caller is "A"
    assert lesson["match_speakers"]([chunk1, chunk2], threshold=0.5) == [
        {"B": "A", "A": "B", "C": "C"},
        {"A": "C", "B": "A"},
    ]


# --- every notebook ------------------------------------------------------------------------

_LETTER = re.compile(r"[A-Z]")
_CLAIM = re.compile(r"\b[Ss]peaker [A-Z]\b (is|was|will be)\b|\bthe (agent|customer|host) is [A-Z]\b")


def _letter(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_LETTER.fullmatch(node.value))


def letter_assumptions(source: str) -> list[str]:
    """What in ``source`` ties a literal speaker letter to a name, a colour or a role: a dict of
    letters to strings, a lookup by a literal letter, colours zipped onto "ABC...", a string that
    says who a letter is."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and node.keys and all(_letter(k) for k in node.keys):
            if all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values):
                found.append(f"line {node.lineno}: a map from letters to strings")
        elif isinstance(node, ast.Subscript) and _letter(node.slice):
            found.append(f"line {node.lineno}: a lookup by the letter {node.slice.value!r}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "zip" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("ABC"):
                found.append(f"line {node.lineno}: values zipped onto the letters {first.value!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _CLAIM.search(node.value):
            found.append(f"line {node.lineno}: says who a letter is: {_CLAIM.search(node.value).group(0)!r}")
    return found


def _code(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(
        "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        for cell in nb.cells
        if cell.cell_type == "code"
    )


@pytest.mark.parametrize(
    "source",
    [
        'names = {"A": "Priya", "B": "Ollie"}',
        'colour = colours["A"]',
        'colours = dict(zip("ABCDEFGHIJ", palette))',
        'PROMPT = "An interview (Speaker A is our researcher)."',
    ],
)
def test_the_check_finds_each_shape(source):
    assert letter_assumptions(source)


def test_the_check_leaves_hand_made_spans_and_labelled_lines_alone():
    assert letter_assumptions('example = {"A": [(0, 5000)], "B": [(4000, 8000)]}') == []
    assert letter_assumptions('line = f"Speaker {u.speaker}: {u.text}"') == []


@pytest.mark.parametrize("path", sorted(paths.notebooks().values()), ids=lambda p: p.stem)
def test_no_notebook_ties_a_person_or_a_colour_to_a_letter(path):
    assert letter_assumptions(_code(path)) == []
