"""The Voice Agent API (``agents.assemblyai.com``): the ``/v1/ws`` WebSocket and ``GET /v1/token``.

It runs as its own loopback server (``ws://127.0.0.1:PORT``, plain HTTP for the token), started and
stopped by :class:`tools.emulator.Emulator` (``emulator.agents_url``). The whole page is
docs/emulator-voice-agent.md; in short:

- **Hearing.** The client streams the caller as ``input.audio`` (24 kHz PCM16 by default, or 8 kHz
  G.711). Speech start and stop are found in the audio's energy (:mod:`tools.emulator.agent_audio`,
  ``turn_detection``); which shipped conversation it is, and where in it, by the streaming emulator's
  recogniser (:func:`tools.emulator.streaming.recognise`) on the first second and a half of speech. The
  script's word timings then give ``transcript.user.delta`` as each word is heard and ``transcript.user``
  when the speech stops; each later stretch of speech is matched to the script's next turn.
- **Answering.** No LLM: each complete caller turn is answered from the conversation's reference
  answers (:mod:`tools.emulator.agent_answers`): a reply, or a ``tool.call`` and then the reply for the
  ``tool.result`` (normal, ``is_error``, or a timeout). The reply is spoken by espeak-ng
  (:mod:`tools.emulator.tts_voice`) and sent as ``reply.audio`` at the pace it would play (``speed``
  times real time), so that the caller can talk over it: speech during a reply cuts it (barge-in), its
  ``transcript.agent`` ending where the audio had got to. Where no reference answer fits, a
  ``session.error`` says which file to write; nothing is made up.
- **Sessions.** ``session.update`` first, then ``session.ready``; every field it accepts has its
  documented effect, the others are refused by name (:data:`FIELDS`). A dropped socket is held
  ``grace_seconds`` (30) for ``session.resume``; ``session.end`` ends it at once. ``sessions_ended``
  keeps what each session would be billed (the socket's open time plus the held time).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from cookbook_utils.config import AGENTS_HOST, EU_AGENTS_HOST
from cookbook_utils.network import LoopbackServer, json_response
from tools.emulator import agent_answers, agent_audio, streaming
from tools.emulator.agent_answers import NoAnswer

GRACE_SECONDS = 30
DEFAULT_MAX_SESSION_S = 10_800
TOKEN_EXPIRES_S, TOKEN_SESSION_S = (1, 600), (60, 10_800)
#: Reply audio is sent in chunks of this length; speech is recognised from this much of it.
CHUNK_MS, RECOGNISE_FROM_MS = 100, 1_000
#: A stretch of speech starting this close to an unheard word of the script continues from that word;
#: one that does not starts the script's next turn (the client skipped or lost audio in between).
ANCHOR_MS = 300
DEFAULT_VOICE = "ivy"
#: The documented voices -> the espeak-ng voice (tts_voice slug) that speaks for each. Made up.
VOICES: dict[str, str] = {
    "ivy": "aai-jane", "james": "aai-george", "tyler": "aai-paul", "winter": "aai-anna", "bella": "aai-eve",
    "david": "aai-charles", "kyle": "aai-michael", "helen": "aai-mary", "martha": "aai-vera", "river": "aai-alba",
    "emma": "aai-jean", "victor": "aai-charles", "eleanor": "aai-vera", "arjun": "aai-paul", "dmitri": "aai-george",
    "pierre": "aai-michael", "giulia": "aai-anna", "luca": "aai-paul", "lucia": "aai-eve", "mateo": "aai-michael",
    "diego": "aai-charles",
}  # fmt: skip
REMOVED_VOICES = "sam mia jack sophie oliver ethan mei lukas lena mina joon ren hana".split()
EMULATED, REFUSED = "emulated", "refused"
#: Every session field: emulated (how) or refused (why). A field in neither is refused as unknown.
FIELDS: dict[str, tuple[str, str]] = {
    "system_prompt": (
        EMULATED,
        "must contain the reference answers' `system_prompt_contains` (the answers were written for such an agent)",
    ),
    "greeting": (EMULATED, "spoken as sent right after `session.ready` (a reply of its own); immutable after ready"),
    "tools": (
        EMULATED,
        "a list; each `type: function`, `name`, `description`, `parameters` (not validated, as documented), "
        "`execution_mode`, `timeout_seconds`; a later update replaces the list",
    ),
    "tools[].execution_mode": (
        EMULATED,
        "`interactive` (default): the reference transition phrase is spoken while the tool runs; `hold`: "
        "silent, user transcripts held back and user turns unanswered until the `tool.result`",
    ),
    "tools[].timeout_seconds": (
        EMULATED,
        "1-300, default 120 (divided by the server's `speed`): then the reference `on_timeout` reply",
    ),
    "input.format.encoding": (EMULATED, "`audio/pcm` (24 kHz, default), `audio/pcmu`, `audio/pcma` (8 kHz)"),
    "input.format.sample_rate": (EMULATED, "the encoding's own rate only (24000 or 8000); another: `invalid_value`"),
    "input.turn_detection.type": (EMULATED, "`server_vad` only"),
    "input.turn_detection.vad_threshold": (
        EMULATED,
        "0-1, default 0.5: a 20 ms frame is speech at or above -70 + 50 x threshold dBFS",
    ),
    "input.turn_detection.min_silence": (
        EMULATED,
        "ms, default 1000: the silence that ends a turn after a sentence-final word",
    ),
    "input.turn_detection.max_silence": (EMULATED, "ms, default 3000: the silence that ends any turn"),
    "input.turn_detection.interrupt_response": (
        EMULATED,
        "default true: speech during a reply cuts it; false: the reply plays on and the turn is answered after it",
    ),
    "input.language_codes": (EMULATED, "a list of codes; audio in another language: `session.error`"),
    "output.voice": (
        EMULATED,
        "the 21 documented voices, each an espeak-ng voice; a removed (June 2026) or unknown one: "
        "`invalid_value`; immutable after ready",
    ),
    "output.format.encoding": (EMULATED, "as input; immutable after ready"),
    "output.format.sample_rate": (EMULATED, "as input; immutable after ready"),
    "output.volume": (EMULATED, "0-100, default 100: a linear gain of volume/100 on the reply audio sent from then on"),
    "agent_id": (REFUSED, "stored agents (the Agents REST API) are not emulated"),
    "input.keyterms": (REFUSED, "its effect is on recognition, which here is the script's exact words"),
    "input.transcription_mode": (
        REFUSED,
        "its values and effect are not documented where the emulator could read them",
    ),
    "input.transcription_prompt": (REFUSED, "its effect is on recognition, which here is the script's exact words"),
    "input.voice_focus": (REFUSED, "noise cancellation: the shipped audio has no noise to remove"),
    "input.turn_detection.interruption_delay": (REFUSED, "its effect in the Voice Agent API is not documented"),
}
#: The fields each client event may carry (besides ``type``); the required ones are checked in the handlers.
CLIENT_EVENTS: dict[str, set[str]] = {
    "session.update": {"session"},
    "session.resume": {"session_id"},
    "input.audio": {"audio"},
    "tool.result": {"call_id", "result", "is_error"},
    "reply.create": {"instructions"},
    "session.end": set(),
}
#: The fields of each server event (besides ``type``); every event sent is checked against this.
SERVER_EVENTS: dict[str, set[str]] = {
    "session.ready": {"session_id"},
    "session.updated": set(),
    "input.speech.started": set(),
    "input.speech.stopped": set(),
    "transcript.user.delta": {"item_id", "text"},
    "transcript.user": {"item_id", "text"},
    "reply.started": {"reply_id"},
    "reply.audio": {"reply_id", "data"},
    "transcript.agent": {"reply_id", "text", "interrupted"},
    "reply.done": {"reply_id", "status"},
    "tool.call": {"call_id", "name", "arguments"},
    "session.error": {"code", "message", "timestamp"},
    "session.ended": {"session_duration_seconds", "audio_duration_seconds", "timestamp"},
}
TOOL_KEYS = {"type", "name", "description", "parameters", "execution_mode", "timeout_seconds"}
#: What every agents server in this process has spoken, by (text, voice, sample rate): samples and word timings.
#: espeak-ng speaks a text the same way each time, so a test's tenth server speaks nothing it already has.
_SPOKEN: dict[tuple[str, str, int], tuple[Any, list[dict]]] = {}


class Refusal(Exception):
    """A ``session.error``; with ``close``, the socket is then closed with that code."""

    def __init__(self, code: str, message: str, *, close: int | None = None, param: str | None = None):
        super().__init__(message)
        self.code, self.close, self.param = code, close, param


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the session configuration ------------------------------------------------------------------------


@dataclass
class Config:
    """A session's applied fields."""

    system_prompt: str | None = None
    greeting: str | None = None
    tools: list[dict] = field(default_factory=list)
    input_encoding: str = agent_audio.DEFAULT_ENCODING
    vad_threshold: float = 0.5
    min_silence: int = 1_000
    max_silence: int = 3_000
    interrupt_response: bool = True
    language_codes: list[str] | None = None
    voice: str = DEFAULT_VOICE
    output_encoding: str = agent_audio.DEFAULT_ENCODING
    volume: int = 100


