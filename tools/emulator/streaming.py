"""The streaming API (``streaming.assemblyai.com``): ``GET /v3/token`` and the ``/v3/ws`` WebSocket.

It runs as its own loopback server (``ws://127.0.0.1:PORT``, plain HTTP for the token), started
and stopped by :class:`tools.emulator.Emulator`; the SDK reaches it with
``StreamingClientOptions(api_host="ws://127.0.0.1:PORT")``.

How it transcribes: the client streams real 16 kHz ``pcm_s16le`` audio. The emulator recognises
which shipped conversation it is hearing by an **energy fingerprint**: the log-RMS envelope of the
first seconds of the stream (20 ms frames) is correlated with the envelope of every conversation in
``data/audio`` (decoded with ffmpeg), at offsets up to 2 s (a browser starts capturing late). Exact
hashes would break on another ffmpeg build or on the browser's resampling; the envelope does not.
Once recognised, the script's word timings drive the session as audio time passes: a partial
``Turn`` when new words have been heard, a final ``Turn`` when the silence after a turn's last word
reaches ``min_turn_silence`` (when the end-of-turn confidence, high after sentence-final punctuation,
reaches ``end_of_turn_confidence_threshold``) or ``max_turn_silence`` (otherwise); with
``format_turns`` a formatted copy follows each final turn. ``ForceEndpoint`` ends the turn at once;
``Terminate`` ends it, answers ``Termination`` and closes with 1000.

It refuses, with the ``Error`` frame and close code AssemblyAI documents ("Common session errors
and closures"): a bad key or a bad or expired temporary token (1008), a chunk outside 50-1000 ms
(3007), bad JSON, an unknown message type or a message its schema rejects, an unknown
``speech_model`` (3006), a parameter the emulator does not emulate (3006, naming it; the one table
is :data:`PARAMETERS`), audio it cannot recognise (3005). A query parameter it does not know is
ignored, as the service ignores one: ``Begin.configuration`` says what runs. The models are
:data:`MODELS` (the default ``universal-3-6-pro``; ``u3-rt-pro`` runs as ``universal-3-5-pro``).
Pro models also send ``SpeechStarted`` (a word after a silence), ``Heartbeat`` (with
``session_heartbeat``) and, with ``speaker_labels``, ``PENDING`` labels later fixed by a
``SpeakerRevision``. It does not throttle clients
that stream faster than real time (the API's 3007 "Audio Transmission Rate Exceeded"): tests
stream as fast as they can. Every message it accepts or sends is checked against the AsyncAPI specs
(``tools/asyncapi.py``); one of its own that fails is replaced by a 3005 error and kept in
``violations``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from cookbook_utils.network import LoopbackServer, json_response
from tools import asyncapi
from tools.emulator import conversations
from tools.emulator.errors import UNAUTHORIZED
from tools.spec import SpecViolation

SAMPLE_RATE = 16_000
FRAME_MS = 20
#: Stream length (ms) before the first recognition attempt, the longest tried, and the largest offset.
FINGERPRINT_MS, FINGERPRINT_MAX_MS, MAX_OFFSET_MS = 1_000, 6_000, 2_000
#: The correlation a match needs: near-exact within the first 3 s (the shipped PCM itself), then
#: less (audio that went through a browser's resampling), always clear of the runner-up by a margin.
EXACT_THRESHOLD, LOOSE_AFTER_MS, MATCH_THRESHOLD, MATCH_MARGIN = 0.99, 3_000, 0.9, 0.1
PRO_32 = "af ar yue ca da nl en et fi fr gl de he hi it ja ko zh mr no nn fa pt ro ru es sv tr ur vi xh zu".split()
PRO_19 = "en es de fr pt it tr nl sv no da fi hi vi ar he ja zh ca".split()


@dataclass(frozen=True)
class StreamModel:
    """One ``speech_model`` the streaming service takes: what runs, its family, its languages."""

    family: str  # "pro" (the Pro spec, formatted final turns) or "universal"
    languages: tuple[str, ...] | None  # None: many (whisper-rt's 99+)
    status: str
    source: str
    runs_as: str | None = None  # a legacy id the service redirects, silently, to this model


#: The one table of the streaming models (platform-2026-12.md section 4).
MODELS: dict[str, StreamModel] = {
    "universal-3-6-pro": StreamModel("pro", tuple(PRO_32), "current; the server default", "[S13][S8]"),
    "universal-3-5-pro": StreamModel("pro", tuple(PRO_19), "previous flagship, supported", "[S13][S8]"),
    "u3-rt-pro": StreamModel("pro", (), "legacy", "[S7][S8]", runs_as="universal-3-5-pro"),
    "u3-pro": StreamModel("pro", (), "legacy alias of u3-rt-pro", "[S7][S8]", runs_as="universal-3-5-pro"),
    "assemblyai-stt-3-7-realtime": StreamModel(
        "pro", tuple(PRO_32), "new (Nov 2026); languages UNVERIFIED: taken as universal-3-6-pro's", "[S4]"
    ),
    "assemblyai-stt-3-7-realtime-agent": StreamModel(
        "pro", tuple(PRO_32), "new (Nov 2026); languages UNVERIFIED: taken as universal-3-6-pro's", "[S14][S4]"
    ),
    "whisper-rt": StreamModel("universal", None, "legacy, still works", "[S8]"),
    "universal-streaming-english": StreamModel("universal", ("en",), "current, lower cost", "[S13]"),
    "universal-streaming-multilingual": StreamModel(
        "universal", ("en", "es", "de", "fr", "pt", "it"), "current, lower cost", "[S13]"
    ),
}
DEFAULT_MODEL = asyncapi.SERVER_DEFAULT_MODEL
#: What each connection parameter does in the emulator: ``emulated`` (its documented effect),
#: ``no effect`` (accepted, as documented for the model family), or ``refused`` (3006, naming it).
#: A query parameter not in this table is ignored, as the service ignores one it does not know.
EMULATED, NO_EFFECT_ON_PRO, REFUSED = "emulated", "no effect on Pro models", "refused"
PARAMETERS: dict[str, tuple[str, str]] = {
    "sample_rate": (EMULATED, "16000 only (the emulator hears 16 kHz PCM)"),
    "encoding": (EMULATED, "pcm_s16le only; opus, ogg_opus, aac and pcm_mulaw are refused by value"),
    "speech_model": (EMULATED, "see the model table; a legacy id runs as its successor, named in Begin"),
    "token": (EMULATED, "a one-use temporary token from GET /v3/token"),
    "min_turn_silence": (EMULATED, "the silence that ends a turn after a sentence-final word"),
    "max_turn_silence": (EMULATED, "the silence that ends any turn"),
    "format_turns": (NO_EFFECT_ON_PRO, "Universal-Streaming: a formatted copy of each final turn"),
    "end_of_turn_confidence_threshold": (
        NO_EFFECT_ON_PRO,
        "Universal-Streaming: which silence ends a turn (confidence high after sentence-final punctuation)",
    ),
    "speaker_labels": (
        EMULATED,
        "the script's speakers; a turn change on a change of speaker; Pro models: a turn under 1 s is "
        "`PENDING`, and a `SpeakerRevision` gives its label with the next final turn (documented reading)",
    ),
    "max_speakers": (EMULATED, "1-10; no effect when the audio has no more speakers, refused (3006) when fewer"),
    "language_codes": (EMULATED, "a JSON list of at most 10 codes the model has; audio in another language: 3005"),
    "language_code": (EMULATED, "deprecated singular form of language_codes"),
    "session_heartbeat": (
        EMULATED,
        "Pro models: a `Heartbeat` every 5 s of audio (interval UNVERIFIED); ignored by Universal-Streaming",
    ),
    "continuous_partials": (EMULATED, "true (the default) only: the emulator sends a partial as each word is heard"),
    "filter_profanity": (EMULATED, "the scripts hold no profanity; echoed in Begin.configuration"),
    "min_end_of_turn_silence_when_confident": (EMULATED, "the deprecated name of min_turn_silence"),
}
for _name in (
    "mode keyterms_prompt prompt vad_threshold inactivity_timeout language_detection agent_context "
    "previous_context_n_turns voice_focus voice_focus_threshold noise_suppression_model noise_suppression_threshold "
    "interruption_delay turn_left_pad_ms speaker_labels_revision_interval_ms domain redact_pii redact_pii_policies "
    "redact_pii_sub llm_gateway webhook_url webhook_auth_header_name webhook_auth_header_value acknowledge_silence "
    "customer_support_audio_capture include_partial_turns"
).split():
    PARAMETERS[_name] = (REFUSED, "its effect depends on the audio or a service the emulator does not run")
DEFAULTS = {
    "universal": {"min_turn_silence": 400, "max_turn_silence": 1280, "end_of_turn_confidence_threshold": 0.4},
    "u3-pro": {"min_turn_silence": 100, "max_turn_silence": 1000, "end_of_turn_confidence_threshold": 0.5},
}
#: Audio between two Heartbeats; a gap before a word that makes it a ``SpeechStarted``; a Pro turn
#: shorter than this is labelled PENDING. Each a documented reading (UNVERIFIED, in the probe).
HEARTBEAT_MS, SPEECH_GAP_MS, PENDING_UNDER_MS = 5_000, 500, 1_000
SPEECH_STARTED_CONFIDENCE = 0.97
SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")
#: End-of-turn confidence after a word that ends a sentence, and after any other word.
CONFIDENT, UNSURE = 0.92, 0.31


class Refusal(Exception):
    """A session the emulator ends with an ``Error`` frame and this close code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# --- recognising the audio ---------------------------------------------------------------------


