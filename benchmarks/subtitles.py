"""Subtitles, measured: building and parsing captions for a long transcript, and burning them in.

    .venv/bin/python benchmarks/subtitles.py [--hours 3] [--repeats 5] [--skip-ffmpeg]

1. **Building.** Every shipped conversation's words, repeated back to back into a transcript of
   ``--hours`` hours: cues by word count (6 words, 3 s at most) and SRT text with the
   ``subtitles-by-word-count`` notebook's ``build_cues`` and ``to_srt``; cues by characters (42,
   one speaker each) and voiced WebVTT text with the ``speaker-subtitles`` notebook's
   ``speaker_cues`` and ``to_voiced_vtt`` (loaded through ``tools/notebook_code.py``). Median of
   ``--repeats`` runs.
2. **Parsing back.** The same SRT with ``srt`` and the WebVTT with ``webvtt-py``: the check every
   recipe makes on the files it writes.
3. **Burning in.** ffmpeg's ``subtitles`` filter (libass) on the shipped 86-second video, against a
   plain re-encode of the same video: what the captions cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.notebook_code import load_definitions  # noqa: E402


def sdk_words(words: list[dict], offset: int = 0) -> list[SimpleNamespace]:
    """Script words as the SDK gives them (attributes), shifted by ``offset`` ms."""
    return [
        SimpleNamespace(text=w["text"], start=w["start"] + offset, end=w["end"] + offset, speaker=w["speaker"])
        for w in words
    ]


def long_transcript(hours: float) -> list[SimpleNamespace]:
    """Shipped conversations' words, shifted one after another until ``hours`` are filled."""
    sources = [json.loads(p.read_text()) for p in sorted((ROOT / "data" / "scripts").glob("*.timing.json"))]
    words, offset = [], 0
    while offset < hours * 3_600_000:
        for source in sources:
            words += sdk_words(source["words"], offset)
            offset += source["duration_ms"] + 1000
    return words


def lessons(speakers: set[str]) -> tuple[dict, dict]:
    """The two notebooks' builders; the speaker notebook's colours and names cover ``speakers``."""
    by_count = load_definitions("subtitles-by-word-count", ["build_cues", "to_srt"])
    by_speaker = load_definitions("speaker-subtitles", ["speaker_cues", "to_voiced_vtt"], ("colours", "names"))
    palette = list(by_speaker["colours"].values())
    by_speaker["colours"] = {s: palette[n % len(palette)] for n, s in enumerate(sorted(speakers))}
    by_speaker["names"] = {s: by_speaker["names"].get(s, f"Speaker {s}") for s in sorted(speakers)}
    return by_count, by_speaker


def median_s(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-ffmpeg", action="store_true")
    args = parser.parse_args()
    import srt
    import webvtt

    words = long_transcript(args.hours)
    count, speaker = lessons({w.speaker for w in words})
    by_count = count["build_cues"](words, 6, 3000)
    by_chars = speaker["speaker_cues"](words, 42)
    srt_text, vtt_text = count["to_srt"](by_count), speaker["to_voiced_vtt"](by_chars)
    print(f"{len(words)} words over {args.hours:g} h: {len(by_count)} cues by count, {len(by_chars)} by characters")
    rows = {
        "cues by word count": lambda: count["build_cues"](words, 6, 3000),
        "cues by characters": lambda: speaker["speaker_cues"](words, 42),
        "SRT text": lambda: count["to_srt"](by_count),
        "WebVTT text": lambda: speaker["to_voiced_vtt"](by_chars),
        "parse SRT (srt)": lambda: list(srt.parse(srt_text)),
        "parse WebVTT (webvtt-py)": lambda: webvtt.from_string(vtt_text),
    }
    for name, function in rows.items():
        print(f"  {name:26s} {median_s(function, args.repeats) * 1000:8.1f} ms")
    if not args.skip_ffmpeg:
        video = ROOT / "data" / "media" / "podcast-clip.mp4"
        timing = json.loads((ROOT / "data" / "scripts" / "podcast-clip.timing.json").read_text())
        with tempfile.TemporaryDirectory() as tmp:
            captions = Path(tmp) / "captions.srt"
            captions.write_text(count["to_srt"](speaker["speaker_cues"](sdk_words(timing["words"]), 42)))
            base = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(video)]
            plain = [*base, "-c:a", "copy", f"{tmp}/plain.mp4"]
            burned = [*base, "-vf", f"subtitles={captions}", "-c:a", "copy", f"{tmp}/burned.mp4"]
            for name, command in (("re-encode", plain), ("re-encode + subtitles", burned)):
                seconds = median_s(lambda command=command: subprocess.run(command, check=True), args.repeats)
                print(f"  ffmpeg {name:21s} {seconds:6.2f} s for 86 s of video")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
