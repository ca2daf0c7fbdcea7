"""The text-to-speech host's voice: the emulator's synthetic espeak-ng speech, in the API's formats.

Every clip this module makes is espeak-ng speaking the text, NOT AssemblyAI-TTS-1: the eleven library
slugs are eleven espeak-ng voices (a variant, a pitch and a speed each), so recipes can tell voices apart
and hear the words, and nothing more. The synthesiser is ``tools.synth.Espeak`` and the word timings are
``tools.synth._word_timings``, the same events the reference recordings are timed with.

Determinism: libespeak-ng keeps state from one utterance to the next, so the same text spoken twice in
one process differs by a few samples. A helper process (this file, run by ``Voice``) loads the
engine once and forks a child for each request, so every request starts from the same fresh state: the
same input always gives the same bytes. Formats are converted with ffmpeg (bit-exact flags).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Library slug -> (espeak-ng variant, pitch 0-99, words per minute). Distinct on purpose; made up.
VOICES: dict[str, tuple[str, int, int]] = {
    "aai-jane": ("f3", 62, 165),
    "aai-alba": ("f5", 56, 160),
    "aai-anna": ("f2", 70, 170),
    "aai-charles": ("m3", 32, 150),
    "aai-eve": ("f4", 74, 175),
    "aai-george": ("m2", 24, 145),
    "aai-jean": ("f1", 50, 158),
    "aai-mary": ("f3", 80, 162),
    "aai-michael": ("m5", 40, 160),
    "aai-paul": ("m4", 46, 168),
    "aai-vera": ("f2", 44, 152),
}
DEFAULT_VOICE = "aai-jane"
#: The API's language names -> espeak-ng's language.
LANGUAGES = {"english": "en-us", "spanish": "es", "german": "de", "french": "fr", "italian": "it", "portuguese": "pt"}
ENCODINGS = ("pcm_s16le", "pcm_mulaw", "pcm_alaw", "mp3")
ENCODING_ALIASES = {"mulaw": "pcm_mulaw", "alaw": "pcm_alaw"}  # the SDK says the API takes these aliases
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
BIT_RATES = (32000, 48000, 64000, 96000, 128000)
MAX_BIT_RATE_8K = 64000
_FFMPEG_FORMAT = {"pcm_s16le": "s16le", "pcm_mulaw": "mulaw", "pcm_alaw": "alaw"}
_WAV_TAG = {"pcm_s16le": (1, 16), "pcm_mulaw": (7, 8), "pcm_alaw": (6, 8)}  # (format tag, bits per sample)


@dataclass(frozen=True)
class Speech:
    """espeak-ng's clip of one text: mono 16-bit samples at ``rate`` and the words with start/end in ms."""

    pcm: bytes
    rate: int
    words: list[dict]

    @property
    def duration_ms(self) -> int:
        return len(self.pcm) // 2 * 1000 // self.rate if self.rate else 0


def content_type(encoding: str, container: str, sample_rate: int) -> str:
    """The ``Content-Type`` of a format (our reading: the docs name ``audio/pcm;rate=24000;channels=1``
    for raw PCM; the G.711 names follow RFC 3551's PCMU/PCMA; unverified)."""
    if encoding == "mp3":
        return "audio/mpeg"
    if container == "wav":
        return "audio/wav"
    name = {"pcm_s16le": "pcm", "pcm_mulaw": "pcmu", "pcm_alaw": "pcma"}[encoding]
    return f"audio/{name};rate={sample_rate};channels=1"


def wav_header(encoding: str, sample_rate: int, data_size: int | None) -> bytes:
    """A WAV header for raw ``encoding`` data; ``data_size`` None (a stream) writes all-ones sizes,
    as the SDK documents for a streamed WAV."""
    tag, bits = _WAV_TAG[encoding]
    block = bits // 8
    fmt = struct.pack("<HHIIHH", tag, 1, sample_rate, sample_rate * block, block, bits)
    fact = b""
    if tag != 1:  # non-PCM formats carry cbSize and a fact chunk (sample count)
        fmt += struct.pack("<H", 0)
        fact = b"fact" + struct.pack("<II", 4, 0xFFFFFFFF if data_size is None else data_size // block)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + fact
    data_field = 0xFFFFFFFF if data_size is None else data_size
    riff = 0xFFFFFFFF if data_size is None else 4 + len(chunks) + 8 + data_size
    return b"RIFF" + struct.pack("<I", riff) + b"WAVE" + chunks + b"data" + struct.pack("<I", data_field)


def _ffmpeg(speech: Speech, args: list[str], output: str = "-") -> bytes:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    command += ["-f", "s16le", "-ar", str(speech.rate), "-ac", "1", "-i", "pipe:0"]
    command += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", *args, output]
    return subprocess.run(command, input=speech.pcm, capture_output=True, check=True).stdout


def encode(speech: Speech, encoding: str, sample_rate: int, bit_rate: int | None) -> tuple[bytes, int]:
    """The clip in ``encoding`` at ``sample_rate`` (raw codec bytes, or a whole MP3 file with its Xing
    frame, written to a file so ffmpeg can seek back to it); returns (bytes, duration in ms)."""
    if not speech.pcm:
        return b"", 0
    if encoding == "mp3":
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "speech.mp3"
            _ffmpeg(
                speech, ["-ar", str(sample_rate), "-c:a", "libmp3lame", "-b:a", str(bit_rate or 64000)], str(target)
            )
            return target.read_bytes(), speech.duration_ms
    audio = _ffmpeg(speech, ["-ar", str(sample_rate), "-f", _FFMPEG_FORMAT[encoding]])
    width = 2 if encoding == "pcm_s16le" else 1
    return audio, len(audio) // width * 1000 // sample_rate


class Voice:
    """The helper process that speaks; one per server. ``speak`` is thread-safe (one request at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-I", __file__],  # run as a file: the emulator package stays unimported
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=ROOT,
            )
        return self._process

    def speak(self, text: str, voice_id: str, language: str) -> Speech:
        variant, pitch, speed = VOICES[voice_id]
        request = {"text": text, "voice": f"{LANGUAGES[language]}+{variant}", "pitch": pitch, "speed": speed}
        with self._lock:
            process = self._start()
            assert process.stdin and process.stdout
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            header = json.loads(process.stdout.readline() or b'{"error": "the voice helper exited"}')
            if "error" in header:
                raise RuntimeError(f"espeak-ng failed: {header['error']}")
            pcm = process.stdout.read(header["bytes"])
        return Speech(pcm, header["rate"], header["words"])

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _child(engine, request: dict, out) -> None:
    """In a forked child: speak one request, write its header line and samples, exit."""
    from tools import synth

    try:
        speech = engine.speak(request["text"], request["voice"], speed=request["speed"], pitch=request["pitch"])
        if len(speech.samples) and speech.events:
            words, sound_end = synth._word_timings(speech, request["text"], engine.sample_rate)
            samples = speech.samples[: sound_end * engine.sample_rate // 1000]
        else:  # nothing to speak
            words, samples = [], speech.samples[:0]
        pcm = samples.astype("<i2").tobytes()
        header = {"rate": engine.sample_rate, "bytes": len(pcm), "words": words}
        out.write(json.dumps(header).encode() + b"\n" + pcm)
    except Exception as error:  # reported to the server, which answers 500 and records a violation
        out.write(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
    out.flush()


def main() -> None:
    """The helper: engine loaded once, then one forked child per request line on stdin."""
    from tools import synth

    engine = synth.Espeak()  # initialised, never used here: each child starts from this state
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        pid = os.fork()
        if pid == 0:
            _child(engine, json.loads(line), out)
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