def _refuse_field(path: str) -> Refusal:
    status, why = FIELDS.get(path, (None, ""))
    if status == REFUSED:
        return Refusal("invalid_config", f"the emulator does not emulate {path} ({why}); remove it", param=path)
    return Refusal("invalid_config", f"unknown field {path}", param=path)


def _keys(value: Any, path: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise Refusal("invalid_value", f"{path} must be an object", param=path)
    for key in value:
        name = f"{path}.{key}" if path != "session" else key
        if key not in allowed or FIELDS.get(name, ("",))[0] == REFUSED:
            raise _refuse_field(name)
    return value


def _number(value: Any, path: str, low: float, high: float | None, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Refusal("invalid_value", f"{path} must be {'an integer' if integer else 'a number'} {bounds}", param=path)
    return value


def _format(value: Any, path: str) -> str:
    fmt = _keys(value, path, {"encoding", "sample_rate"})
    encoding = fmt.get("encoding", agent_audio.DEFAULT_ENCODING)
    if encoding not in agent_audio.FORMATS:
        raise Refusal("invalid_value", f"{path}.encoding must be one of {sorted(agent_audio.FORMATS)}", param=path)
    rate = agent_audio.FORMATS[encoding]
    if "sample_rate" in fmt and fmt["sample_rate"] != rate:
        raise Refusal("invalid_value", f"{path}.sample_rate: {encoding} is {rate} Hz", param=f"{path}.sample_rate")
    return encoding


def _tool(value: Any, index: int) -> dict:
    path = f"tools[{index}]"
    if not isinstance(value, dict):
        raise Refusal("invalid_value", f"{path} must be an object", param=path)
    unknown = sorted(set(value) - TOOL_KEYS)
    if unknown:
        raise Refusal("invalid_config", f"unknown field {path}.{unknown[0]}", param=f"{path}.{unknown[0]}")
    if value.get("type") != "function":
        raise Refusal("invalid_value", f'{path}.type must be "function"', param=f"{path}.type")
    if not isinstance(value.get("name"), str) or not value["name"]:
        raise Refusal("invalid_value", f"{path}.name must be a non-empty string", param=f"{path}.name")
    if not isinstance(value.get("description", ""), str):
        raise Refusal("invalid_value", f"{path}.description must be a string", param=f"{path}.description")
    if not isinstance(value.get("parameters", {}), dict):
        raise Refusal("invalid_value", f"{path}.parameters must be an object", param=f"{path}.parameters")
    if value.get("execution_mode", "interactive") not in ("interactive", "hold"):
        raise Refusal("invalid_value", f"{path}.execution_mode must be interactive or hold", param=path)
    _number(value.get("timeout_seconds", 120), f"{path}.timeout_seconds", 1, 300)
    return value


def updated(config: Config, session: Any, ready: bool) -> Config:
    """``config`` with a ``session.update``'s ``session`` applied; Refusal for anything it refuses."""
    from dataclasses import replace

    fields = _keys(session, "session", {"system_prompt", "greeting", "tools", "input", "output", "agent_id"})
    new = replace(config, tools=list(config.tools))
    if ready:
        for name in ("greeting",):
            if name in fields:
                raise Refusal("immutable_field", f"{name} cannot be changed after session.ready", param=name)
        for name in ("voice", "format"):
            if name in (fields.get("output") or {}):
                raise Refusal(
                    "immutable_field", f"output.{name} cannot be changed after session.ready", param=f"output.{name}"
                )
    for name in ("system_prompt", "greeting"):
        if name in fields:
            if not isinstance(fields[name], str):
                raise Refusal("invalid_value", f"{name} must be a string", param=name)
            setattr(new, name, fields[name])
    if "tools" in fields:
        if not isinstance(fields["tools"], list):
            raise Refusal("invalid_value", "tools must be a list", param="tools")
        new.tools = [_tool(t, i) for i, t in enumerate(fields["tools"])]
    if "input" in fields:
        allowed = {"format", "keyterms", "turn_detection", "transcription_mode", "transcription_prompt"}
        given = _keys(fields["input"], "input", allowed | {"language_codes", "voice_focus"})
        if "format" in given:
            new.input_encoding = _format(given["format"], "input.format")
        if "turn_detection" in given:
            path = "input.turn_detection"
            turn = _keys(
                given["turn_detection"],
                path,
                {"type", "vad_threshold", "min_silence", "max_silence", "interrupt_response", "interruption_delay"},
            )
            if turn.get("type", "server_vad") != "server_vad":
                raise Refusal("invalid_value", f"{path}.type must be server_vad", param=f"{path}.type")
            new.vad_threshold = _number(turn.get("vad_threshold", new.vad_threshold), f"{path}.vad_threshold", 0, 1)
            new.min_silence = _number(turn.get("min_silence", new.min_silence), f"{path}.min_silence", 0, None, True)
            new.max_silence = _number(turn.get("max_silence", new.max_silence), f"{path}.max_silence", 0, None, True)
            if new.min_silence > new.max_silence:
                raise Refusal(
                    "invalid_value", f"{path}.min_silence is more than max_silence", param=f"{path}.min_silence"
                )
            if not isinstance(turn.get("interrupt_response", True), bool):
                raise Refusal("invalid_value", f"{path}.interrupt_response must be a boolean", param=path)
            new.interrupt_response = turn.get("interrupt_response", new.interrupt_response)
        if "language_codes" in given:
            codes = given["language_codes"]
            if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
                raise Refusal(
                    "invalid_value", "input.language_codes must be a list of codes", param="input.language_codes"
                )
            new.language_codes = codes
    if "output" in fields:
        given = _keys(fields["output"], "output", {"voice", "format", "volume"})
        if "voice" in given:
            voice = given["voice"]
            if voice in REMOVED_VOICES:
                raise Refusal("invalid_value", f"output.voice {voice!r} was removed in June 2026", param="output.voice")
            if voice not in VOICES:
                raise Refusal(
                    "invalid_value", f"output.voice {voice!r} is not one of {sorted(VOICES)}", param="output.voice"
                )
            new.voice = voice
        if "format" in given:
            new.output_encoding = _format(given["format"], "output.format")
        if "volume" in given:
            new.volume = _number(given["volume"], "output.volume", 0, 100, True)
    return new


# --- one session ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One reply being spoken."""

    reply_id: str
    text: str
    tool_call: dict | None = None  # the tool.call sent right after reply.started (interactive tools)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    t0: float | None = None  # loop time of the first audio chunk
    duration_ms: int = 0
    words: list[dict] = field(default_factory=list)
    finished: bool = False


@dataclass
class PendingCall:
    """A ``tool.call`` waiting for its ``tool.result``."""

    call_id: str
    name: str
    entry: dict
    mode: str
    timer: asyncio.Task | None = None


class AgentSession:
    """One Voice Agent session: its configuration, what it has heard and said, and its socket."""

    def __init__(self, server: AgentServer, max_seconds: int):
        self.server = server
        self.config = Config()
        self.session_id: str | None = None
        self.ws: Any = None
        self.started = time.monotonic()
        self.max_seconds = max_seconds
        self.ended = False
        self.grace: asyncio.Task | None = None
        self.watchdog: asyncio.Task | None = None
        # hearing
        self.framer = agent_audio.Framer(agent_audio.FORMATS[self.config.input_encoding])
        self.heard_ms = 0
        self.audio_ms = 0.0
        self.recent: list[Any] = []
        self.voiced_run = 0
        self.in_speech = False
        self.silence_ms = 0
        self.onset_ms = 0
        self.segment: list[Any] = []
        self.unrecognised = False
        self.conversation: Any = None
        self.answers: agent_answers.Answers | None = None
        self.answers_problem: str | None = None
        self.offset_ms = 0  # stream time = script time + offset
        self.next_word = 0
        self.turn_words: list[dict] = []
        self.item_id = ""
        # answering
        self.reply: Reply | None = None
        self.queue: list[Reply] = []
        self.pending: dict[str, PendingCall] = {}
        self.holding = False
        self.held: list[dict] = []
        self.history: list[tuple[str, str]] = []  # (role, text): the context a resume keeps

    @property
    def ready(self) -> bool:
        return self.session_id is not None

    # -- sending --

    async def send(self, event: dict) -> None:
        """Send one server event (held back while a hold-mode tool runs, for user transcripts)."""
        if self.holding and event["type"] in ("transcript.user.delta", "transcript.user"):
            self.held.append(event)
            return
        self.server.check(event)
        self.server.traffic.append((self.session_id, "server", event))
        if self.ws is None:
            return
        from websockets.exceptions import ConnectionClosed

        try:
            await self.ws.send(json.dumps(event))
        except ConnectionClosed:
            pass  # the receive loop sees the drop and holds the session

    async def error(self, code: str, message: str, param: str | None = None) -> None:
        event = {"type": "session.error", "code": code, "message": message, "timestamp": _now()}
        if param:
            event["param"] = param
        await self.send(event)

    # -- hearing --

    async def audio(self, chunk: bytes) -> None:
        """One ``input.audio`` chunk, decoded, cut into frames and heard."""
        try:
            samples = agent_audio.decode(self.config.input_encoding, chunk)
        except ValueError as problem:
            raise Refusal("invalid_audio", str(problem)) from None
        self.audio_ms += len(samples) * 1000 / self.framer.rate
        threshold = agent_audio.threshold_db(self.config.vad_threshold)
        for frame, voiced in self.framer.feed(samples, threshold):
            await self._frame(frame, voiced)

    async def _frame(self, frame: Any, voiced: bool) -> None:
        self.heard_ms += agent_audio.FRAME_MS
        self.recent = [*self.recent[-(agent_audio.START_FRAMES - 1) :], frame]
        if not self.in_speech:
            self.voiced_run = self.voiced_run + 1 if voiced else 0
            if self.voiced_run >= agent_audio.START_FRAMES:
                await self._speech_started()
            return
        if self.conversation is None and not self.unrecognised:
            self.segment.append(frame)
        self.silence_ms = 0 if voiced else self.silence_ms + agent_audio.FRAME_MS
        await self._recognise(final=False)
        await self._words_heard()
        last = self.turn_words[-1]["text"] if self.turn_words else ""
        needed = self.config.min_silence if streaming.SENTENCE_END.search(last) else self.config.max_silence
        if self.silence_ms >= needed:
            await self._speech_stopped()

    async def _speech_started(self) -> None:
        self.in_speech, self.silence_ms = True, 0
        self.onset_ms = self.heard_ms - self.voiced_run * agent_audio.FRAME_MS
        self.segment = list(self.recent[-self.voiced_run :]) if self.conversation is None else []
        self.turn_words, self.item_id = [], self.server.new_id("item")
        await self.send({"type": "input.speech.started"})
        if self.reply is not None and not self.reply.finished and self.config.interrupt_response:
            await self._interrupt()
        if self.conversation is not None:
            self._anchor()

    def _anchor(self) -> None:
        """Place this stretch of speech in the script: at the unheard word it starts on, else at the
        next turn's first word (re-anchoring the stream's clock there)."""
        words = self.conversation.words
        mapped = self.onset_ms - self.offset_ms
        for index in range(self.next_word, len(words)):
            if abs(words[index]["start"] - mapped) <= ANCHOR_MS:
                self.next_word = index
                return
            if words[index]["start"] - mapped > ANCHOR_MS:
                break
        index = self.next_word
        while index < len(words) and index > 0 and words[index]["turn"] == words[index - 1]["turn"]:
            index += 1
        self.next_word = index
        if index < len(words):
            self.offset_ms = self.onset_ms - words[index]["start"]

    async def _recognise(self, final: bool) -> None:
        if self.conversation is not None or self.unrecognised:
            return
        heard = len(self.segment) * agent_audio.FRAME_MS
        if not final and (heard < RECOGNISE_FROM_MS or heard % 200):
            return
        import numpy as np

        pcm = np.concatenate(self.segment).astype("<i2").tobytes() if self.segment else b""
        found = streaming.recognise(pcm, self.server.candidates, self.framer.rate) if heard >= 500 else None
        if found is None:
            if final or heard >= streaming.FINGERPRINT_MAX_MS:
                self.unrecognised = True
                await self.error(
                    "invalid_audio",
                    "the emulator does not recognise this audio: it hears only the conversations in data/audio "
                    "(from the start of a turn, in the session's input format), and answers those that have "
                    "reference answers in data/answers/voice-agent",
                )
            return
        name, lag = found
        self.conversation, self.segment = self.server.library[name], []
        self.offset_ms = self.onset_ms - lag
        self._anchor()
        language = self.conversation.language_code.split("_")[0]
        codes = self.config.language_codes
        if codes and language not in {c.split("_")[0] for c in codes}:
            self.answers_problem = f"the caller speaks {language}, which is not in input.language_codes {codes}"
            await self.error("invalid_config", self.answers_problem, "input.language_codes")
            return
        try:
            self.answers = agent_answers.load(self.server.data_dir, name)
        except NoAnswer as problem:
            self.answers_problem = str(problem)
            await self.error("server_error", self.answers_problem)  # said now, and again at each turn

    async def _words_heard(self) -> None:
        if self.conversation is None:
            return
        words, added = self.conversation.words, False
        while self.next_word < len(words) and words[self.next_word]["end"] + self.offset_ms <= self.heard_ms:
            self.turn_words.append(words[self.next_word])
            self.next_word += 1
            added = True
        if added:
            text = " ".join(w["text"] for w in self.turn_words)
            await self.send({"type": "transcript.user.delta", "item_id": self.item_id, "text": text})

    async def _speech_stopped(self) -> None:
        self.in_speech, self.voiced_run = False, 0
        await self.send({"type": "input.speech.stopped"})
        await self._recognise(final=True)
        await self._words_heard()
        if not self.turn_words:
            return
        text = " ".join(w["text"] for w in self.turn_words)
        await self.send({"type": "transcript.user", "item_id": self.item_id, "text": text})
        self.history.append(("user", text))
        turns = {w["turn"] for w in self.turn_words}
        number = min(turns)
        whole = [w for w in self.conversation.words if w["turn"] == number]
        if len(turns) > 1 or len(whole) != len(self.turn_words):
            await self.error(
                "server_error",
                f"the emulator heard {len(self.turn_words)} words of caller turn {number} ({len(whole)} words) as "
                "one turn; its reference answers are written for whole turns, so none fits (the turn detection "
                "split or joined the script's turns: leave min_silence and max_silence at their defaults)",
            )
            return
        if self.holding:
            return  # a hold-mode tool is running: user-triggered replies are suppressed
        await self._answer_turn(number)

    # -- answering --

    def _answers(self) -> agent_answers.Answers:
        if self.answers is None:
            raise NoAnswer(self.answers_problem or "the emulator has not recognised the conversation yet")
        self.answers.check_prompt(self.config.system_prompt)
        return self.answers

    async def _answer_turn(self, number: int) -> None:
        try:
            entry = self._answers().turn(number)
        except NoAnswer as problem:
            await self.error("server_error", str(problem))
            return
        if "reply" in entry:
            await self.say(entry["reply"])
            return
        call = entry["tool_call"]
        tool = next((t for t in self.config.tools if t["name"] == call["name"]), None)
        if tool is None:
            await self.error(
                "server_error",
                f"the reference answer for caller turn {number} ({self.answers.shown}) calls the tool "
                f"{call['name']!r}, which this session does not declare in session.tools; declare it",
            )
            return
        pending = PendingCall(
            self.server.new_id("call"), call["name"], entry, tool.get("execution_mode", "interactive")
        )
        event = {
            "type": "tool.call",
            "call_id": pending.call_id,
            "name": call["name"],
            "arguments": dict(call.get("arguments") or {}),
        }
        self.pending[pending.call_id] = pending
        pending.timer = asyncio.ensure_future(self._timeout(pending, tool.get("timeout_seconds", 120)))
        if pending.mode == "hold":
            self.holding = True
            await self.send(event)
        else:
            await self.say(entry.get("transition") or "", tool_call=event)

    async def _timeout(self, pending: PendingCall, seconds: float) -> None:
        await asyncio.sleep(seconds / self.server.speed)
        if self.pending.pop(pending.call_id, None) is None:
            return
        await self._end_hold(pending)
        reply = (pending.entry.get("on_timeout") or {}).get("reply")
        if reply is None:
            await self.error("server_error", f"{self.answers.shown} has no on_timeout reply for {pending.name}")
        else:
            await self.say(reply)

    async def _end_hold(self, pending: PendingCall) -> None:
        if pending.mode == "hold":
            self.holding = False
            held, self.held = self.held, []
            for event in held:
                await self.send(event)

    async def tool_result(self, event: dict) -> None:
        pending = self.pending.pop(str(event.get("call_id")), None)
        if pending is None:
            raise Refusal(
                "invalid_value", f"no tool.call is waiting for call_id {event.get('call_id')!r}", param="call_id"
            )
        result, is_error = event.get("result"), event.get("is_error", False)
        if not isinstance(result, str) or not isinstance(is_error, bool):
            self.pending[pending.call_id] = pending
            raise Refusal("invalid_value", "tool.result takes result as a (JSON) string and is_error as a boolean")
        if pending.timer:
            pending.timer.cancel()
        await self._end_hold(pending)
        branch = pending.entry["on_error" if is_error else "on_result"]
        missing = [s for s in branch.get("result_contains", []) if s not in result]
        if missing:
            await self.error(
                "server_error",
                f"the reference reply to {pending.name}'s result ({self.answers.shown}) was written for a result "
                f"that contains {missing}; this one does not, so none fits",
            )
            return
        await self.say(branch["reply"])

    async def reply_create(self, instructions: Any) -> None:
        if instructions is not None and not isinstance(instructions, str):
            raise Refusal("invalid_value", "reply.create instructions must be a string", param="instructions")
        try:
            text = self._answers().for_instructions(instructions)
        except NoAnswer as problem:
            await self.error("server_error", str(problem))
            return
        await self.say(text)

    async def say(self, text: str, tool_call: dict | None = None) -> None:
        """Speak ``text`` now, or after the reply being spoken."""
        reply = Reply(self.server.new_id("reply"), text, tool_call)
        if self.reply is not None and not self.reply.finished:
            self.queue.append(reply)
        else:
            self._start(reply)

    def _start(self, reply: Reply) -> None:
        self.reply = reply
        reply.task = asyncio.ensure_future(self._guarded(reply))

    async def _guarded(self, reply: Reply) -> None:
        try:
            await self._play(reply)
        except Exception as error:  # a bug (espeak-ng or ffmpeg failed): reported, and the reply ends
            self.server.violations.append(f"emulator error in a reply: {error!r}")
            reply.finished = True
            await self.error("server_error", f"the emulator could not speak the reply: {error}")

    async def _play(self, reply: Reply) -> None:
        loop = asyncio.get_running_loop()
        speed = self.server.speed
        await self.send({"type": "reply.started", "reply_id": reply.reply_id})
        if reply.tool_call:
            await self.send(reply.tool_call)
        rate = agent_audio.FORMATS[self.config.output_encoding]
        samples, reply.words = await self.server.speech(reply.text, self.config.voice, rate)
        reply.duration_ms = len(samples) * 1000 // rate
        reply.t0 = loop.time()
        per = rate * CHUNK_MS // 1000
        for number, start in enumerate(range(0, len(samples), per)):
            if reply.stop.is_set():
                return
            chunk = agent_audio.encode(
                self.config.output_encoding, agent_audio.scaled(samples[start : start + per], self.config.volume)
            )
            await self.send(
                {"type": "reply.audio", "reply_id": reply.reply_id, "data": base64.b64encode(chunk).decode()}
            )
            if await self._wait(reply, reply.t0 + (number + 1) * CHUNK_MS / 1000 / speed):
                return
        if await self._wait(reply, reply.t0 + reply.duration_ms / 1000 / speed) or reply.stop.is_set():
            return
        reply.finished = True
        await self.send(
            {"type": "transcript.agent", "reply_id": reply.reply_id, "text": reply.text, "interrupted": False}
        )
        await self.send({"type": "reply.done", "reply_id": reply.reply_id, "status": "completed"})
        self.history.append(("agent", reply.text))
        if self.queue:
            self._start(self.queue.pop(0))

    @staticmethod
    async def _wait(reply: Reply, until: float) -> bool:
        """Sleep until loop time ``until``; True if the reply was stopped meanwhile."""
        delay = until - asyncio.get_running_loop().time()
        if delay <= 0:
            return reply.stop.is_set()
        try:
            await asyncio.wait_for(reply.stop.wait(), delay)
        except TimeoutError:
            return False
        return True

    def _played_ms(self, reply: Reply) -> float:
        if reply.t0 is None:
            return 0.0
        elapsed = (asyncio.get_running_loop().time() - reply.t0) * 1000 * self.server.speed
        return min(reply.duration_ms, elapsed)

    async def _interrupt(self) -> None:
        """Barge-in: the reply stops where its audio had got to."""
        reply = self.reply
        assert reply is not None and reply.task is not None
        played = self._played_ms(reply)
        reply.stop.set()
        await reply.task
        if reply.finished:
            return
        reply.finished = True
        said = " ".join(w["text"] for w in reply.words if w["start"] < played)
        await self.send({"type": "transcript.agent", "reply_id": reply.reply_id, "text": said, "interrupted": True})
        await self.send({"type": "reply.done", "reply_id": reply.reply_id, "status": "interrupted"})
        self.history.append(("agent", said))
        self.queue.clear()
        if reply.tool_call:  # the client discards the result of an interrupted reply's call, as documented
            pending = self.pending.pop(reply.tool_call["call_id"], None)
            if pending and pending.timer:
                pending.timer.cancel()

    async def stop_speaking(self) -> None:
        """The socket went away: the reply in flight and those queued are lost."""
        if self.reply is not None and not self.reply.finished:
            self.reply.stop.set()
            if self.reply.task is not None:
                await self.reply.task
            self.reply.finished = True
        self.queue.clear()

    def cancel_timers(self) -> None:
        for task in [p.timer for p in self.pending.values()] + [self.grace, self.watchdog]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()


# --- the server -----------------------------------------------------------------------------------------


class AgentServer(LoopbackServer):
    """``agents.assemblyai.com`` on a loopback port, in a thread of its own.

    ``speed``: reply audio (and tool timeouts) run this many times faster than real time (tests);
    ``grace_seconds``: how long a dropped session is held for ``session.resume``;
    ``warm``: speak the reference replies on a thread as soon as it starts (``warmed`` is set when done), so
    that a session's first reply does not wait for espeak-ng. Without it they are spoken when first asked for.
    """

    def __init__(
        self,
        api_key: str,
        data_dir: Path,
        port: int = 0,
        *,
        speed: float = 1.0,
        grace_seconds: float = GRACE_SECONDS,
        warm: bool = True,
    ):
        super().__init__(port)
        self.warm = warm
        if speed <= 0:
            raise ValueError(f"speed must be more than 0, not {speed}")
        self.api_key, self.data_dir, self.speed, self.grace_seconds = api_key, data_dir, speed, grace_seconds
        self.library = streaming.recognisable(data_dir)
        self.candidates = {name: data_dir / "audio" / f"{name}.mp3" for name in self.library}
        self.tokens: dict[str, tuple[float, int]] = {}
        self.sessions: dict[str, AgentSession] = {}
        self.sessions_ended: list[dict] = []  # session_id, how it ended, billed and audio seconds
        self.traffic: list[tuple[str | None, str, dict]] = []  # (session_id, sender, event), for tests
        self.violations: list[str] = []
        self._ids = itertools.count()
        self._speech: dict[tuple[str, str, int], asyncio.Future] = {}
        self._voice: Any = None
        self.warmed = threading.Event()  # set once the recordings are decoded and the voice is running
        self._stopping = threading.Event()
        self._warming: threading.Thread | None = None

    def start(self) -> Self:
        from tools.emulator.tts_voice import Voice

        self._voice = Voice()
        if self.warm:
            self._warming = threading.Thread(target=self._warm_up, daemon=True, name="agents-warm-up")
            self._warming.start()
        return super().start()

    def _warm_up(self) -> None:
        """Decode the conversations' openings, start the voice and speak the reference replies in the default
        voice and format now, not while a caller waits (so a reply's first audio never waits on a loaded
        machine's espeak-ng; what is spoken does not change)."""
        streaming.warm_up(self.candidates)
        rate = agent_audio.FORMATS[agent_audio.DEFAULT_ENCODING]
        texts: list[str] = []
        for name in self.library:
            try:
                texts += agent_answers.load(self.data_dir, name).spoken()
            except NoAnswer:
                continue  # a conversation the agent has no answers for
        keys = [key for key in dict.fromkeys((text, DEFAULT_VOICE, rate) for text in texts) if key not in _SPOKEN]
        try:
            if keys:  # else nothing to speak yet, or an earlier server in this process spoke it: no voice started
                self._voice.speak("Hello.", VOICES[DEFAULT_VOICE], "english")
            for key in keys:
                if self._stopping.is_set():
                    return  # stopped while warming up: no work left running after stop()
                self._synthesise(*key)  # kept in _SPOKEN
        except (OSError, ValueError, RuntimeError):
            pass  # the server stopped first: nothing to warm up for
        self.warmed.set()

    def stop(self) -> None:
        self._stopping.set()
        if self._warming is not None:
            self._warming.join(30)  # the text being spoken, then it returns
        super().stop()
        if self._voice is not None:
            self._voice.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``GET /v1/token``."""
        return f"http://127.0.0.1:{self.port}"

    def new_id(self, kind: str) -> str:
        digest = hashlib.sha256(f"{kind}|{next(self._ids)}|{self.port}".encode()).hexdigest()
        return str(uuid.UUID(digest[:32]))

    def check(self, event: dict) -> None:
        """Every server event has exactly its documented fields (``param`` optional on errors)."""
        expected = SERVER_EVENTS.get(event["type"])
        extra = set(event) - {"type"} - (expected or set()) - ({"param"} if event["type"] == "session.error" else set())
        if expected is None or extra or expected - set(event):
            self.violations.append(f"emulator bug: {event['type']} sent with fields {sorted(event)}")

    async def speech(self, text: str, voice: str, rate: int) -> tuple[Any, list[dict]]:
        """espeak-ng's samples of ``text`` at ``rate`` and its word timings (cached: they are deterministic)."""
        key = (text, voice, rate)
        if key in _SPOKEN:
            return _SPOKEN[key]
        if key not in self._speech:  # one synthesis per text, however many sessions ask for it at once
            self._speech[key] = asyncio.ensure_future(asyncio.to_thread(self._synthesise, text, voice, rate))
        return await asyncio.shield(self._speech[key])

    def _synthesise(self, text: str, voice: str, rate: int) -> tuple[Any, list[dict]]:
        import numpy as np

        from tools.emulator import tts_voice

        if not text.strip():
            return np.zeros(0, dtype=np.int16), []
        speech = self._voice.speak(text, VOICES[voice], "english")
        audio, _ = tts_voice.encode(speech, "pcm_s16le", rate, None)
        _SPOKEN[(text, voice, rate)] = spoken = (np.frombuffer(audio, dtype="<i2"), speech.words)
        return spoken

    # -- the token endpoint (plain HTTP on the same port) --

    def _http(self, connection: Any, request: Any) -> Any:
        parts = urlsplit(request.path)
        if parts.path == "/v1/ws":
            return None  # the WebSocket handshake goes on
        if parts.path != "/v1/token":
            return json_response(404, {"error": "Not found"})
        status, body = self.token(parts.query, request.headers.get("Authorization"))
        return json_response(status, body)

    def token(self, query: str, authorization: str | None) -> tuple[int, dict]:
        """``GET /v1/token``: a one-use temporary token for a browser."""
        if authorization != f"Bearer {self.api_key}":
            return 401, {"error": "Unauthorized: send Authorization: Bearer <your API key>"}
        raw = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(set(raw) - {"expires_in_seconds", "max_session_duration_seconds"})
        if unknown:
            return 400, {"error": f"Unknown query parameter(s): {', '.join(unknown)}"}
        values = {}
        for name, (low, high), default in (
            ("expires_in_seconds", TOKEN_EXPIRES_S, None),
            ("max_session_duration_seconds", TOKEN_SESSION_S, DEFAULT_MAX_SESSION_S),
        ):
            if name not in raw:
                if default is None:
                    return 400, {"error": f"{name} is required"}
                values[name] = default
                continue
            if not raw[name].isdigit() or not low <= int(raw[name]) <= high:
                return 400, {"error": f"{name} must be an integer between {low} and {high}"}
            values[name] = int(raw[name])
        token = "emu-agent-tmp-" + secrets.token_hex(20)
        self.tokens[token] = (time.monotonic() + values["expires_in_seconds"], values["max_session_duration_seconds"])
        return 200, {"token": token, "expires_in_seconds": values["expires_in_seconds"]}

    # -- the WebSocket --

    def _authorise(self, query: str, authorization: str | None) -> int:
        """The session's maximum duration (s) if it may connect; Refusal(UNAUTHORIZED) if not."""
        token = dict(parse_qsl(query)).get("token")
        if token:
            expiry = self.tokens.pop(token, None)  # a temporary token is good for one session
            if expiry is None or time.monotonic() > expiry[0]:
                raise Refusal("UNAUTHORIZED", "Invalid or expired temporary token", close=1008)
            return expiry[1]
        if not authorization:
            raise Refusal("UNAUTHORIZED", "Missing Authorization header", close=1008)
        if authorization == self.api_key:
            raise Refusal("UNAUTHORIZED", "Invalid Authorization header: use 'Bearer <your API key>'", close=1008)
        if authorization != f"Bearer {self.api_key}":
            raise Refusal("UNAUTHORIZED", "Invalid API key", close=1008)
        return DEFAULT_MAX_SESSION_S

    async def _session(self, websocket: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        parts = urlsplit(websocket.request.path)
        session: AgentSession | None = None
        try:
            try:
                max_seconds = self._authorise(parts.query, websocket.request.headers.get("Authorization"))
            except Refusal as refusal:
                await self._refuse(websocket, None, refusal)
                return
            session = AgentSession(self, max_seconds)
            session.ws = websocket
            async for frame in websocket:
                try:
                    session = await self._event(session, websocket, frame)
                except Refusal as refusal:
                    await self._refuse(websocket, session, refusal)
                    if refusal.close:
                        return
                if session.ended:
                    return
        except ConnectionClosed:
            pass
        except Exception as error:  # anything else is a bug, reported
            self.violations.append(f"emulator error: {error!r}")
            raise
        finally:
            if session is not None and session.ws is websocket and session.ready and not session.ended:
                await self._hold(session)

    async def _refuse(self, websocket: Any, session: AgentSession | None, refusal: Refusal) -> None:
        event = {"type": "session.error", "code": refusal.code, "message": str(refusal), "timestamp": _now()}
        if refusal.param:
            event["param"] = refusal.param
        if session is not None and session.ws is websocket:
            await session.send(event)
        else:
            self.check(event)
            self.traffic.append((None, "server", event))
            await websocket.send(json.dumps(event))
        if refusal.close:
            await websocket.close(refusal.close, str(refusal)[:120])

    async def _event(self, session: AgentSession, websocket: Any, frame: Any) -> AgentSession:
        """Handle one client frame; returns the session it belongs to (another after a resume)."""
        if isinstance(frame, bytes):
            raise Refusal("invalid_format", "binary frames are not events: send audio as input.audio (base64)")
        try:
            event = json.loads(frame)
        except ValueError:
            raise Refusal("invalid_format", f"not JSON: {frame[:80]}") from None
        if not isinstance(event, dict) or event.get("type") not in CLIENT_EVENTS:
            kind = event.get("type") if isinstance(event, dict) else None
            raise Refusal("invalid_format", f"unknown or missing event type: {kind!r}", param="type")
        kind = event["type"]
        self.traffic.append((session.session_id, "client", {k: v for k, v in event.items() if k != "audio"}))
        unknown = sorted(set(event) - {"type"} - CLIENT_EVENTS[kind])
        if unknown:
            raise Refusal("invalid_format", f"{kind} has no field {unknown[0]!r}", param=unknown[0])
        if kind == "session.resume":
            if session.ready or session.history:
                raise Refusal("invalid_format", "session.resume must be the first event on a new connection")
            return await self._resume(websocket, event.get("session_id"))
        if kind == "session.update":
            if "session" not in event:
                raise Refusal("invalid_format", "session.update needs a session object", param="session")
            was_ready = session.ready
            session.config = updated(session.config, event["session"], was_ready)
            if session.framer.rate != agent_audio.FORMATS[session.config.input_encoding]:
                session.framer = agent_audio.Framer(agent_audio.FORMATS[session.config.input_encoding])
            if was_ready:
                await session.send({"type": "session.updated"})
            else:
                await self._ready(session)
            return session
        if not session.ready:
            raise Refusal("invalid_format", f"{kind} before session.ready: send session.update first")
        if kind == "input.audio":
            try:
                chunk = base64.b64decode(event.get("audio", ""), validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise Refusal("invalid_audio", "input.audio audio is not base64", param="audio") from None
            await session.audio(chunk)
        elif kind == "tool.result":
            await session.tool_result(event)
        elif kind == "reply.create":
            await session.reply_create(event.get("instructions"))
        elif kind == "session.end":
            await self._end(session, "session.end", close=1000)
        return session

    async def _ready(self, session: AgentSession) -> None:
        session.session_id = self.new_id("session")
        self.sessions[session.session_id] = session
        session.watchdog = asyncio.ensure_future(self._expire(session))
        await session.send({"type": "session.ready", "session_id": session.session_id})
        if session.config.greeting:
            await session.say(session.config.greeting)

    async def _resume(self, websocket: Any, session_id: Any) -> AgentSession:
        session = self.sessions.get(str(session_id))
        if session is None or session.ended:
            raise Refusal(
                "session_not_found", f"no session {session_id!r} to resume (ended, or held over 30 s)", close=1008
            )
        if session.grace is not None:
            session.grace.cancel()
            session.grace = None
        old, session.ws = session.ws, websocket
        if old is not None and old is not websocket:
            await old.close(1000, "resumed on another connection")
        await session.send({"type": "session.ready", "session_id": session.session_id})
        return session

    async def _hold(self, session: AgentSession) -> None:
        """The socket dropped without session.end: hold the session for the grace window."""
        session.ws = None
        await session.stop_speaking()
        session.grace = asyncio.ensure_future(self._grace(session))

    async def _grace(self, session: AgentSession) -> None:
        await asyncio.sleep(self.grace_seconds)
        if session.ws is None and not session.ended:
            await self._end(session, "grace window expired", close=None)

    async def _expire(self, session: AgentSession) -> None:
        await asyncio.sleep(session.max_seconds)
        if not session.ended:
            await session.error("session_expired", "the session reached its maximum duration")
            await self._end(session, "maximum duration", close=1008)

    async def _end(self, session: AgentSession, how: str, close: int | None) -> None:
        session.ended = True
        await session.stop_speaking()
        session.cancel_timers()
        seconds = round(time.monotonic() - session.started, 3)
        audio = round(session.audio_ms / 1000, 3) if session.audio_ms else None
        self.sessions.pop(session.session_id or "", None)
        self.sessions_ended.append(
            {"session_id": session.session_id, "ended_by": how, "billed_seconds": seconds, "audio_seconds": audio}
        )
        await session.send(
            {
                "type": "session.ended",
                "session_duration_seconds": seconds,
                "audio_duration_seconds": audio,
                "timestamp": _now(),
            }
        )
        if close is not None and session.ws is not None:
            await session.ws.close(close, how)


def validate_message(message: Any, sender: str) -> None:
    """A recorded event of a voice-agent session, judged against the events the docs list (no spec is
    beside the project): a known type with only its fields (a recorded ``reply.audio`` names its slice
    of the audio kept beside the fixture; a client's ``input.audio`` is described). Raises
    ``spec.SpecViolation``."""
    from tools import spec

    events = CLIENT_EVENTS if sender == "client" else SERVER_EVENTS
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in events:
        raise spec.SpecViolation(f"a {sender} event that is not one of {', '.join(events)}: {message!r}")
    extra = set(message) - {"type"} - events[kind] - ({"param"} if kind == "session.error" else set())
    missing = set() if sender == "client" else events[kind] - set(message)
    if extra or missing:
        raise spec.SpecViolation(f"{kind} with fields {sorted(message)}: not the documented ones")


def is_token_request(url: str) -> bool:
    """Whether ``url`` is the Voice Agent API's ``GET /v1/token`` (either region)."""
    parts = urlsplit(url)
    return (parts.hostname or "") in (AGENTS_HOST, EU_AGENTS_HOST) and parts.path == "/v1/token"


def validate_token_interaction(url: str, status: int, payload: Any) -> None:
    """A recorded ``GET /v1/token``, judged against the documented shape (no spec is beside the project):
    the query holds ``expires_in_seconds`` (1-600) and at most ``max_session_duration_seconds`` (60-10800)
    besides, else it must have been refused (400); a 200 is ``{"token", "expires_in_seconds"}``, a failure
    ``{"error"}``. Raises ``spec.SpecViolation``."""
    from tools import spec

    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    limits = {"expires_in_seconds": TOKEN_EXPIRES_S, "max_session_duration_seconds": TOKEN_SESSION_S}
    wrong = sorted(set(query) - set(limits)) + [
        name
        for name, (low, high) in limits.items()
        if name in query and not (query[name].isdigit() and low <= int(query[name]) <= high)
    ]
    if "expires_in_seconds" not in query:
        wrong.append("expires_in_seconds (missing)")
    if wrong and status != 400:
        raise spec.SpecViolation(f"a token request with {', '.join(wrong)} was answered {status}, not refused (400)")
    if status == 200:
        fields = set(payload) if isinstance(payload, dict) else None
        if fields != {"token", "expires_in_seconds"} or not isinstance(payload["token"], str):
            raise spec.SpecViolation(f"a token answer that is not {{token, expires_in_seconds}}: {payload!r}")
        if payload["expires_in_seconds"] != int(query["expires_in_seconds"]):
            raise spec.SpecViolation(f"a token answer whose expires_in_seconds is not the one asked for: {payload!r}")
    elif not (isinstance(payload, dict) and set(payload) == {"error"} and isinstance(payload["error"], str)):
        raise spec.SpecViolation(f"a token refusal ({status}) that is not {{error}}: {payload!r}")
