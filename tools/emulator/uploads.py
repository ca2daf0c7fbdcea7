"""Uploads and audio URLs: which conversation some audio is, or the error the API gives for it."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from cookbook_utils import audio
from cookbook_utils.network import is_loopback
from tools.emulator import conversations, sniff
from tools.emulator.errors import EmulatorError, text
from tools.emulator.state import State

MIN_AUDIO_MS = 160
CDN = "https://cdn.assemblyai.com/upload/"


def _probe_duration_ms(data: bytes) -> int | None:
    """Decode unknown uploaded bytes with ffmpeg; None when they hold no audio."""
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        try:
            return audio.duration_ms(handle.name) or None
        except audio.AudioDecodeError:
            return None


def _probe_channels(data: bytes) -> int | None:
    """The number of channels of some uploaded audio, as ffprobe reads its first audio stream."""
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        command = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=channels"]
        result = subprocess.run([*command, "-of", "csv=p=0", handle.name], capture_output=True, text=True)
    return int(result.stdout.split()[0]) if result.returncode == 0 and result.stdout.strip() else None


def mixdown(conversation: conversations.Conversation) -> conversations.Conversation:
    """A two-channel conversation as one channel (a mono mixdown of it): the same words, no channels."""
    return dataclasses.replace(conversation, channels=None)


#: How close (ms) the decoded length of re-encoded audio must be to a script's to be recognised.
DURATION_TOLERANCE_MS = 120


def by_duration(state: State, duration_ms: int | None) -> conversations.Conversation | None:
    """The one conversation whose length is within :data:`DURATION_TOLERANCE_MS` of ``duration_ms``
    (None when none is, or several are)."""
    candidates = {
        c.name: c
        for c in state.library.values()
        if duration_ms is not None and abs(c.duration_ms - duration_ms) <= DURATION_TOLERANCE_MS
    }
    return next(iter(candidates.values())) if len(candidates) == 1 else None


def _recognise(state: State, body: bytes) -> dict:
    """The conversation behind some audio bytes: by their sha256 when they are one of our files,
    else by decoded duration (the same speech re-encoded, e.g. by yt-dlp and ffmpeg), when exactly
    one script is that long. A two-channel conversation re-encoded with one channel is its mono
    mixdown (:func:`mixdown`): no channel map, so both speakers share channel 1."""
    known = state.library.get(hashlib.sha256(body).hexdigest())
    if known:
        return {"conversation": known, "duration_ms": known.duration_ms}
    duration = _probe_duration_ms(body)
    entry = {"conversation": by_duration(state, duration), "duration_ms": duration}
    if entry["conversation"] is not None and entry["conversation"].channels and _probe_channels(body) == 1:
        entry["conversation"] = mixdown(entry["conversation"])  # a two-channel call re-encoded as mono
    if duration is None:
        entry["file_type"] = sniff.file_type(body)  # for the "does not appear to contain audio" error
    return entry


def _fetch_local(url: str) -> bytes:
    """Download an audio URL served on this machine (a local S3, a local media server), as the
    real API downloads any URL it is given; raises EmulatorError for an unreachable file."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except (urllib.error.URLError, OSError):
        raise EmulatorError(400, text("download_error", url=url)) from None


def upload(state: State, body: bytes) -> dict:
    entry = _recognise(state, body)
    url = upload_url(state)
    with state.lock:
        state.uploads[url] = entry
    return {"upload_url": url}


def upload_url(state: State) -> str:
    """A URL of the real shape, ``https://cdn.assemblyai.com/upload/<64 hex>/<uuid>`` (section 13
    row 16): the 64 hex digits are a hash of the notebook (what the real ones encode is not known),
    the UUID is the upload's deterministic id."""
    folder = hashlib.sha256(f"{state.notebook}|uploads".encode()).hexdigest()
    return f"{CDN}{folder}/{state.next_id('upload')}"


def reaches_this_machine(url: str) -> bool:
    """True for a URL the real API, on the internet, cannot reach: a loopback, private, link-local
    or unspecified address, or ``localhost``."""
    import ipaddress

    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if is_loopback(host) or host.endswith(".local") or host in ("", "0.0.0.0"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified


def resolve_audio(state: State, audio_url: str) -> tuple[conversations.Conversation | None, str | None]:
    """The conversation behind an audio URL, or the error the API would report for it."""
    loopback = is_loopback(urlsplit(audio_url).hostname)
    if state.internet and reaches_this_machine(audio_url):
        return None, text("download_error", url=audio_url)  # what the real API says of an unreachable URL
    if audio_url in state.uploads or loopback:
        if loopback:
            try:
                entry = _recognise(state, _fetch_local(audio_url))
            except EmulatorError as error:
                return None, str(error)
        else:
            entry = state.uploads[audio_url]
        if entry["duration_ms"] is None:
            return None, text("no_audio", file_type=entry.get("file_type", "application/octet-stream (data)"))
        if entry["duration_ms"] < MIN_AUDIO_MS:
            return None, text("audio_too_short")
        if entry["conversation"] is None:
            return None, text("no_script_for_audio")
        return entry["conversation"], None
    name = Path(urlsplit(audio_url).path).name
    if name in state.library:
        return state.library[name], None
    return None, text("download_error", url=audio_url)
