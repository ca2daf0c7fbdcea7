"""Publish a synthesised conversation as a video, the stand-in for a video site in replay.

    python -m tools.video podcast-clip "Workbench Radio: repairing old bicycles"

writes ``data/media/<name>.mp4``: a plain coloured picture with the conversation's audio as AAC,
the shape of file yt-dlp downloads from a video site. The bytes depend only on the inputs and the
ffmpeg version (bit-exact flags, one encoder thread).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from cookbook_utils import paths
from cookbook_utils.audio import duration_ms


def make_video(name: str, title: str) -> Path:
    """Turn ``data/audio/<name>.mp3`` into ``data/media/<name>.mp4`` and return its path."""
    root = paths.project_root()
    audio = root / "data" / "audio" / f"{name}.mp3"
    out = root / "data" / "media" / f"{name}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    duration = f"{duration_ms(audio) / 1000:.3f}"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x264653:s=640x360:r=2",
            "-i",
            str(audio),
            "-t",
            duration,
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-threads",
            "1",
            "-preset",
            "veryslow",
            "-tune",
            "stillimage",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "48k",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-movflags",
            "+faststart",
            "-metadata",
            f"title={title}",
            str(out),
        ],
        check=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a conversation in data/audio, without .mp3")
    parser.add_argument("title", help="the video's title")
    args = parser.parse_args(argv)
    out = make_video(args.name, args.title)
    print(f"{out.relative_to(paths.project_root())}: {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
