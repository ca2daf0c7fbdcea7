"""Synthesise a conversation script into reference audio with real word timings.

    python -m tools.synth data/scripts/support-call.yaml
    python -m tools.synth --all

Each turn is spoken by libespeak-ng (through ctypes) in its speaker's voice. The synthesiser reports
an event at the start of every word, with its position in the text and in the audio: those events
are the word timings, so the transcripts the emulator builds from them are real, not estimated.
Turns are joined with a pause, resampled to 16 kHz mono and encoded to MP3 with ffmpeg, and the
timings are written beside the script (format: docs/contracts.md).

A turn can also annotate spans of its words (docs/contracts.md): ``entities`` (PII and entity types
from the spec's PiiPolicy/EntityType names) and ``written`` (what the model writes for a span: digits
for spoken numbers, with ``as``, applied only with text formatting; a misheard word, with ``heard``),
each with the confidence the model gives it. These are copied into the timing file as word-index
spans; ``--annotations-only`` rewrites them from the scripts without synthesising again, so the
audio and word timings stay as they are.

A script with ``channels`` (each speaker's channel, ``{A: 1, B: 2}``) is written as a two-channel
recording, each speaker alone on theirs, as a contact centre records a call; a turn with
``overlap_ms`` starts that long before the previous turn's sound ends (both speakers talk at once).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cookbook_utils.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "data" / "scripts"
AUDIO = ROOT / "data" / "audio"

# libespeak-ng's constants (speak_lib.h).
AUDIO_OUTPUT_SYNCHRONOUS = 2
EVENT_LIST_TERMINATED, EVENT_WORD = 0, 1
CHARS_UTF8, POS_CHARACTER = 1, 1
PARAM_RATE, PARAM_PITCH, PARAM_RANGE = 1, 3, 4
FRAME_MS = 10  # energy frames used to find where a word's sound ends
#: The entity types a script may annotate: the spec's EntityType (= PiiPolicy) names.
ENTITY_TYPES = (
    "account_number banking_information blood_type credit_card_cvv credit_card_expiration credit_card_number date "
    "date_interval date_of_birth drivers_license drug duration email_address event filename gender "
    "gender_sexuality healthcare_number injury ip_address language location marital_status medical_condition "
    "medical_process money_amount nationality number_sequence occupation organization "
    "organization_medical_facility passport_number password person_age person_name phone_number "
    "physical_attribute political_affiliation religion sexuality statistics time url us_social_security_number "
    "username vehicle_id zodiac_sign"
).split()


class SynthError(RuntimeError):
    """The script cannot be synthesised; the message says why and what to do."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class Speech:
    """One synthesised turn: its samples and the word events as (character index, start_ms)."""

    samples: np.ndarray
    events: list[tuple[int, int]]


