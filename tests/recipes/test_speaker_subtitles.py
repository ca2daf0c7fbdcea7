"""speaker-subtitles: the notebook's ``speaker_cues``, ``to_coloured_srt`` and ``to_voiced_vtt`` on
words worked out by hand and on the transcript its cassette recorded, and the files it writes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.recipes.subtitle_files import WORDS, check_written_files, recorded_words
from tests.recipes.whole_recipe_alone import replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

SLUG = "speaker-subtitles"


@pytest.fixture(scope="module")
def lesson() -> dict:
    names = ["speaker_cues", "speaker_styles", "srt_time", "vtt_time", "to_coloured_srt", "to_voiced_vtt"]
    return load_definitions(SLUG, names, ("PALETTE", "PEOPLE"))


#: What speaker identification answers for ``WORDS``: Priya speaks as A, Ollie as B.
IDENTIFIED = dict(zip("AB", ["Priya", "Ollie"], strict=True))


def _styled(lesson) -> tuple[list[dict], dict, dict]:
    """The cues of ``WORDS`` with the notebook's colours and names."""
    cues = lesson["speaker_cues"](WORDS)
    return (cues, *lesson["speaker_styles"](["A", "B"], IDENTIFIED, lesson["PEOPLE"]))


def test_each_person_keeps_their_colour_whatever_their_letter(lesson):
    people, palette = lesson["PEOPLE"], lesson["PALETTE"]
    colours, names = lesson["speaker_styles"](["A", "B"], dict(zip("AB", people, strict=True)), people)
    swapped_colours, swapped_names = lesson["speaker_styles"](["A", "B"], dict(zip("BA", people, strict=True)), people)
    assert names == {"A": "Priya", "B": "Ollie"} and swapped_names == {"A": "Ollie", "B": "Priya"}
    assert colours == {"A": palette[0], "B": palette[1]}
    assert swapped_colours == {"A": palette[1], "B": palette[0]}


def test_a_name_given_to_two_speakers_is_refused(lesson):
    with pytest.raises(ValueError, match="a name is given to two speakers"):
        lesson["speaker_styles"](["A", "B"], dict.fromkeys("AB", "Priya"), lesson["PEOPLE"])


@pytest.mark.parametrize("answer", [{}, {"C": "C"}, {"C": "Sam"}, {"C": None}])
def test_a_voice_left_unnamed_keeps_its_letter_and_the_next_colour(lesson, answer):
    """A third speaker nobody listed: unmapped, mapped to its own letter or to a name outside the list."""
    people, palette = lesson["PEOPLE"], lesson["PALETTE"]
    colours, names = lesson["speaker_styles"](["A", "B", "C"], {**IDENTIFIED, **answer}, people)
    assert names == {"A": "Priya", "B": "Ollie", "C": "Speaker C"}
    assert colours["C"] == palette[2] and len(set(colours.values())) == 3


@pytest.mark.parametrize(
    ("ms", "srt", "vtt"),
    [
        (0, "00:00:00,000", "00:00:00.000"),
        (999, "00:00:00,999", "00:00:00.999"),
        (59_999, "00:00:59,999", "00:00:59.999"),
        (3_600_000, "01:00:00,000", "01:00:00.000"),
        (3_723_004, "01:02:03,004", "01:02:03.004"),
        (36_000_000 * 10, "100:00:00,000", "100:00:00.000"),
    ],
)
def test_timestamps(lesson, ms, srt, vtt):
    assert lesson["srt_time"](ms) == srt
    assert lesson["vtt_time"](ms) == vtt