def envelope(pcm: bytes, rate: int = SAMPLE_RATE) -> Any:
    """Log-RMS energy of 20 ms frames of ``pcm_s16le`` at ``rate`` (the envelope hardly depends on the
    rate: the Voice Agent emulator hears 24 kHz and 8 kHz audio with the same 16 kHz references)."""
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    per_frame = rate * FRAME_MS // 1000
    frames = samples[: len(samples) // per_frame * per_frame].reshape(-1, per_frame)
    return np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-4)


_DECODING = threading.Lock()


_ENVELOPES: dict[str, Any] = {}  # by the file's SHA-256: a copy of the data folder is not decoded again


def _reference_envelope(path: str, mtime: float) -> Any:
    """The envelope of a conversation's opening, decoded with ffmpeg once per file content and process
    (every emulator started warms up on a thread of its own: without the lock, each decodes them all)."""
    with _DECODING:
        digest = _digest(path, mtime)
        if digest not in _ENVELOPES:
            _ENVELOPES[digest] = _decoded_envelope(path)
        return _ENVELOPES[digest]


@functools.cache
def _digest(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _decoded_envelope(path: str) -> Any:
    import subprocess

    seconds = (FINGERPRINT_MAX_MS + MAX_OFFSET_MS) / 1000 + 1
    command = ["ffmpeg", "-nostdin", "-v", "error", "-t", str(seconds), "-i", path]
    result = subprocess.run([*command, "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"], capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not decode {path}: {result.stderr.decode(errors='replace')}")
    return envelope(result.stdout)


def _best_lag(heard: Any, reference: Any) -> tuple[float, int]:
    """The highest Pearson correlation of ``heard`` with a window of ``reference``, and its lag (ms)."""
    import numpy as np

    lags = min(MAX_OFFSET_MS // FRAME_MS + 1, len(reference) - len(heard) + 1)
    if lags < 1 or heard.std() < 1e-6:
        return -1.0, 0
    windows = np.lib.stride_tricks.sliding_window_view(reference, len(heard))[:lags]
    a = heard - heard.mean()
    b = windows - windows.mean(axis=1, keepdims=True)
    norms = np.sqrt((b**2).sum(axis=1)) * np.sqrt((a**2).sum())
    scores = np.where(norms > 1e-9, (b @ a) / np.maximum(norms, 1e-9), -1.0)
    best = int(scores.argmax())
    return float(scores[best]), best * FRAME_MS


def warm_up(candidates: dict[str, Path]) -> None:
    """Decode every conversation's opening now, so that the first session does not wait for it."""
    for path in candidates.values():
        _reference_envelope(str(path), path.stat().st_mtime)


def recognise(pcm: bytes, candidates: dict[str, Path], rate: int = SAMPLE_RATE) -> tuple[str, int] | None:
    """The conversation (name, offset in ms) whose opening this stream (``pcm_s16le`` at ``rate``) is,
    or None if unsure."""
    heard = envelope(pcm, rate)
    threshold = EXACT_THRESHOLD if len(heard) * FRAME_MS < LOOSE_AFTER_MS else MATCH_THRESHOLD
    scores: list[tuple[float, str, int]] = []
    for name, path in candidates.items():
        score, lag = _best_lag(heard, _reference_envelope(str(path), path.stat().st_mtime))
        scores.append((score, name, lag))
    scores.sort(reverse=True)
    if not scores or scores[0][0] < threshold:
        return None
    if len(scores) > 1 and scores[0][0] - scores[1][0] < MATCH_MARGIN:
        return None
    return scores[0][1], scores[0][2]


# --- one session -------------------------------------------------------------------------------


def _bare(text: str) -> str:
    return re.sub(r"[^\w']+", "", text.lower())


@dataclass
class Session:
    """The state of one WebSocket session."""

    params: dict
    spec: str
    conversation: conversations.Conversation | None = None
    offset_ms: int = 0
    pcm: bytearray = field(default_factory=bytearray)
    heard_ms: float = 0.0
    next_word: int = 0
    turn: list[dict] = field(default_factory=list)
    turn_order: int = 0
    started: float = field(default_factory=time.monotonic)
    max_duration_s: int | None = None
    next_speech: int = 0  # the next word that may start speech after silence (SpeechStarted)
    heartbeats: int = 0
    pending: list[tuple[int, list[dict]]] = field(default_factory=list)  # PENDING turns to revise

    def words(self) -> list[dict]:
        """The script's words on the stream's clock (shifted by the offset the stream started at)."""
        assert self.conversation is not None
        shifted = []
        for index, word in enumerate(self.conversation.words):
            if word["start"] >= self.offset_ms:
                start, end = word["start"] - self.offset_ms, word["end"] - self.offset_ms
                shifted.append({**word, "start": start, "end": end, "index": index})
        return shifted

    def silence_needed(self, word: dict) -> tuple[int, float]:
        confidence = CONFIDENT if SENTENCE_END.search(word["text"]) else UNSURE
        threshold = self.params["end_of_turn_confidence_threshold"]
        silence = self.params["min_turn_silence"] if confidence >= threshold else self.params["max_turn_silence"]
        return silence, confidence

    def _word(self, word: dict, formatted: bool, final: bool = True) -> dict:
        assert self.conversation is not None
        entry = {
            "text": word["text"] if formatted else _bare(word["text"]),
            "start": word["start"],
            "end": word["end"],
            "confidence": conversations.confidence(self.conversation.name, word["index"], word["text"]),
            "word_is_final": final,
        }
        if self.spec == "u3-pro" and self.params.get("speaker_labels"):
            entry["speaker"] = self.label(word["speaker"])
        return entry

    def label(self, speaker: str) -> str:
        """A Pro turn's label: PENDING while the turn has under 1 s of speech (documented reading)."""
        if self.spec != "u3-pro" or not self.turn:
            return speaker
        return "PENDING" if self.turn[-1]["end"] - self.turn[0]["start"] < PENDING_UNDER_MS else speaker

    def turn_message(self, *, end_of_turn: bool, formatted: bool, confidence: float, pending: dict | None) -> dict:
        words = [self._word(w, formatted) for w in self.turn]
        if pending is not None:
            words.append(self._word(pending, formatted, final=False))
        message = {
            "type": "Turn",
            "turn_order": self.turn_order,
            "turn_is_formatted": formatted,
            "end_of_turn": end_of_turn,
            "transcript": " ".join(w["text"] for w in words if w["word_is_final"]),
            "end_of_turn_confidence": confidence,
            "words": words,
        }
        if self.spec == "universal":
            message["utterance"] = message["transcript"] if end_of_turn else ""
        if self.params.get("speaker_labels") and self.turn:
            message["speaker_label"] = self.label(self.turn[0]["speaker"])
        return message

    def revisions(self) -> list[dict]:
        """A ``SpeakerRevision`` for the PENDING turns so far (none when there are none)."""
        if not self.pending:
            return []
        revisions = []
        for order, words in self.pending:
            speaker = words[0]["speaker"]
            fixed = [{**self._word(w, True), "speaker": w["speaker"]} for w in words]
            revisions.append({"turn_order": order, "speaker_label": speaker, "words": fixed})
        self.pending = []
        return [{"type": "SpeakerRevision", "revisions": revisions}]

    def speech_started(self) -> list[dict]:
        """``SpeechStarted`` (Pro models) for each word heard so far that starts after a silence."""
        if self.spec != "u3-pro" or self.conversation is None:
            return []
        words, out = self.words(), []
        while self.next_speech < len(words) and words[self.next_speech]["start"] <= self.heard_ms:
            word = words[self.next_speech]
            before = words[self.next_speech - 1]["end"] if self.next_speech else None
            if before is None or word["start"] - before >= SPEECH_GAP_MS:
                out.append(
                    {"type": "SpeechStarted", "timestamp": word["start"], "confidence": SPEECH_STARTED_CONFIDENCE}
                )
            self.next_speech += 1
        return out

    def heartbeat(self) -> list[dict]:
        """A ``Heartbeat`` (Pro models, ``session_heartbeat``) each time 5 s more audio has arrived."""
        if self.spec != "u3-pro" or not self.params.get("session_heartbeat"):
            return []
        if self.heard_ms < (self.heartbeats + 1) * HEARTBEAT_MS:
            return []
        self.heartbeats += 1
        wall_ms = max(1, round((time.monotonic() - self.started) * 1000))
        since = self.heard_ms - HEARTBEAT_MS
        speech = self.conversation is not None and any(
            w["end"] > since and w["start"] < self.heard_ms for w in self.words()
        )
        return [
            {
                "type": "Heartbeat",
                "total_audio_received_ms": round(self.heard_ms),
                "total_duration_ms": wall_ms,
                "realtime_factor": round(self.heard_ms / wall_ms, 3),
                "max_speech_probability": 0.97 if speech else 0.02,
            }
        ]

    def finish_turn(self, confidence: float) -> list[dict]:
        """The final Turn message(s) for the words heard in this turn, and a fresh turn."""
        if not self.turn:
            return []
        formatted = self.spec == "u3-pro" or bool(self.params.get("format_turns"))
        if self.spec == "u3-pro":
            messages = [self.turn_message(end_of_turn=True, formatted=True, confidence=1.0, pending=None)]
            revised = self.revisions()  # the turns left PENDING before this one, now placed
            if self.params.get("speaker_labels") and messages[0].get("speaker_label") == "PENDING":
                self.pending.append((self.turn_order, list(self.turn)))
            messages += revised
        else:
            messages = [self.turn_message(end_of_turn=True, formatted=False, confidence=confidence, pending=None)]
            if formatted:
                messages.append(
                    self.turn_message(end_of_turn=True, formatted=True, confidence=confidence, pending=None)
                )
        self.turn = []
        self.turn_order += 1
        return messages

    def advance(self) -> list[dict]:
        """Messages due now that ``heard_ms`` of audio have arrived."""
        if self.conversation is None:
            return self.heartbeat()
        words, out, added = self.words(), self.speech_started() + self.heartbeat(), False
        while self.next_word < len(words) and words[self.next_word]["end"] <= self.heard_ms:
            word = words[self.next_word]
            if self.turn:
                last = self.turn[-1]
                silence, confidence = self.silence_needed(last)
                new_speaker = self.params.get("speaker_labels") and word["speaker"] != last["speaker"]
                if word["start"] - last["end"] >= silence or new_speaker:
                    out += self.finish_turn(confidence)
                    added = False
            self.turn.append(word)
            self.next_word += 1
            added = True
        if self.turn:
            last = self.turn[-1]
            silence, confidence = self.silence_needed(last)
            following = words[self.next_word]["start"] if self.next_word < len(words) else float("inf")
            if self.heard_ms >= last["end"] + silence and following >= last["end"] + silence:
                return out + self.finish_turn(confidence)
        if added:
            pending = words[self.next_word] if self.next_word < len(words) else None
            pending = pending if pending and pending["start"] < self.heard_ms else None
            out.append(self.turn_message(end_of_turn=False, formatted=False, confidence=0.05, pending=pending))
        return out


# --- the server --------------------------------------------------------------------------------


def _flag(value: str, name: str) -> bool:
    if value.lower() not in {"true", "false"}:
        raise Refusal(3006, f"Invalid Message: {name} must be true or false, not {value!r}")
    return value.lower() == "true"


def _integer(value: str, name: str, low: int = 0, high: int | None = None) -> int:
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Refusal(3006, f"Invalid Message: {name} must be an integer {bounds}, not {value!r}")
    return int(value)


def _language_codes(value: str, name: str, model: str) -> list[str]:
    try:
        codes = json.loads(value) if name == "language_codes" else [value]
    except ValueError:
        codes = None
    if not isinstance(codes, list) or not 1 <= len(codes) <= 10 or not all(isinstance(c, str) for c in codes):
        raise Refusal(3006, f"Invalid Message: {name} must be a JSON list of 1 to 10 language codes, not {value!r}")
    known = MODELS[model].languages
    unknown = [c for c in codes if known is not None and c.split("_")[0] not in known]
    if unknown:
        raise Refusal(3006, f"Invalid Message: {model} does not transcribe {', '.join(unknown)}")
    return codes


def parse_params(query: str) -> tuple[dict, str]:
    """The session's parameters (:data:`PARAMETERS`) and the spec of the model that runs.

    A parameter the table does not hold is ignored, as the service ignores one it does not know:
    ``Begin.configuration`` says what runs.
    """
    raw = dict(parse_qsl(query, keep_blank_values=True))
    asked = raw.get("speech_model", DEFAULT_MODEL)
    if asked not in MODELS:
        raise Refusal(3006, f"Invalid Message: speech_model {asked!r} is not one of {sorted(MODELS)}")
    model = MODELS[asked].runs_as or asked
    which = asyncapi.spec_for_model(model)
    params: dict[str, Any] = {**DEFAULTS[which], "speech_model": model, "asked_model": asked}
    for name, value in raw.items():
        status, why = PARAMETERS.get(name, (None, ""))
        if status is None or name in {"token", "speech_model"}:
            continue  # unknown: ignored, as the service does
        if status == REFUSED:
            raise Refusal(
                3006, f"Invalid Message: the emulator does not emulate the {name!r} parameter ({why}); remove it"
            )
        if name in {"format_turns", "speaker_labels", "session_heartbeat", "filter_profanity"}:
            params[name] = _flag(value, name)
        elif name == "continuous_partials":
            if not _flag(value, name):
                raise Refusal(
                    3006, "Invalid Message: the emulator emulates only continuous_partials=true (the default)"
                )
        elif name in {"sample_rate", "min_turn_silence", "max_turn_silence", "min_end_of_turn_silence_when_confident"}:
            key = "min_turn_silence" if name == "min_end_of_turn_silence_when_confident" else name
            params[key] = _integer(value, name)
        elif name == "max_speakers":
            params[name] = _integer(value, name, 1, 10)
        elif name in {"language_codes", "language_code"}:
            params["language_codes"] = _language_codes(value, name, model)
        elif name == "end_of_turn_confidence_threshold":
            try:
                params[name] = float(value)
            except ValueError:
                raise Refusal(3006, f"Invalid Message: {name} must be a number, not {value!r}") from None
        elif name == "encoding" and value != "pcm_s16le":
            raise Refusal(3006, f"Invalid Message: the emulator only emulates pcm_s16le audio, not {value!r}")
    if params.get("sample_rate", SAMPLE_RATE) != SAMPLE_RATE:
        raise Refusal(3006, f"Invalid Message: the emulator only emulates sample_rate={SAMPLE_RATE}")
    if which == "u3-pro":  # documented: no effect on the Pro models
        params.update(
            format_turns=False, end_of_turn_confidence_threshold=DEFAULTS[which]["end_of_turn_confidence_threshold"]
        )
    return params, which


def configuration(params: dict, api_version: str | None) -> dict:
    """``Begin.configuration``: the keys of a real Begin (2026-09-18 capture), for this session."""
    return {
        "model": params["speech_model"],
        "mode": None,
        "api_version": api_version or "2025-05-12",
        "speaker_labels": bool(params.get("speaker_labels")),
        "redact_pii": False,
        "filter_profanity": bool(params.get("filter_profanity")),
        "domain": None,
        "voice_focus": None,
    }


def recognisable(data_dir: Path) -> dict[str, conversations.Conversation]:
    """The conversations a stream can be recognised as: each shipped recording but the parts of a longer
    one and the multichannel copies (the same speech as their mono original, so ambiguous)."""
    return {
        c.name: c
        for c in conversations.load_library(data_dir).values()
        if not c.part_of and not c.channels and (data_dir / "audio" / f"{c.name}.mp3").is_file()
    }


class StreamingServer(LoopbackServer):
    """``streaming.assemblyai.com`` on a loopback port, in a thread of its own."""

    def __init__(self, api_key: str, data_dir: Path, port: int = 0):
        super().__init__(port)
        self.api_key = api_key
        self.data_dir = data_dir
        self.library = recognisable(data_dir)
        self.candidates = {name: data_dir / "audio" / f"{name}.mp3" for name in self.library}
        self.tokens: dict[str, tuple[float, int | None]] = {}
        self.traffic: list[tuple[str, Any]] = []  # (sender, message) of every session, for tests
        self.violations: list[str] = []
        self.sessions = 0

    def start(self) -> Self:
        asyncapi.warm_up()  # parse the specs now, not while the first client waits
        threading.Thread(target=warm_up, args=(self.candidates,), daemon=True).start()
        return super().start()

    # -- the token endpoint (plain HTTP on the same port) --

    def _http(self, connection: Any, request: Any) -> Any:
        parts = urlsplit(request.path)
        if parts.path == "/v3/ws":
            return None  # the WebSocket handshake goes on
        if parts.path != "/v3/token":
            return json_response(404, {"error": "Not found"})
        status, body = self.token(parts.query, request.headers.get("Authorization"))
        try:
            asyncapi.validate_token_response(status, body)
        except SpecViolation as violation:
            self.violations.append(f"GET /v3/token: {violation}")
            status, body = 500, {"error": f"emulator bug: {violation}"}
        return json_response(status, body)

    def token(self, query: str, authorization: str | None) -> tuple[int, dict]:
        """``GET /v3/token``: a one-use temporary token for a browser."""
        if authorization != self.api_key:
            return 401, {"error": UNAUTHORIZED}
        raw = dict(parse_qsl(query, keep_blank_values=True))
        schema = asyncapi.token_query_schema()
        unknown = set(raw) - set(schema)
        if unknown:
            return 400, {"error": f"Unknown query parameter(s): {', '.join(sorted(unknown))}"}
        values: dict[str, int] = {}
        for name, rule in schema.items():
            if name not in raw:
                if rule["required"]:
                    return 400, {"error": f"{name} is required"}
                continue
            low, high = rule["schema"]["minimum"], rule["schema"]["maximum"]
            if not raw[name].isdigit() or not low <= int(raw[name]) <= high:
                return 400, {"error": f"{name} must be an integer between {low} and {high}"}
            values[name] = int(raw[name])
        token = "emu-tmp-" + secrets.token_hex(20)
        expires = values["expires_in_seconds"]
        self.tokens[token] = (time.monotonic() + expires, values.get("max_session_duration_seconds"))
        return 200, {"token": token, "expires_in_seconds": expires}

    # -- the WebSocket --

    def _authorise(self, query: str, authorization: str | None) -> int | None:
        """The session's maximum duration if it may connect; raises Refusal(1008) if not."""
        token = dict(parse_qsl(query)).get("token")
        if not token and authorization and authorization.startswith("emu-tmp-"):
            token = authorization  # the SDK sends a temporary token as the Authorization header
        if token:
            expiry = self.tokens.pop(token, None)  # a temporary token is good for one session
            if expiry is None or time.monotonic() > expiry[0]:
                raise Refusal(1008, "Unauthorized Connection: Invalid or expired temporary token")
            return expiry[1]
        if not authorization:
            raise Refusal(1008, "Unauthorized Connection: Missing Authorization header")
        if authorization != self.api_key:
            raise Refusal(1008, "Unauthorized Connection: Invalid API key")
        return None

    async def _send(self, websocket: Any, message: dict, model: str | None) -> None:
        try:
            asyncapi.validate_message(message, sender="server", speech_model=model)
        except SpecViolation as violation:
            self.violations.append(str(violation))
            message = {"type": "Error", "error_code": 3005, "error": f"Session Cancelled: emulator bug: {violation}"}
        self.traffic.append(("server", message))
        await websocket.send(json.dumps(message))

    async def _session(self, websocket: Any) -> None:
        self.sessions += 1
        parts = urlsplit(websocket.request.path)
        model: str | None = None
        try:
            max_duration = self._authorise(parts.query, websocket.request.headers.get("Authorization"))
            params, which = parse_params(parts.query)
            model = params["speech_model"]
            session = Session(params, which, max_duration_s=max_duration)
            digest = hashlib.sha256(f"{parts.query}|{self.sessions}".encode()).hexdigest()
            begin = {
                "type": "Begin",
                "id": str(uuid.UUID(digest[:32])),
                "expires_at": int(time.time()) + 10_800,
                "configuration": configuration(params, websocket.request.headers.get("AssemblyAI-Version")),
            }
            await self._send(websocket, begin, model)
            await self._converse(websocket, session)
        except Refusal as refusal:
            await self._send(websocket, {"type": "Error", "error_code": refusal.code, "error": str(refusal)}, model)
            reason = str(refusal) if len(str(refusal).encode()) <= 123 else "See Error message for details"
            await websocket.close(refusal.code, reason)
        except Exception as error:  # a closed socket ends the session; anything else is a bug, reported
            from websockets.exceptions import ConnectionClosed

            if not isinstance(error, ConnectionClosed):
                self.violations.append(f"emulator error: {error!r}")
                raise

    async def _converse(self, websocket: Any, session: Session) -> None:
        model = session.params["speech_model"]
        async for frame in websocket:
            if session.max_duration_s and time.monotonic() - session.started > session.max_duration_s:
                raise Refusal(3008, "Session Expired: Maximum session duration exceeded")
            if isinstance(frame, bytes):
                out = self._audio(session, frame)
            else:
                out, done = self._control(session, frame)
                if done:
                    for message in out:
                        await self._send(websocket, message, model)
                    termination = {
                        "type": "Termination",
                        "audio_duration_seconds": round(session.heard_ms / 1000),
                        "session_duration_seconds": round(time.monotonic() - session.started),
                    }
                    await self._send(websocket, termination, model)
                    await websocket.close(1000, "")
                    return
            for message in out:
                await self._send(websocket, message, model)

    def _audio(self, session: Session, chunk: bytes) -> list[dict]:
        duration = len(chunk) / 2 / SAMPLE_RATE * 1000
        self.traffic.append(("client", {"audio_ms": duration}))
        if not 50 <= duration <= 1000:
            raise Refusal(3007, f"Input duration violation: {duration:.0f} ms. Expected between 50 and 1000 ms")
        session.heard_ms += duration
        if session.conversation is None:
            session.pcm += chunk
            self._recognise(session)
        return session.advance()

    def _recognise(self, session: Session) -> None:
        heard = len(session.pcm) / 2 / SAMPLE_RATE * 1000
        if heard < FINGERPRINT_MS:
            return
        found = recognise(bytes(session.pcm[: int(min(heard, FINGERPRINT_MAX_MS) * 32)]), self.candidates)
        if found:
            name, offset = found
            session.conversation, session.offset_ms, session.pcm = self.library[name], offset, bytearray()
            self._check_heard(session)
        elif heard >= FINGERPRINT_MAX_MS:
            raise Refusal(
                3005,
                "Session Cancelled: the emulator does not recognise this audio; it transcribes only the "
                "conversations in data/audio, streamed from their start as 16 kHz pcm_s16le",
            )

    def _check_heard(self, session: Session) -> None:
        """Refuse what the emulator cannot answer for this audio: another language, fewer speakers."""
        assert session.conversation is not None
        conversation, params = session.conversation, session.params
        language = conversation.language_code.split("_")[0]
        codes = params.get("language_codes")
        model = MODELS[params["speech_model"]]
        if codes and language not in {c.split("_")[0] for c in codes}:
            raise Refusal(3005, f"Session Cancelled: the emulator cannot transcribe {language} audio as {codes}")
        if model.languages is not None and language not in model.languages:
            raise Refusal(3005, f"Session Cancelled: {params['speech_model']} does not transcribe {language}")
        speakers = len({w["speaker"] for w in conversation.words})
        if params.get("speaker_labels") and params.get("max_speakers", 10) < speakers:
            raise Refusal(
                3006,
                f"Invalid Message: the emulator cannot emulate max_speakers={params['max_speakers']} for audio "
                f"with {speakers} speakers; leave it out or set at least {speakers}",
            )

    def _control(self, session: Session, text: str) -> tuple[list[dict], bool]:
        model = session.params["speech_model"]
        try:
            payload = json.loads(text)
        except ValueError:
            raise Refusal(3006, f"Invalid JSON: {text[:80]}") from None
        if not isinstance(payload, dict):
            raise Refusal(3006, f"Invalid Message: {text[:80]}")
        self.traffic.append(("client", payload))
        kind = payload.get("type")
        if kind not in asyncapi.CLIENT_TYPES:
            raise Refusal(3006, f"Invalid Message Type: {kind}")
        try:
            asyncapi.validate_message(payload, sender="client", speech_model=model)
        except SpecViolation as violation:
            raise Refusal(3006, f"Invalid Message: {violation}") from None
        if kind == "Terminate":
            return session.finish_turn(UNSURE) + session.revisions(), True
        if kind == "ForceEndpoint":
            return session.finish_turn(1.0), False
        for name, value in payload.items():
            if name == "type" or value is None:
                continue
            if name not in {"min_turn_silence", "max_turn_silence", "end_of_turn_confidence_threshold"}:
                raise Refusal(3006, f"Invalid Message: the emulator does not emulate updating {name!r}")
            session.params[name] = value
        return session.advance(), False


def features_section() -> list[str]:
    """The streaming part of docs/emulator-features.md: the model table and the parameter table."""
    lines = [
        "## Streaming (`tools/emulator/streaming.py`)",
        "",
        "Generated from `MODELS` and `PARAMETERS`. A query parameter in neither table is **ignored**, as the",
        "service ignores one it does not know (platform-2026-12.md section 4 [S8]); `Begin.configuration` says",
        "what runs. Messages are checked against the March AsyncAPI specs with `tools/asyncapi_overlay.yml`.",
        "",
        "| `speech_model` | family | runs as | languages | status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, model in MODELS.items():
        languages = "99+" if model.languages is None else str(len(model.languages) or "its successor's")
        default = " (default)" if name == DEFAULT_MODEL else ""
        lines.append(
            f"| `{name}`{default} | {model.family} | {model.runs_as or name} | {languages} | "
            f"{model.status} {model.source} |"
        )
    lines += ["", "| parameter | emulated or refused | how, or why not |", "| --- | --- | --- |"]
    for name, (status, why) in PARAMETERS.items():
        lines.append(f"| `{name}` | {status} | {why.replace('|', '/')} |")
    lines += [
        "",
        "Documented readings (UNVERIFIED, each in the live probe, `tools/probe.py`):",
        "",
        "- `Begin.configuration` holds the eight keys of a real Begin (2026-09-18 capture of a",
        "  universal-streaming-english session): `model`, `mode`, `api_version`, `speaker_labels`, `redact_pii`,",
        "  `filter_profanity`, `domain`, `voice_focus`. The capture shows no turn parameters, so the emulator",
        "  does not invent them there; `mode` is null (the emulator refuses `mode`).",
        "- The stt-3-7 realtime models' languages are not published; taken as universal-3-6-pro's 32.",
        f"- `SpeechStarted` (Pro models): for the first word and each word after {SPEECH_GAP_MS} ms or more of",
        f"  silence, sent once the word starts, with the VAD confidence {SPEECH_STARTED_CONFIDENCE}.",
        f"- `PENDING` (Pro models, `speaker_labels`): a turn with under {PENDING_UNDER_MS} ms of speech; the",
        "  `SpeakerRevision` after the next final turn (or at `Terminate`) gives its label and words. The",
        "  Universal-Streaming models keep the script's speaker on every turn (the March spec's `UNKNOWN` for",
        "  short turns is not emulated).",
        f"- `Heartbeat` (Pro models, `session_heartbeat`): one per {HEARTBEAT_MS} ms of audio received.",
        "- Pro models: their own turn defaults (`min_turn_silence` 100, `max_turn_silence` 1000), as u3-rt-pro's.",
    ]
    return lines
