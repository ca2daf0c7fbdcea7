"""SRT and WebVTT: cues built from word timings, written, and read back.

The subtitle recipes show this code in their notebooks (it is their lesson); the helpers here are
the same code as a tool, for tests, benchmarks and other recipes, and a test checks that both give
the same file for the same words. Parsing goes through maintained libraries (``srt`` and
``webvtt-py``, the ``subtitles`` extra), imported only when called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .items import item_field


@dataclass(frozen=True)
class Cue:
    """One caption: a number (from 1), start and end in milliseconds, its text, and who speaks."""

    index: int
    start: int
    end: int
    text: str
    speaker: str | None = None


def _clock(ms: float, separator: str) -> str:
    if ms < 0:
        raise ValueError(f"a subtitle time cannot be negative, got {ms} ms")
    total = math.floor(ms + 0.5)  # to the nearest millisecond, halves up
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def srt_timestamp(ms: float) -> str:
    """``3_723_004`` -> ``"01:02:03,004"`` (SRT uses a comma before the milliseconds)."""
    return _clock(ms, ",")


def vtt_timestamp(ms: float) -> str:
    """``3_723_004`` -> ``"01:02:03.004"`` (WebVTT uses a full stop)."""
    return _clock(ms, ".")


def cues_by_word_count(
    words: Iterable[object], words_per_caption: int, max_duration_ms: int | None = None
) -> list[Cue]:
    """Group words (SDK objects or API dicts with text/start/end/speaker) into cues of at most
    ``words_per_caption`` words; a cue also ends before it would last longer than
    ``max_duration_ms`` or when the speaker changes."""
    if words_per_caption < 1:
        raise ValueError(f"words_per_caption must be at least 1, got {words_per_caption}")
    groups: list[list[object]] = []
    for word in words:
        current = groups[-1] if groups else None
        if (
            current is None
            or len(current) >= words_per_caption
            or item_field(current[0], "speaker") != item_field(word, "speaker")
            or (
                max_duration_ms is not None
                and item_field(word, "end") - item_field(current[0], "start") > max_duration_ms
            )
        ):
            groups.append([word])
        else:
            current.append(word)
    return [
        Cue(
            number,
            item_field(group[0], "start"),
            item_field(group[-1], "end"),
            " ".join(item_field(w, "text") for w in group),
            item_field(group[0], "speaker"),
        )
        for number, group in enumerate(groups, start=1)
    ]


def cues_by_chars(words: Iterable[object], max_chars: int = 42) -> list[Cue]:
    """Group words into cues of at most ``max_chars`` characters (a longer single word gets a cue
    of its own) that never mix speakers."""
    cues: list[Cue] = []
    for word in words:
        text, speaker = item_field(word, "text"), item_field(word, "speaker")
        last = cues[-1] if cues else None
        if last and last.speaker == speaker and len(last.text) + 1 + len(text) <= max_chars:
            cues[-1] = Cue(last.index, last.start, item_field(word, "end"), f"{last.text} {text}", speaker)
        else:
            cues.append(Cue(len(cues) + 1, item_field(word, "start"), item_field(word, "end"), text, speaker))
    return cues


def _too_long(first: object, word: object, max_duration_ms: int | None) -> bool:
    """Would a caption from ``first`` to ``word`` last longer than allowed?"""
    return max_duration_ms is not None and item_field(word, "end") - item_field(first, "start") > max_duration_ms


def _styled(cue: Cue, colours: Mapping[str, str] | None) -> str:
    if colours and cue.speaker in colours:
        return f'<font color="{colours[cue.speaker]}">{cue.text}</font>'
    return cue.text


def to_srt(cues: Sequence[Cue], colours: Mapping[str, str] | None = None) -> str:
    """SRT text: numbered blocks separated by a blank line; ``colours`` (speaker -> colour) wraps
    each speaker's text in ``<font color=...>``, which most players and ffmpeg understand."""
    blocks = [
        f"{cue.index}\n{srt_timestamp(cue.start)} --> {srt_timestamp(cue.end)}\n{_styled(cue, colours)}" for cue in cues
    ]
    return "\n\n".join(blocks) + "\n"


def to_vtt(
    cues: Sequence[Cue], colours: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None
) -> str:
    """WebVTT text. With ``colours`` each cue names its speaker in a ``<v>`` voice span and a STYLE
    block colours each voice with ``::cue(v[voice="..."])``; ``names`` maps labels to voice names
    (default ``Speaker A``...)."""

    def voice(label: str) -> str:
        return (names or {}).get(label, f"Speaker {label}")

    parts = ["WEBVTT"]
    if colours:
        rules = "\n".join(f'::cue(v[voice="{voice(s)}"]) {{ color: {c}; }}' for s, c in colours.items())
        parts.append(f"STYLE\n{rules}")
    for cue in cues:
        text = f"<v {voice(cue.speaker)}>{cue.text}</v>" if colours and cue.speaker else cue.text
        parts.append(f"{cue.index}\n{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n{text}")
    return "\n\n".join(parts) + "\n"


_TAG = re.compile(r"<[^>]+>")


def parse_srt(text: str) -> list[Cue]:
    """Read SRT with the ``srt`` library (which raises on a malformed file); tags are removed."""
    import srt

    return [
        Cue(
            item.index,
            round(item.start.total_seconds() * 1000),
            round(item.end.total_seconds() * 1000),
            _TAG.sub("", item.content),
        )
        for item in srt.parse(text)
    ]


def parse_vtt(text: str) -> list[Cue]:
    """Read WebVTT with ``webvtt-py`` (which raises on a malformed file); the voice, if any, is
    kept as the cue's speaker and tags are removed from the text."""
    import io

    import webvtt

    cues = []
    for number, caption in enumerate(webvtt.from_buffer(io.StringIO(text)), start=1):
        voice = re.match(r"<v(?:\.[^ >]*)? ([^>]+)>", caption.raw_text)
        cues.append(
            Cue(
                number,
                _ms(caption.start),  # "HH:MM:SS.mmm" (its *_in_seconds drop the milliseconds)
                _ms(caption.end),
                _TAG.sub("", caption.raw_text).strip(),
                voice.group(1) if voice else None,
            )
        )
    return cues


def _ms(clock: str) -> int:
    """``"01:02:03.004"`` -> 3723004."""
    hours, minutes, seconds = clock.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
