"""subtitles-by-word-count: the notebook's ``srt_time``, ``build_cues`` and ``to_srt`` on words
worked out by hand and on the transcript its cassette recorded, and the files it writes."""

from __future__ import annotations

import pytest

from tests.recipes.subtitle_files import WORDS, check_written_files, recorded_words
from tests.recipes.whole_recipe_alone import replaced, run_alone
from tools import spec
from tools.notebook_code import load_definitions

SLUG = "subtitles-by-word-count"


@pytest.fixture(scope="module")
def lesson() -> dict:
    return load_definitions(SLUG, ["srt_time", "build_cues", "to_srt"])


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (0, "00:00:00,000"),
        (999, "00:00:00,999"),
        (59_999, "00:00:59,999"),
        (3_600_000, "01:00:00,000"),
        (3_723_004, "01:02:03,004"),
        (36_000_000 * 10, "100:00:00,000"),  # hours may pass 99
        (1234.4, "00:00:01,234"),
        (1234.5, "00:00:01,235"),  # halves round up, not to even
        (999.6, "00:00:01,000"),  # rounding carries into the seconds
        (3_599_999.5, "01:00:00,000"),  # ... and into the hours
    ],
)
def test_srt_timestamps(lesson, ms, expected):
    assert lesson["srt_time"](ms) == expected


def test_cues_limit_words_speaker_and_duration(lesson):
    cues = lesson["build_cues"](WORDS, 3, max_duration_ms=5000)
    assert [c["text"] for c in cues] == ["Welcome back to", "the show.", "Thanks for having", "me."]
    assert [c["index"] for c in cues] == [1, 2, 3, 4]
    assert (cues[0]["start"], cues[0]["end"]) == (0, 800)
    # Four words: "show." ends A's caption and B starts a new one (no caption mixes speakers).
    long = lesson["build_cues"](WORDS, 4)
    assert [c["text"] for c in long] == ["Welcome back to the", "show.", "Thanks for having me."]
    # Without the duration cap, "me." (six seconds later) joins its caption; with it, it cannot.
    assert long[-1]["end"] - long[-1]["start"] == 7400
    capped = lesson["build_cues"](WORDS, 4, max_duration_ms=3000)
    assert [c["text"] for c in capped[-2:]] == ["Thanks for having", "me."]
    assert all(c["end"] - c["start"] <= 3000 for c in capped)


def test_cues_need_a_positive_word_count(lesson):
    with pytest.raises(ValueError, match="at least 1"):
        lesson["build_cues"](WORDS, 0)


def test_srt_round_trips_through_the_srt_library(lesson):
    import srt

    cues = lesson["build_cues"](WORDS, 3, max_duration_ms=5000)
    text = lesson["to_srt"](cues)
    assert text.startswith("1\n00:00:00,000 --> 00:00:00,800\nWelcome back to\n\n2\n")
    parsed = [
        (s.index, round(s.start.total_seconds() * 1000), round(s.end.total_seconds() * 1000), s.content)
        for s in srt.parse(text)
    ]
    assert parsed == [(c["index"], c["start"], c["end"], c["text"]) for c in cues]


def test_a_broken_arrow_is_refused_by_the_parser(lesson):
    import srt

    broken = lesson["to_srt"](lesson["build_cues"](WORDS, 3)).replace("-->", "->", 1)
    with pytest.raises(srt.SRTParseError):
        list(srt.parse(broken))


#: The notebook's step 3 table, as recorded: (words, cap) -> (captions, longest s, mean s).
RECORDED = {
    (3, None): (79, 1.98, 1.00),
    (3, 3000): (79, 1.98, 1.00),
    (6, None): (42, 2.85, 1.90),
    (6, 3000): (42, 2.85, 1.90),
    (10, None): (29, 4.24, 2.77),
    (10, 3000): (34, 2.99, 2.34),
}


@pytest.mark.parametrize(("count", "cap"), sorted(RECORDED, key=str))
def test_the_recorded_transcript_gives_the_recorded_table(lesson, count, cap):
    words = recorded_words(SLUG)
    cues = lesson["build_cues"](words, count, cap)
    seconds = [(c["end"] - c["start"]) / 1000 for c in cues]
    assert (len(cues), round(max(seconds), 2), round(sum(seconds) / len(seconds), 2)) == RECORDED[count, cap]
    assert " ".join(c["text"] for c in cues) == " ".join(w.text for w in words)  # every word, in order


@pytest.mark.end_to_end
def test_every_subtitle_file_the_recipe_writes_parses(tmp_path, monkeypatch):
    check_written_files(SLUG, {"podcast-clip.6-words.srt", "podcast-clip.4-words.srt"}, tmp_path, monkeypatch)


# --- the whole recipe, run alone ------------------------------------------------------------------


@pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")
def test_the_whole_recipe_refuses_a_caption_of_no_words():
    """``words_per_caption=0`` is refused before anything is uploaded, as ``build_cues`` refuses it."""
    run = run_alone("subtitles-by-word-count", replaced("words_per_caption=4)", "words_per_caption=0)"))
    assert run.returncode == 1
    assert "ValueError: words_per_caption must be at least 1, got 0" in run.stderr