class Espeak:
    """A thin wrapper over libespeak-ng in synchronous mode."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self._lib = ctypes.CDLL(name)
        except OSError as error:
            raise SynthError("libespeak-ng is not installed: apt-get install espeak-ng") from error
        self.sample_rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
        if self.sample_rate <= 0:
            raise SynthError("libespeak-ng failed to initialise (is espeak-ng-data installed?)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int]] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: C holds only the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == EVENT_WORD:
                self._events.append((event.text_position, event.length, event.audio_position))
            index += 1
        return 0

    def speak(self, text: str, voice: str, *, speed: int, pitch: int, pitch_range: int = 50) -> Speech:
        """Synthesise ``text``; returns the samples and each word's start in milliseconds."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise SynthError(f"espeak-ng has no voice {voice!r}: see `espeak-ng --voices` and `--voices=variant`")
        self._lib.espeak_SetParameter(PARAM_RATE, speed, 0)
        self._lib.espeak_SetParameter(PARAM_PITCH, pitch, 0)
        self._lib.espeak_SetParameter(PARAM_RANGE, pitch_range, 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(data)
        self._lib.espeak_Synth(buffer, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        # text_position counts characters from 1; events of length 0 mark sentence ends.
        events = [(pos - 1, ms) for pos, length, ms in self._events if length > 0]
        return Speech(samples.astype(np.int16), events)


def _voiced_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """A boolean per 10 ms frame: does it hold speech (energy above a floor)?"""
    step = rate * FRAME_MS // 1000
    frames = samples[: len(samples) // step * step].astype(np.float64).reshape(-1, step)
    rms = np.sqrt((frames**2).mean(axis=1))
    return rms > max(150.0, rms.max() * 0.02) if len(rms) else np.zeros(0, dtype=bool)


def _token_starts(text: str, events: list[tuple[int, int]], end_ms: int) -> list[tuple[str, int]]:
    """Each whitespace-separated token of ``text`` with the start (ms) of its first word event.

    espeak-ng reports one event per spoken word, at the word's character position: a number such as
    "4417" gives several, "it's" one. Events are assigned to the token whose characters they fall in.
    """
    tokens = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    starts: list[int | None] = [None] * len(tokens)
    for position, ms in events:
        for index, (_, first, last) in enumerate(tokens):
            if first <= position < last:
                starts[index] = ms if starts[index] is None else min(starts[index], ms)
                break
    if starts and starts[0] is None:
        raise SynthError(f"espeak-ng reported no word event for the first word of {text!r}")
    # espeak-ng sometimes speaks a short word together with the next one ("the name") and reports
    # one event for both. Such a word shares the span up to the next event (or the end of the
    # turn's sound), split in proportion to the words' lengths in characters.
    index = 0
    while index < len(tokens):
        if starts[index] is not None:
            index += 1
            continue
        gap_end = index
        while gap_end < len(tokens) and starts[gap_end] is None:
            gap_end += 1
        first, span_start = index - 1, starts[index - 1]
        span_end = starts[gap_end] if gap_end < len(tokens) else end_ms
        lengths = [len(tokens[i][0]) for i in range(first, gap_end)]
        elapsed = 0
        for offset, i in enumerate(range(index, gap_end)):
            elapsed += lengths[offset]
            starts[i] = span_start + (span_end - span_start) * elapsed // sum(lengths)
        index = gap_end
    return [(token, start) for (token, _, _), start in zip(tokens, starts, strict=True)]


def _word_timings(speech: Speech, text: str, rate: int) -> tuple[list[dict], int]:
    """Each word with start and end (ms) in the turn, and where the turn's sound ends.

    A word ends at the last voiced 10 ms frame before the next word starts."""
    voiced = _voiced_frames(speech.samples, rate)
    sound_end = (int(np.flatnonzero(voiced)[-1]) + 1) * FRAME_MS if voiced.any() else 0
    tokens = _token_starts(text, speech.events, sound_end)
    words = []
    for index, (token, start) in enumerate(tokens):
        limit = tokens[index + 1][1] if index + 1 < len(tokens) else sound_end
        frames = np.flatnonzero(voiced[start // FRAME_MS : max(limit // FRAME_MS, start // FRAME_MS + 1)])
        end = start + (int(frames[-1]) + 1) * FRAME_MS if len(frames) else limit
        words.append({"text": token, "start": start, "end": max(min(end, limit), start + FRAME_MS)})
    return words, sound_end


@functools.cache
def _espeak() -> Espeak:
    """One engine per process: libespeak-ng keeps global state and is initialised once.

    That state carries over from one utterance to the next, so output is reproducible per process:
    the command line synthesises each script in a fresh one."""
    return Espeak()


def load_script(path: Path) -> dict:
    """Read and check a conversation script."""
    script = load_yaml(path.read_text())
    for key in ("language_code", "speakers", "turns"):
        if key not in script:
            raise SynthError(f"{path}: the script has no {key!r}")
    for number, turn in enumerate(script["turns"]):
        if turn.get("speaker") not in script["speakers"]:
            raise SynthError(f"{path}: turn {number} names an unknown speaker {turn.get('speaker')!r}")
        if not str(turn.get("text", "")).strip():
            raise SynthError(f"{path}: turn {number} has no text")
    return script


def _bare(token: str) -> str:
    return re.sub(r"[^\w']+", "", token.lower())


def _find_span(tokens: list[str], said: str, nth: int, where: str) -> tuple[int, int]:
    """Indexes (first, last) of the ``nth`` occurrence of the words ``said`` among ``tokens``,
    ignoring case and punctuation."""
    wanted = [_bare(part) for part in said.split()]
    bare = [_bare(token) for token in tokens]
    hits = [i for i in range(len(bare) - len(wanted) + 1) if bare[i : i + len(wanted)] == wanted]
    if len(hits) < nth:
        raise SynthError(f"{where}: the turn does not say {said!r} {nth} time(s); annotate words the turn says")
    return hits[nth - 1], hits[nth - 1] + len(wanted) - 1


def annotate(script: dict, words: list[dict], where: str = "script") -> dict:
    """The script's ``entities`` and ``written`` annotations as spans of ``words`` (global indexes,
    ``first`` and ``last`` inclusive), in the order of the words."""
    entities, written = [], []
    for number, turn in enumerate(script["turns"]):
        indexes = [i for i, w in enumerate(words) if w["turn"] == number]
        tokens = [words[i]["text"] for i in indexes]
        place = f"{where}: turn {number}"
        for entry in turn.get("entities") or []:
            entry = dict(entry)
            nth = int(entry.pop("nth", 1))
            if len(entry) != 1:
                raise SynthError(f"{place}: an entity is one `type: words` pair (and an optional nth), got {entry}")
            ((kind, said),) = entry.items()
            if kind not in ENTITY_TYPES:
                raise SynthError(f"{place}: {kind!r} is not an entity type of the spec ({', '.join(ENTITY_TYPES)})")
            first, last = _find_span(tokens, str(said), nth, place)
            entities.append({"type": kind, "first": indexes[first], "last": indexes[last]})
        for entry in turn.get("written") or []:
            if ("as" in entry) == ("heard" in entry) or "said" not in entry:
                raise SynthError(f"{place}: a written form has `said` and one of `as` (formatting) or `heard`")
            confidence = float(entry.get("confidence", 0.9))
            if not 0 <= confidence <= 1:
                raise SynthError(f"{place}: confidence must be between 0 and 1, got {confidence}")
            first, last = _find_span(tokens, str(entry["said"]), int(entry.get("nth", 1)), place)
            written.append(
                {
                    "first": indexes[first],
                    "last": indexes[last],
                    "text": str(entry.get("as", entry.get("heard"))),
                    "formatting": "as" in entry,
                    "confidence": confidence,
                }
            )
    sentiments = []
    for number, turn in enumerate(script["turns"]):
        if not turn.get("sentiment"):
            continue
        indexes = [i for i, w in enumerate(words) if w["turn"] == number]
        ends = [n for n, i in enumerate(indexes) if re.search(r"[.?!][\"')\]]*$", words[i]["text"])]
        if not ends or ends[-1] != len(indexes) - 1:
            ends.append(len(indexes) - 1)
        labels = turn["sentiment"]
        if len(labels) != len(ends) or not set(labels) <= {"POSITIVE", "NEUTRAL", "NEGATIVE"}:
            raise SynthError(
                f"{where}: turn {number}: sentiment lists POSITIVE, NEUTRAL or NEGATIVE for each of its "
                f"{len(ends)} sentences, got {labels}"
            )
        starts = [0] + [end + 1 for end in ends[:-1]]
        for label, first, last in zip(labels, starts, ends, strict=True):
            sentiments.append({"first": indexes[first], "last": indexes[last], "sentiment": label})
    spoken = " ".join(_bare(w["text"]) for w in words)
    for phrase in script.get("key_phrases") or []:
        if f" {' '.join(_bare(p) for p in str(phrase).split())} " not in f" {spoken} ":
            raise SynthError(f"{where}: the key phrase {phrase!r} is never said")
    spans = sorted((w["first"], w["last"]) for w in written)
    for (_, last), (first, _) in zip(spans, spans[1:], strict=False):
        if first <= last:
            raise SynthError(f"{where}: written forms overlap (words {first}..{last}); make them disjoint")
    return {
        "entities": sorted(entities, key=lambda e: (e["first"], e["last"])),
        "written": sorted(written, key=lambda w: w["first"]),
        "sentiments": sentiments,
        "key_phrases": [str(phrase) for phrase in script.get("key_phrases") or []],
    }


def _speakers(script: dict) -> dict:
    """What the timing file keeps of each speaker: name, role and the voice's pitch (the emulator
    merges the closest voices when asked for fewer speakers than the script has)."""
    return {
        label: {k: v for k, v in s.items() if k in ("name", "role", "pitch")} for label, s in script["speakers"].items()
    }


def synthesise(script_path: Path, audio_dir: Path = AUDIO, timing_dir: Path | None = None) -> dict:
    """Synthesise one script: writes ``<audio_dir>/<name>.mp3`` and ``<name>.timing.json``."""
    if not shutil.which("ffmpeg"):
        raise SynthError("ffmpeg is not installed: apt-get install ffmpeg")
    script = load_script(script_path)
    name = script_path.name.removesuffix(".yaml")
    timing_dir = timing_dir or script_path.parent
    espeak = _espeak()
    rate = espeak.sample_rate
    pause = np.zeros(rate * int(script.get("pause_ms", 350)) // 1000, dtype=np.int16)
    channels = _channels(script, script_path)
    # Each turn is placed on a timeline: after the pause that follows the turns before it, or, with
    # ``overlap_ms``, that long before the previous turn's sound ends (both speakers talk at once).
    placed, words, turns, offset, previous = [], [], [], 0, None  # samples, so no rounding drifts
    for number, turn in enumerate(script["turns"]):
        voice = script["speakers"][turn["speaker"]]
        speech = espeak.speak(
            turn["text"],
            voice["voice"],
            speed=voice.get("speed", 160),
            pitch=voice.get("pitch", 50),
            pitch_range=voice.get("range", 50),
        )
        try:
            timed, sound_end = _word_timings(speech, turn["text"], rate)
        except SynthError as error:
            raise SynthError(f"{script_path}: turn {number}: {error}") from error
        samples = speech.samples[: sound_end * rate // 1000]
        start = offset
        if turn.get("overlap_ms"):
            if previous is None or turn["speaker"] == script["turns"][number - 1]["speaker"]:
                raise SynthError(f"{script_path}: turn {number}: overlap_ms needs a previous turn by someone else")
            start = max(previous[0], previous[1] - rate * int(turn["overlap_ms"]) // 1000)
        offset_ms = start * 1000 // rate
        for word in timed:
            words.append(
                {
                    "text": word["text"],
                    "start": word["start"] + offset_ms,
                    "end": word["end"] + offset_ms,
                    "speaker": turn["speaker"],
                    "turn": number,
                }
            )
        turns.append(
            {
                "speaker": turn["speaker"],
                "start": words[-len(timed)]["start"],
                "end": offset_ms + sound_end,
                "text": turn["text"],
            }
        )
        placed.append((start, samples, turn["speaker"]))
        gap = pause if "pause_after_ms" not in turn else np.zeros(rate * int(turn["pause_after_ms"]) // 1000, np.int16)
        previous = (start, start + len(samples))
        offset = max(offset, start + len(samples)) + len(gap)
    if placed and "pause_after_ms" not in script["turns"][-1]:
        offset -= len(gap)  # no silence after the last turn, unless the script asks for it
    audio = _mix(placed, offset, lambda label: True)
    tracks = [_mix(placed, offset, lambda label, n=n: channels[label] == n) for n in (1, 2)] if channels else None
    audio_dir.mkdir(parents=True, exist_ok=True)
    mp3 = audio_dir / f"{name}.mp3"
    _encode_mp3(np.stack(tracks, axis=1) if tracks else audio, rate, mp3)
    data = mp3.read_bytes()
    duration_ms = decoded_duration_ms(mp3)
    for item in words + turns:  # resampling can shorten the audio by a few milliseconds
        item["end"] = min(item["end"], duration_ms)
    timing = {
        "name": name,
        "audio": str(mp3.relative_to(ROOT)) if mp3.is_relative_to(ROOT) else str(mp3),
        "sha256": hashlib.sha256(data).hexdigest(),
        "duration_ms": duration_ms,
        "language_code": script["language_code"],
        "speakers": _speakers(script),
        "turns": turns,
        "words": words,
        **annotate(script, words, str(script_path)),
        **({"channels": channels} if channels else {}),
    }
    _write_timing(timing, timing_dir)
    if script.get("chunks"):
        write_parts(timing, script["chunks"], audio, rate, audio_dir, timing_dir)
    if script.get("stereo"):
        write_stereo(timing, audio_dir, timing_dir)
    return timing


def _channels(script: dict, script_path: Path) -> dict[str, int] | None:
    """The script's ``channels`` (each speaker's channel, 1 or 2, for a two-channel recording), checked."""
    channels = script.get("channels")
    if channels is None:
        return None
    if script.get("stereo") or script.get("chunks"):
        raise SynthError(f"{script_path}: a two-channel script (channels) has no stereo copy or chunks")
    if set(channels) != set(script["speakers"]) or set(channels.values()) != {1, 2}:
        raise SynthError(f"{script_path}: channels gives every speaker channel 1 or 2, and uses both, got {channels}")
    return {label: int(channels[label]) for label in script["speakers"]}


def _mix(placed: list[tuple[int, np.ndarray, str]], length: int, keep) -> np.ndarray:
    """The turns whose speaker ``keep`` accepts, each at its start, summed (clipped) into ``length`` samples."""
    mixed = np.zeros(length, dtype=np.int32)
    for start, samples, label in placed:
        if keep(label):
            mixed[start : start + len(samples)] += samples
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def _write_timing(timing: dict, timing_dir: Path) -> None:
    (timing_dir / f"{timing['name']}.timing.json").write_text(json.dumps(timing, indent=1, ensure_ascii=False) + "\n")


def _part_annotations(timing: dict, first_word: int, count: int) -> dict:
    """The whole conversation's annotations that fall in words ``first_word`` .. ``+count``, shifted."""

    def inside(span: dict) -> bool:
        return first_word <= span["first"] and span["last"] < first_word + count

    def shift(span: dict) -> dict:
        return {**span, "first": span["first"] - first_word, "last": span["last"] - first_word}

    spans = {key: [shift(s) for s in timing.get(key, []) if inside(s)] for key in ("entities", "written", "sentiments")}
    return {**spans, "key_phrases": timing.get("key_phrases", [])}


def rewrite_annotations(script_path: Path, timing_dir: Path | None = None) -> dict:
    """Rewrite the annotations and speakers of a script's timing files (its parts and stereo copy
    too) from the script, keeping the audio and word timings: no synthesis, the sha256 stays."""
    script = load_script(script_path)
    name = script_path.name.removesuffix(".yaml")
    timing_dir = timing_dir or script_path.parent
    path = timing_dir / f"{name}.timing.json"
    if not path.is_file():
        raise SynthError(f"{path} does not exist: synthesise the script first (python -m tools.synth {script_path})")
    timing = json.loads(path.read_text())
    spoken = " ".join(t["text"] for t in script["turns"]).split()
    if [w["text"] for w in timing["words"]] != spoken:
        raise SynthError(f"{script_path}: its words changed since it was synthesised; synthesise it again")
    timing.update(speakers=_speakers(script), **annotate(script, timing["words"], str(script_path)))
    _write_timing(timing, timing_dir)
    for part_path in sorted(timing_dir.glob(f"{name}-part*.timing.json")):
        part = json.loads(part_path.read_text())
        first_turn = part["part_of"]["first_turn"]
        first_word = sum(1 for w in timing["words"] if w["turn"] < first_turn)
        part.update(_part_annotations(timing, first_word, len(part["words"])))
        part["speakers"] = {
            letter: timing["speakers"][original] for letter, original in part["part_of"]["speakers"].items()
        }
        _write_timing(part, timing_dir)
    stereo_path = timing_dir / f"{name}-stereo.timing.json"
    if script.get("stereo") and not stereo_path.is_file():
        write_stereo(timing, AUDIO, timing_dir)  # made from the mono mp3 with ffmpeg, not synthesised
    elif stereo_path.is_file():
        stereo = json.loads(stereo_path.read_text())
        keys = ("speakers", "turns", "words", "entities", "written", "sentiments", "key_phrases")
        stereo.update({k: timing[k] for k in keys})
        _write_timing(stereo, timing_dir)
    return timing


def write_parts(
    timing: dict, chunks: list[int], audio: np.ndarray, rate: int, audio_dir: Path, timing_dir: Path
) -> list[dict]:
    """Cut a conversation into parts that start at the turns listed in ``chunks``, as if it had been
    recorded in pieces: ``<name>-part<n>.mp3`` and a timing file for each, whose times start at the
    part's start and whose speakers are relabelled A, B... in order of first turn within the part,
    as the API labels a file of its own (format: docs/contracts.md). Each cut falls half-way through
    the pause before its turn."""
    turns, name = timing["turns"], timing["name"]
    if list(chunks) != sorted(set(chunks)) or not all(0 < c < len(turns) for c in chunks):
        raise SynthError(f"{name}: chunks must be increasing turn numbers between 1 and {len(turns) - 1}, got {chunks}")
    cuts = [0] + [(turns[c - 1]["end"] + turns[c]["start"]) // 2 for c in chunks] + [None]
    bounds = [0, *chunks, len(turns)]
    parts = []
    for number in range(len(chunks) + 1):
        start_ms, end_ms = cuts[number], cuts[number + 1]
        first_turn, last_turn = bounds[number], bounds[number + 1]
        part_name = f"{name}-part{number + 1}"
        samples = audio[start_ms * rate // 1000 : None if end_ms is None else end_ms * rate // 1000]
        mp3 = audio_dir / f"{part_name}.mp3"
        _encode_mp3(samples, rate, mp3)
        duration_ms = decoded_duration_ms(mp3)
        order = list(dict.fromkeys(t["speaker"] for t in turns[first_turn:last_turn]))
        letters = dict(zip(order, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", strict=False))

        def shift(
            item: dict, start_ms: int = start_ms, duration_ms: int = duration_ms, letters: dict = letters
        ) -> dict:
            return {
                **item,
                "speaker": letters[item["speaker"]],
                "start": item["start"] - start_ms,
                "end": min(item["end"] - start_ms, duration_ms),
            }

        words = [
            {**shift(w), "turn": w["turn"] - first_turn} for w in timing["words"] if first_turn <= w["turn"] < last_turn
        ]
        part = {
            "name": part_name,
            "audio": str(mp3.relative_to(ROOT)) if mp3.is_relative_to(ROOT) else str(mp3),
            "sha256": hashlib.sha256(mp3.read_bytes()).hexdigest(),
            "duration_ms": duration_ms,
            "language_code": timing["language_code"],
            "part_of": {
                "name": name,
                "part": number + 1,
                "parts": len(chunks) + 1,
                "offset_ms": start_ms,
                "first_turn": first_turn,
                "speakers": {letter: original for original, letter in letters.items()},
            },
            "speakers": {letter: timing["speakers"][original] for original, letter in letters.items()},
            "turns": [shift(t) for t in turns[first_turn:last_turn]],
            "words": words,
            **_part_annotations(timing, sum(1 for w in timing["words"] if w["turn"] < first_turn), len(words)),
        }
        _write_timing(part, timing_dir)
        parts.append(part)
    return parts


def write_stereo(timing: dict, audio_dir: Path, timing_dir: Path) -> dict:
    """A two-channel copy of a two-speaker conversation, as a call centre records it: the first
    speaker alone on the left channel (1), the second alone on the right (2), each channel silent
    while the other speaker talks, and a second of silence after the call (so the two recordings
    differ in length, which the emulator uses to recognise re-encoded audio). Writes
    ``<name>-stereo.mp3`` and its timing file, whose ``channels`` maps each speaker to its channel."""
    labels = list(timing["speakers"])
    if len(labels) != 2:
        raise SynthError(f"{timing['name']}: a stereo copy needs exactly two speakers, not {len(labels)}")
    source = ROOT / timing["audio"] if not Path(timing["audio"]).is_absolute() else Path(timing["audio"])
    name = f"{timing['name']}-stereo"
    mp3 = audio_dir / f"{name}.mp3"

    def silence_others(label: str) -> str:
        spans = [t for t in timing["turns"] if t["speaker"] != label]
        enable = "+".join(f"between(t,{t['start'] / 1000:.3f},{t['end'] / 1000:.3f})" for t in spans) or "0"
        return f"volume=volume=0:enable='{enable}'"

    graph = (
        f"[0:a]asplit=2[l][r];[l]{silence_others(labels[0])}[left];[r]{silence_others(labels[1])}[right];"
        "[left][right]join=inputs=2:channel_layout=stereo,apad=pad_dur=1[out]"
    )
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-filter_complex", graph]
    command += ["-map", "[out]", "-ar", "16000", "-codec:a", "libmp3lame", "-b:a", "64k", "-fflags", "+bitexact"]
    command += ["-flags:a", "+bitexact", "-map_metadata", "-1", str(mp3)]
    subprocess.run(command, check=True)
    stereo = {
        **timing,
        "name": name,
        "audio": str(mp3.relative_to(ROOT)) if mp3.is_relative_to(ROOT) else str(mp3),
        "sha256": hashlib.sha256(mp3.read_bytes()).hexdigest(),
        "duration_ms": decoded_duration_ms(mp3),
        "channels": {label: number for number, label in enumerate(labels, start=1)},
    }
    _write_timing(stereo, timing_dir)
    return stereo


def _encode_mp3(samples: np.ndarray, rate: int, target: Path) -> None:
    """Encode mono samples (or two channels, shape (n, 2): 48 kb/s for both) to a 16 kHz MP3."""
    stereo = samples.ndim == 2
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(2 if stereo else 1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.tobytes())
        command = [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(wav),
            "-ar",
            "16000",
            "-ac",
            "2" if stereo else "1",
            "-codec:a",
            "libmp3lame",
            "-b:a",
            "48k" if stereo else "32k",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-map_metadata",
            "-1",
            str(target),
        ]
        subprocess.run(command, check=True)


def decoded_duration_ms(path: Path) -> int:
    """The length of an audio file as ffmpeg decodes it, in milliseconds."""
    result = subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-",
        ],
        check=True,
        capture_output=True,
    )
    return len(result.stdout) // 2 * 1000 // 16000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Synthesise conversation scripts into reference audio.")
    parser.add_argument("scripts", nargs="*", type=Path, help="script files (data/scripts/<name>.yaml)")
    parser.add_argument("--all", action="store_true", help="every script in data/scripts")
    parser.add_argument(
        "--annotations-only",
        action="store_true",
        help="rewrite only the timing files' annotations and speakers from the scripts (no synthesis)",
    )
    args = parser.parse_args(argv)
    paths = sorted(SCRIPTS.glob("*.yaml")) if args.all else args.scripts
    if not paths:
        parser.error("name a script, or pass --all")
    if args.annotations_only:
        for path in paths:
            timing = rewrite_annotations(path)
            print(f"{path}: {len(timing['entities'])} entities, {len(timing['written'])} written forms")
        return 0
    if len(paths) > 1:  # one process per script, so each file depends on its own script only
        for path in paths:
            subprocess.run([sys.executable, "-m", "tools.synth", str(path)], check=True, cwd=ROOT)
        return 0
    timing = synthesise(paths[0])
    print(f"{timing['audio']}: {timing['duration_ms'] / 1000:.1f} s, {len(timing['words'])} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