def test_cues_limit_length_and_keep_speakers_apart(lesson):
    cues = lesson["speaker_cues"](WORDS, max_chars=16)
    assert [c["text"] for c in cues] == ["Welcome back to", "the show.", "Thanks for", "having me."]
    assert all(len(c["text"]) <= 16 for c in cues)
    assert [c["speaker"] for c in cues] == ["A", "A", "B", "B"]
    assert [c["index"] for c in cues] == [1, 2, 3, 4]
    assert (cues[1]["start"], cues[1]["end"]) == (820, 1500)
    assert lesson["speaker_cues"](WORDS, max_chars=3)[0]["text"] == "Welcome"  # a long word still gets a cue


def test_words_without_speakers_are_refused(lesson):
    with pytest.raises(ValueError, match="speaker_labels=True"):
        lesson["speaker_cues"]([SimpleNamespace(text="x", start=0, end=1, speaker=None)])


def test_coloured_srt_keeps_its_text_and_times(lesson):
    import srt

    cues, colours, _ = _styled(lesson)
    text = lesson["to_coloured_srt"](cues, colours)
    assert text.startswith('1\n00:00:00,000 --> 00:00:01,500\n<font color="#FFD700">Welcome back to the show.</font>')
    assert '<font color="#00BFFF">Thanks for having me.</font>' in text
    parsed = [(s.index, s.start.total_seconds(), s.end.total_seconds(), s.content) for s in srt.parse(text)]
    assert parsed == [
        (1, 0.0, 1.5, '<font color="#FFD700">Welcome back to the show.</font>'),
        (2, 2.0, 9.4, '<font color="#00BFFF">Thanks for having me.</font>'),
    ]


def test_vtt_voices_and_styles(lesson):
    import webvtt

    text = lesson["to_voiced_vtt"](*_styled(lesson))
    assert text.startswith("WEBVTT\n\nSTYLE\n")
    assert '::cue(v[voice="Priya"]) { color: #FFD700; }' in text
    assert '::cue(v[voice="Ollie"]) { color: #00BFFF; }' in text
    assert "<v Priya>Welcome back to the show.</v>" in text
    parsed = [(c.start, c.end, c.voice, c.text) for c in webvtt.from_string(text)]
    assert parsed == [
        ("00:00:00.000", "00:00:01.500", "Priya", "Welcome back to the show."),
        ("00:00:02.000", "00:00:09.400", "Ollie", "Thanks for having me."),
    ]


def test_the_recorded_transcript_gives_the_recorded_cues(lesson):
    """Step 2's table and step 5's count, as the notebook recorded them."""
    words = recorded_words(SLUG)
    cues = lesson["speaker_cues"](words)
    assert len(cues) == 34  # "SRT: 34 cues; WebVTT: 34 cues"
    assert [(c["start"], c["end"], c["speaker"]) for c in cues[:5]] == [
        (0, 2763, "B"),  # the emulator letters the podcast's host B (letters are not an order)
        (2769, 5072, "B"),
        (5072, 7852, "B"),
        (8003, 9540, "B"),
        (9973, 13239, "A"),
    ]
    assert cues[0]["text"] == "Welcome back to Work Bench Radio. Today"
    assert all(len(c["text"]) <= 42 for c in cues)
    assert " ".join(c["text"] for c in cues) == " ".join(w.text for w in words)


@pytest.mark.end_to_end
def test_every_subtitle_file_the_recipe_writes_parses(tmp_path, monkeypatch):
    expected = {"podcast-clip.speakers.srt", "podcast-clip.speakers.vtt", "whole-recipe/podcast-clip.vtt"}
    check_written_files(SLUG, expected, tmp_path, monkeypatch)


# --- the whole recipe, run alone ------------------------------------------------------------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_refuses_words_without_a_speaker(tmp_path):
    """Speaker labels left off: refused as Step 2 refuses them, and no file is written."""
    run = run_alone("speaker-subtitles", replaced("speaker_labels=True)", "speaker_labels=False)"), cwd=tmp_path)
    assert run.returncode == 1
    assert "ValueError: these words have no speaker: transcribe with speaker_labels=True" in run.stderr
    assert not list(tmp_path.rglob("*.srt"))
