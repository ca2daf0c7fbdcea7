"""Make the audio-duration-check recipe's broken file: ``data/audio/clip-es-wrong-size.wav``.

The Spanish clip decoded to 16 kHz mono 16-bit WAV (bit-exact ffmpeg output), then its header
made to lie: the ``data`` chunk (and the RIFF size) claim three times the samples the file holds,
as a recorder that crashed before fixing its header, or a bad concatenation, leaves them. Tools
that trust the header (SoX) report about three times the real length; tools that measure the
file (ffprobe, MediaInfo) do not, so they disagree.

    python -m tools.wrong_size_wav
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "audio" / "clip-es.mp3"
TARGET = ROOT / "data" / "audio" / "clip-es-wrong-size.wav"
CLAIMED_FACTOR = 3


def decode(source: Path) -> bytes:
    """The clip as 16 kHz mono PCM WAV, the same bytes on every run (written to a file, so that
    ffmpeg can go back and fill in the header's sizes)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.wav"
        command = ["ffmpeg", "-v", "error", "-i", str(source), "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]
        command += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", str(out)]
        subprocess.run(command, check=True, capture_output=True)
        return out.read_bytes()


def lie_about_size(wav: bytes, factor: int = CLAIMED_FACTOR) -> bytes:
    """The WAV with its data chunk and RIFF sizes multiplied by ``factor``."""
    data = bytearray(wav)
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    at = data.find(b"data", 12)
    if at < 0:
        raise ValueError("no data chunk")
    (size,) = struct.unpack_from("<I", data, at + 4)
    struct.pack_into("<I", data, at + 4, size * factor)
    struct.pack_into("<I", data, 4, len(data) - 8 + size * (factor - 1))
    return bytes(data)


def main() -> int:
    TARGET.write_bytes(lie_about_size(decode(SOURCE)))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
