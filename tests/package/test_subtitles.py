"""Unit tests of cookbook_utils.subtitles: timestamps at the edges, cue building, SRT and VTT that
maintained parsers read back."""

from __future__ import annotations

import pytest

from cookbook_utils import subtitles as st

WORDS = [
    {"text": "Welcome", "start": 0, "end": 400, "speaker": "A"},
    {"text": "back", "start": 420, "end": 700, "speaker": "A"},
    {"text": "to", "start": 720, "end": 800, "speaker": "A"},
    {"text": "the", "start": 820, "end": 900, "speaker": "A"},
    {"text": "show.", "start": 920, "end": 1500, "speaker": "A"},
    {"text": "Thanks", "start": 2000, "end": 2400, "speaker": "B"},
    {"text": "for", "start": 2420, "end": 2600, "speaker": "B"},
    {"text": "having", "start": 2620, "end": 3000, "speaker": "B"},
    {"text": "me.", "start": 9000, "end": 9400, "speaker": "B"},
]


@pytest.mark.parametrize(
    ("ms", "srt", "vtt"),
    [
        (0, "00:00:00,000", "00:00:00.000"),
        (999, "00:00:00,999", "00:00:00.999"),
        (59_999, "00:00:59,999", "00:00:59.999"),
        (3_600_000, "01:00:00,000", "01:00:00.000"),
        (3_723_004, "01:02:03,004", "01:02:03.004"),
        (36_000_000 * 10, "100:00:00,000", "100:00:00.000"),
        (1234.4, "00:00:01,234", "00:00:01.234"),
        (1234.5, "00:00:01,235", "00:00:01.235"),  # halves round up, not to even
        (999.6, "00:00:01,000", "00:00:01.000"),  # rounding carries into the seconds
        (3_599_999.5, "01:00:00,000", "01:00:00.000"),  # ... and into the hours
    ],
)
def test_timestamps(ms, srt, vtt):
    assert st.srt_timestamp(ms) == srt
    assert st.vtt_timestamp(ms) == vtt


def test_negative_time_is_refused():
    with pytest.raises(ValueError, match="negative"):
        st.srt_timestamp(-1)


def test_cues_by_word_count_limits_words_speaker_and_duration():
    cues = st.cues_by_word_count(WORDS, 3, max_duration_ms=5000)
    assert [c.text for c in cues] == ["Welcome back to", "the show.", "Thanks for having", "me."]
    assert [c.index for c in cues] == [1, 2, 3, 4]
    assert (cues[0].start, cues[0].end, cues[0].speaker) == (0, 800, "A")
    assert cues[2].speaker == "B"
    # Without the duration cap, "me." (6 s after "Thanks") would join its caption if there were room.
    long = st.cues_by_word_count(WORDS, 4)
    assert long[-1].text == "Thanks for having me." and long[-1].end - long[-1].start == 7400
    capped = st.cues_by_word_count(WORDS, 4, max_duration_ms=3000)
    assert [c.text for c in capped[-2:]] == ["Thanks for having", "me."]
    assert all(c.end - c.start <= 3000 for c in capped)


def test_cues_need_a_positive_word_count():
    with pytest.raises(ValueError, match="at least 1"):
        st.cues_by_word_count(WORDS, 0)


def test_sdk_objects_work_like_dicts():
    class Word:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    objects = [Word(**w) for w in WORDS]
    assert st.cues_by_word_count(objects, 3) == st.cues_by_word_count(WORDS, 3)


def test_srt_round_trips_through_the_srt_library():
    cues = st.cues_by_word_count(WORDS, 3, max_duration_ms=5000)
    text = st.to_srt(cues)
    assert text.startswith("1\n00:00:00,000 --> 00:00:00,800\nWelcome back to\n\n2\n")
    parsed = st.parse_srt(text)
    assert [(c.index, c.start, c.end, c.text) for c in parsed] == [(c.index, c.start, c.end, c.text) for c in cues]


def test_coloured_srt_keeps_its_text():
    cues = st.cues_by_word_count(WORDS, 5)
    text = st.to_srt(cues, colours={"A": "#ffd700", "B": "#00bfff"})
    assert '<font color="#ffd700">Welcome back to the show.</font>' in text
    assert [c.text for c in st.parse_srt(text)] == [c.text for c in cues]


def test_vtt_round_trips_through_webvtt_py():
    cues = st.cues_by_word_count(WORDS, 3, max_duration_ms=5000)
    text = st.to_vtt(cues)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.800\n")
    parsed = st.parse_vtt(text)
    assert [(c.start, c.end, c.text) for c in parsed] == [(c.start, c.end, c.text) for c in cues]


def test_vtt_voices_and_styles():
    cues = st.cues_by_word_count(WORDS, 5)
    text = st.to_vtt(cues, colours={"A": "gold", "B": "deepskyblue"}, names={"A": "Priya"})
    assert '::cue(v[voice="Priya"]) { color: gold; }' in text
    assert '::cue(v[voice="Speaker B"]) { color: deepskyblue; }' in text
    assert "<v Priya>Welcome back to the show.</v>" in text
    parsed = st.parse_vtt(text)
    assert [c.speaker for c in parsed] == ["Priya", "Speaker B"]
    assert parsed[0].text == "Welcome back to the show."


def test_malformed_srt_is_refused():
    import srt

    with pytest.raises(srt.SRTParseError):
        st.parse_srt("1\n00:00:01,000 -> 00:00:02,000\nbroken arrow\n")


def test_malformed_vtt_is_refused():
    import webvtt

    with pytest.raises(webvtt.errors.MalformedFileError):
        st.parse_vtt("not a vtt file\n\n00:00:01.000 --> 00:00:02.000\nx\n")


def test_cues_by_chars_limit_length_and_keep_speakers_apart():
    cues = st.cues_by_chars(WORDS, max_chars=16)
    assert [c.text for c in cues] == ["Welcome back to", "the show.", "Thanks for", "having me."]
    assert all(len(c.text) <= 16 for c in cues)
    assert [c.speaker for c in cues] == ["A", "A", "B", "B"]
    assert (cues[1].start, cues[1].end) == (820, 1500)
    assert st.cues_by_chars(WORDS, max_chars=3)[0].text == "Welcome"  # a long word still gets a cue
