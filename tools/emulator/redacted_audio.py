"""Redacted audio (``redact_pii_audio``): the file the emulator can honestly make, and the host that serves it.

The real API writes a copy of the media with each redacted span beeped out (or silenced, with
``redact_pii_audio_options.override_audio_redaction_method: "silence"``), as mp3 (the default) or wav
(``redact_pii_audio_quality``), and ``GET /v2/transcript/{id}/redacted-audio`` answers
``{"status": "redacted_audio_ready", "redacted_audio_url": ...}`` with a presigned S3 URL (the spec's
example: ``https://s3.us-west-2.amazonaws.com/api.assembly.ai.usw2/redacted-audio/<id>.wav?...``).

The emulator makes that file from the shipped audio itself: every word the transcript writes redacted
(``#`` per character, or ``[TYPE]``) covers its span, from the word's ``start`` to its ``end`` (the
script's word timings), and that span is replaced by a tone (:data:`BEEP_HZ`) or by silence. The
sound of the real beep, its level and any padding around a word are not documented: the live probe
(``tools/probe.py``) checks what it can. The URL names the real S3 host and the path of the spec's
example, without a signature (no port, so recordings are the same whichever port answered); while
a notebook is recorded against the emulator that host is a stand-in (``Emulator.stand_ins``) served
by :class:`RedactedAudioServer`, which asks for no API key, like a presigned URL.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

from cookbook_utils import paths
from cookbook_utils.network import QuietHTTPServer, serve_in_background
from tools.emulator.errors import EmulatorError, text

if TYPE_CHECKING:
    from tools.emulator.state import State
    from tools.emulator.transcripts import TranscriptRecord

HOST = "s3.us-west-2.amazonaws.com"
PREFIX = "/api.assembly.ai.usw2/redacted-audio/"
STATUS = "redacted_audio_ready"
#: The emulator's beep: a sine tone at this frequency and peak level (the real beep's are undocumented).
BEEP_HZ = 1000.0
BEEP_LEVEL = 0.3
SAMPLE_RATE = 16_000
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
_REDACTED = re.compile(r"#+|\[[A-Z0-9_]+\]")
_PUNCTUATION = re.compile(r"[.,?!;:\"')]+$")  # after a word (not the placeholder's own bracket)


def is_redacted(word_text: str) -> bool:
    """Whether a transcript word is a redaction (``####`` or ``[PERSON_NAME]``, punctuation aside)."""
    return bool(_REDACTED.fullmatch(_PUNCTUATION.sub("", word_text)))


def spans(words: list[dict]) -> list[tuple[int, int]]:
    """The (start, end) ms of every redacted word, adjacent ones merged."""
    found: list[tuple[int, int]] = []
    for word in words:
        if not is_redacted(word["text"]):
            continue
        if found and word["start"] <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], word["end"]))
        else:
            found.append((word["start"], word["end"]))
    return found


def file_type(params: dict) -> str:
    return params.get("redact_pii_audio_quality") or "mp3"


def method(params: dict) -> str:
    """``beep`` (the default) or ``silence``."""
    options = params.get("redact_pii_audio_options") or {}
    return options.get("override_audio_redaction_method") or "beep"


def url(record: TranscriptRecord) -> str:
    return f"https://{HOST}{PREFIX}{record.id}.{file_type(record.params)}"


def answer(record: TranscriptRecord) -> dict:
    """GET /v2/transcript/{id}/redacted-audio for a completed transcript made with redact_pii_audio."""
    record.completed()
    if not record.params.get("redact_pii_audio"):
        raise EmulatorError(400, text("redacted_audio_not_requested", transcript_id=record.id))
    return {"status": STATUS, "redacted_audio_url": url(record)}


def _ffmpeg(arguments: list[str], data: bytes | None = None) -> bytes:
    result = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *arguments], input=data, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def render(source: Path, channels: int, redacted: list[tuple[int, int]], how: str, kind: str) -> bytes:
    """``source`` with each span (ms) beeped or silenced, encoded as ``kind`` (mp3 or wav)."""
    import numpy as np

    raw = _ffmpeg(["-i", str(source), "-f", "s16le", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-"])
    samples = np.frombuffer(raw, dtype=np.int16).reshape(-1, channels).astype(np.float32)
    for start, end in redacted:
        first, last = start * SAMPLE_RATE // 1000, min(len(samples), end * SAMPLE_RATE // 1000)
        if last <= first:
            continue
        if how == "silence":
            samples[first:last] = 0.0
        else:
            t = np.arange(first, last) / SAMPLE_RATE
            tone = BEEP_LEVEL * 32767 * np.sin(2 * np.pi * BEEP_HZ * t)
            samples[first:last] = tone[:, None]
    pcm = np.clip(samples, -32768, 32767).astype(np.int16).tobytes()
    codec = ["-c:a", "libmp3lame", "-b:a", f"{32 * channels}k", "-f", "mp3"] if kind == "mp3" else ["-f", "wav"]
    decode = ["-f", "s16le", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-i", "-"]
    exact = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    # A file, not a pipe: ffmpeg then writes the mp3's LAME header (the encoder delay), so decoders
    # trim it and the spans stay where the words are.
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"redacted.{kind}"
        _ffmpeg([*decode, *exact, *codec, str(target)], pcm)
        return target.read_bytes()


def make(state: State, record: TranscriptRecord) -> bytes:
    """The redacted file of a completed transcript (made once, then kept)."""
    with record.lock:
        if record.redacted_audio is not None:
            return record.redacted_audio
        conversation = record.conversation
        assert conversation is not None  # completed
        source = state.data_dir / "audio" / f"{conversation.name}.mp3"
        if not source.is_file():  # a data folder holding only the scripts (the tests'): the shipped audio
            source = paths.audio_file(f"{conversation.name}.mp3")
        channels = 2 if conversation.channels else 1
        data = render(
            source, channels, spans(record.result["words"] or []), method(record.params), file_type(record.params)
        )
        record.redacted_audio = data
        return data


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        match = re.fullmatch(re.escape(PREFIX) + r"([^/?]+)\.(mp3|wav)", self.path.split("?")[0])
        record = None
        if match:
            with state.lock:
                record = state.transcripts.get(match.group(1))
        if record is None or record.deleted or not record.params.get("redact_pii_audio"):
            self._send(404, b"No redacted audio at this address (emulator).", "text/plain")
            return
        if match.group(2) != file_type(record.params) or record.status != "completed":
            self._send(404, b"No redacted audio at this address (emulator).", "text/plain")
            return
        try:
            data = make(state, record)
        except Exception as error:  # noqa: BLE001 - a bug must show as a problem, not a hang-up
            state.problems.append(f"redacted audio of {record.id}: {error!r}")
            self._send(500, b"emulator error", "text/plain")
            return
        self._send(200, data, CONTENT_TYPES[match.group(2)])

    do_HEAD = do_GET


class _Server(QuietHTTPServer):
    state: State


class RedactedAudioServer:
    """The stand-in for :data:`HOST` on 127.0.0.1 (no API key asked, as for a presigned URL)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start the server first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RedactedAudioServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = serve_in_background(self._server, name="redacted-audio")
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
