"""Subtitles, measured: building and parsing captions for a long transcript, and burning them in.

    .venv/bin/python benchmarks/subtitles.py [--hours 3] [--repeats 5] [--skip-ffmpeg]

1. **Building.** Every shipped conversation's words, repeated back to back into a transcript of
   ``--hours`` hours: cues by word count (6 words, 3 s at most) and by characters (42), then SRT
   and WebVTT text (``cookbook_utils.subtitles``). Median of ``--repeats`` runs.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cookbook_utils import subtitles as st  # noqa: E402


def long_transcript(hours: float) -> list[dict]:
    """Shipped conversations' words, shifted one after another until ``hours`` are filled."""
    sources = [json.loads(p.read_text()) for p in sorted((ROOT / "data" / "scripts").glob("*.timing.json"))]
    words, offset = [], 0
    while offset < hours * 3_600_000:
        for source in sources:
            words += [{**w, "start": w["start"] + offset, "end": w["end"] + offset} for w in source["words"]]
            offset += source["duration_ms"] + 1000
    return words


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
    words = long_transcript(args.hours)
    by_count = st.cues_by_word_count(words, 6, 3000)
    by_chars = st.cues_by_chars(words, 42)
    srt_text, vtt_text = st.to_srt(by_count), st.to_vtt(by_chars)
    print(f"{len(words)} words over {args.hours:g} h: {len(by_count)} cues by count, {len(by_chars)} by characters")
    rows = {
        "cues by word count": lambda: st.cues_by_word_count(words, 6, 3000),
        "cues by characters": lambda: st.cues_by_chars(words, 42),
        "SRT text": lambda: st.to_srt(by_count),
        "WebVTT text": lambda: st.to_vtt(by_chars),
        "parse SRT (srt)": lambda: st.parse_srt(srt_text),
        "parse WebVTT (webvtt-py)": lambda: st.parse_vtt(vtt_text),
    }
    for name, function in rows.items():
        print(f"  {name:26s} {median_s(function, args.repeats) * 1000:8.1f} ms")
    if not args.skip_ffmpeg:
        video = ROOT / "data" / "media" / "podcast-clip.mp4"
        timing = json.loads((ROOT / "data" / "scripts" / "podcast-clip.timing.json").read_text())
        with tempfile.TemporaryDirectory() as tmp:
            captions = Path(tmp) / "captions.srt"
            captions.write_text(st.to_srt(st.cues_by_chars(timing["words"], 42)))
            base = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(video)]
            plain = [*base, "-c:a", "copy", f"{tmp}/plain.mp4"]
            burned = [*base, "-vf", f"subtitles={captions}", "-c:a", "copy", f"{tmp}/burned.mp4"]
            for name, command in (("re-encode", plain), ("re-encode + subtitles", burned)):
                seconds = median_s(lambda command=command: subprocess.run(command, check=True), args.repeats)
                print(f"  ffmpeg {name:21s} {seconds:6.2f} s for 86 s of video")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
