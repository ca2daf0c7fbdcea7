"""The contract probe: checks, against the real API or the emulator, every assumption the emulator
makes that a notebook relies on, one line per assumption.

    python -m tools.probe --live        # the real API, with ASSEMBLYAI_API_KEY (make probe-live)
    python -m tools.probe --emulator    # an emulator started in-process (make probe-emulator, CI)

Each assumption is one :class:`Assumption` in :func:`assumptions`: what it says, how to check it
(a plain request, an upload, a transcript of a shipped clip, or a streaming session of a few
seconds of one), what to read from the answer, what
is expected, where the facts file (``../shared/docs/platform-2026-12.md``) gives it, and whether
that file calls it UNVERIFIED (with its probe id, P1..P5). A line ends in ``ok``, in
``DIFFERS: got ..., expected ...`` or in ``skipped: <why>`` (a check for the other kind of key: a
free-credit key is known by its answers, the model-access 400 or a 429; ``--emulator`` runs those
checks on a second emulator answering as a free account); the last line sums up. Exit 0 when no
line differs, 1 when one differs (or a live transcript could not be deleted), 2 when it cannot start.

Live, it uploads the shortest shipped clips (a few minutes of audio in all, a few cents) and
transcribes those uploads (never a loopback URL), deletes every transcript it made at the end, and
says how many seconds of audio it sent. It writes no recording. Where the expected value is the
emulator's own reading of an unverified fact (the ``assemblyai-stt-3-7`` language set), it is read
from the emulator's model table, so a live run says where that table is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import requests

from cookbook_utils import config
from cookbook_utils.network import is_loopback

ROOT = Path(__file__).resolve().parents[1]
FACTS = "platform-2026-12.md"
NOT_AUDIO = "not-audio.txt"  # a clip name that stands for a small ASCII text file
NOT_AUDIO_BYTES = b"This file holds a line of plain text, not audio.\n"
NOT_AUDIO_HTML = "not-audio.html"  # a clip name that stands for a small web page (a share link's page)
NOT_AUDIO_HTML_BYTES = (
    b"<!DOCTYPE html>\n<html><head><title>Virus scan warning</title></head>\n"
    b"<body><p>This file is too large for Google to scan.</p></body></html>\n"
)
STT37, U35PRO, U2 = "assemblyai-stt-3-7", "universal-3-5-pro", "universal-2"
#: The languages Universal-3.5 Pro transcribes (pre-recorded): facts section 1 (the skill's list).
U35PRO_LANGUAGES = set("en es de fr pt it tr nl sv no da fi hi vi ar he ja zh".split())
#: Languages Universal-2 transcribes that a shipped clip may be declared as (``language_code``)
#: when no clip is in a language outside ``assemblyai-stt-3-7``'s table (P1).
OUTSIDE_CANDIDATES = ("pl", "el", "cs", "hu", "bg", "hr", "sk", "sl", "lt", "lv")
#: Universal-3.5 Pro's parameters, sent to stt-3-7 alone: a contextual prompt, and more key terms than
#: Universal-2's 200 (stt-3-7 is assumed to take U3.5 Pro's 1,000).
PROMPT = "A short conversation in French between two people."
KEYTERMS = [f"Larkspur {n}" for n in range(201)]
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
UNKNOWN_ID = "5b0c3a57-9f3e-4c1b-8d2a-6e7f00c0ffee"
AUTH_TEXT = "Authentication error, API token missing/invalid"
NOT_FOUND_TEXT = "Transcript lookup error, transcript id not found"
#: An audio URL no one can download (``.invalid`` is reserved, RFC 2606): the API's answer for it is what
#: the rehearsal's emulator gives a loopback or private ``audio_url`` (``Emulator(internet=True)``).
UNREACHABLE_URL = "https://cookbook-probe.invalid/unreachable-call.mp3"
U3PRO_TEXT = (
    'The "universal-3-pro" speech model(s) have been deprecated. Use speech_models: '
    '["universal-3-5-pro", "universal-2"] instead.'
)
UNKNOWN_MODEL_TEXT = '"speech_models" must be a non-empty list containing one or more of: '
NOT_AUDIO_TEXT = "Transcoding failed. File does not appear to contain audio. File type is text/plain (ASCII text)."
NOT_AUDIO_HTML_TEXT = (
    "Transcoding failed. File does not appear to contain audio. File type is text/html (HTML document, ASCII text)."
)


# --- What an assumption is made of --------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A plain request: ``host`` is "api" or "gateway"; ``key`` "bad" sends a wrong key, "none" no
    authorization header; ``times``: sent that many times in a row, the last answer kept (a rate limit)."""

    method: str
    path: str
    body: str | None = None  # JSON text, so the request can be a key
    host: str = "api"
    key: str = "good"
    times: int = 1

    @staticmethod
    def chat(**body: Any) -> Request:
        """``POST /v1/chat/completions`` with ``body``."""
        return Request("POST", "/v1/chat/completions", json.dumps(body, sort_keys=True), host="gateway")


@dataclass(frozen=True)
class Upload:
    """Upload a shipped clip (``data/audio/<clip>.mp3``, or :data:`NOT_AUDIO` / :data:`NOT_AUDIO_HTML`)."""

    clip: str


@dataclass(frozen=True)
class Transcribe:
    """Upload ``clip`` and submit it with ``params`` (a JSON object as text, so it can be a key);
    the outcome holds the submission's answer and, when accepted, the finished transcript."""

    clip: str
    params: str = "{}"

    @staticmethod
    def of(clip: str, **params: Any) -> Transcribe:
        return Transcribe(clip, json.dumps(params, sort_keys=True))


@dataclass(frozen=True)
class TranscriptChat:
    """Transcribe ``transcribe``, then ask the gateway ``body`` with ``transcript_id`` set to that transcript."""

    transcribe: Transcribe
    body: str


@dataclass(frozen=True)
class Stream:
    """A streaming session (``/v3/ws``) with ``query`` (``sample_rate=16000`` is added): the first
    ``seconds`` of ``clip`` as 100 ms chunks of 16 kHz PCM (live: at the pace of speech), then
    ``Terminate``. Its outcome's answer is the close code and every message the server sent."""

    query: str
    clip: str = "support-call"
    seconds: float = 0.0


@dataclass(frozen=True)
class DeleteTwice:
    """Transcribe ``transcribe``, then send ``DELETE /v2/transcript/{id}`` twice; the outcome's
    answer is the second delete's (give it a ``Transcribe`` of its own: the transcript is gone)."""

    transcribe: Transcribe


@dataclass(frozen=True)
class ShortAudio:
    """One request of the short-audio APIs (``api``: "sync" or "dictation"): ``clip`` as 16 kHz mono
    16-bit WAV in a multipart ``audio`` part, after a JSON ``config`` part; ``model``: the sync API's
    ``X-AAI-Model`` header ("" sends none). Sync goes to ``/v1/transcribe``, dictation to
    ``/v1/transcribe/live`` (where SDK 1.8.2 posts both)."""

    api: str
    clip: str
    config: str = "{}"
    model: str = "universal-3-5-pro"


@dataclass(frozen=True)
class SpeechSession:
    """A text-to-speech WebSocket session (``/v1/ws`` on the TTS host) with ``query``: after ``Begin``,
    each client frame of ``frames`` (JSON text) is sent, then the server's frames are read for
    ``wait`` seconds; after the last, reading goes on until the server closes (at most 20 s). Its
    outcome's answer is the close code and every frame the server sent (``Audio`` without its audio)."""

    query: str = ""
    frames: tuple[str, ...] = ()
    wait: float = 1.0


@dataclass(frozen=True)
class AgentSession:
    """A Voice Agent API session (``/v1/ws`` on the agents host): ``session.update`` with the bookshop
    agent, the greeting played, then the first ``seconds`` of ``clip`` (24 kHz PCM16, at the pace of
    speech), one reply waited for, ``session.end``. ``bearer`` False sends the key alone. Its outcome's
    answer is the close code and every event (``reply.audio`` with the length of its ``data``)."""

    clip: str = "bookshop-caller"
    seconds: float = 7.0
    bearer: bool = True


How = Request | Upload | Transcribe | TranscriptChat | Stream | DeleteTwice | ShortAudio | SpeechSession | AgentSession


@dataclass
class Answer:
    """One HTTP answer: status and JSON body (or text)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


class NotApplicable(Exception):
    """The check does not apply to this key (a free-credit key's check on a paid key, or the reverse):
    the line says "skipped" and why, and counts as neither ok nor DIFFERS."""


@dataclass
class Outcome:
    """What a step got: ``answer`` (the request's, the upload's or the submission's) and, for an
    accepted transcript, ``final`` (its last poll)."""

    answer: Answer
    final: Answer | None = None


@dataclass(frozen=True)
class Expect:
    """An expectation: ``describe`` says it, ``test`` decides it on what was read."""

    describe: str
    test: Callable[[Any], bool]


def equals(value: Any) -> Expect:
    return Expect(_show(value), lambda got: got == value)


def matches(pattern: str) -> Expect:
    return Expect(f"/{pattern}/", lambda got: isinstance(got, str) and re.fullmatch(pattern, got) is not None)


def starts_with(status: int, opening: str) -> Expect:
    """A ``status`` answer whose error text opens with ``opening``."""
    return Expect(
        f"{status} opening {_show(opening)}",
        lambda got: got[0] == status and (got[1] or "").startswith(opening),
    )


def refused_naming(*names: str) -> Expect:
    """A 400 at submission whose error names each of ``names``."""
    return Expect(
        f"400 naming {', '.join(names)}",
        lambda got: got[0] == 400 and all(name in (got[1] or "") for name in names),
    )


@dataclass(frozen=True)
class Assumption:
    """One assumption: ``read`` turns the outcome of ``how`` into the value ``expected`` judges.

    ``source``: where the facts file gives it; ``unverified``: "" when the facts are documented or seen,
    else the probe id P1..P5 of the facts file's section 12, or "yes" where it has none; ``relies``:
    patterns whose presence in a notebook's code cell means the notebook relies on it; ``readings``:
    which of the emulator's documented readings of unverified facts it checks."""

    id: str
    what: str
    how: How
    read: Callable[[Outcome], Any]
    expected: Expect
    source: str
    unverified: str = ""
    relies: tuple[str, ...] = ()
    #: The emulator's unverified readings it checks (keys of ``tools.emulator.models.UNVERIFIED_READINGS``).
    readings: tuple[str, ...] = ()


# --- Reading answers ----------------------------------------------------------------------------


def submission(outcome: Outcome) -> tuple[int, str | None]:
    """The submission's status and error text."""
    return outcome.answer.status, outcome.answer.error


def final(outcome: Outcome) -> dict:
    """The finished transcript (a submission that was refused raises, shown as what it got)."""
    if outcome.final is None:
        raise Refused(outcome.answer)
    return outcome.final.body


class Refused(Exception):
    """A transcript that the check needed was refused at submission."""

    def __init__(self, answer: Answer):
        super().__init__(f"submission answered {answer.status}: {_show(answer.error or answer.body)}")


def model_used(outcome: Outcome) -> str | None:
    body = final(outcome)
    return body.get("speech_model_used") if body.get("status") == "completed" else f"error: {body.get('error')}"


def refused_or_failed(outcome: Outcome) -> str:
    """ "refused" for a 400 at submission or a transcript that ends in error, else the model used."""
    if outcome.answer.status == 400 or (outcome.final and outcome.final.body.get("status") == "error"):
        return "refused"
    return f"transcribed by {model_used(outcome)}"


def _keys(item: Any) -> list[str]:
    return sorted(item) if isinstance(item, dict) else [f"not an object: {_show(item)}"]


def _show(value: Any, limit: int = 240) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def begin_configuration(outcome: Outcome) -> Any:
    """The ``configuration`` of a streaming session's ``Begin`` (or what came instead)."""
    messages = outcome.answer.body
    begin = next((m for m in messages if m.get("type") == "Begin"), None)
    if begin is None:
        return f"no Begin (close {outcome.answer.status}): {_show(messages[-1:] if messages else [])}"
    return begin.get("configuration", "no configuration")


def streamed_model(outcome: Outcome) -> Any:
    configuration = begin_configuration(outcome)
    return configuration.get("model") if isinstance(configuration, dict) else configuration


def session_opened(outcome: Outcome) -> list:
    """[close code, the message types] of a session that was sent no audio."""
    return [outcome.answer.status, [m.get("type") for m in outcome.answer.body]]


def speech_started(outcome: Outcome) -> list:
    """[a SpeechStarted came, it came before the first Turn, its timestamp is an int]."""
    types_ = [m.get("type") for m in outcome.answer.body]
    if "SpeechStarted" not in types_:
        return [False, False, False]
    first = types_.index("SpeechStarted")
    before = "Turn" not in types_ or first < types_.index("Turn")
    return [True, before, isinstance(outcome.answer.body[first].get("timestamp"), int)]


def pending_revised(outcome: Outcome) -> list:
    """[every final turn's label is a letter or PENDING, every PENDING turn is revised by a
    SpeakerRevision to a letter]."""
    messages = outcome.answer.body
    finals = [m for m in messages if m.get("type") == "Turn" and m.get("end_of_turn")]
    labels_ok = bool(finals) and all(re.fullmatch(r"[A-Z]|PENDING", m.get("speaker_label") or "") for m in finals)
    pending = {m["turn_order"] for m in finals if m.get("speaker_label") == "PENDING"}
    revised = {
        r.get("turn_order")
        for m in messages
        if m.get("type") == "SpeakerRevision"
        for r in m.get("revisions", [])
        if re.fullmatch(r"[A-Z]", r.get("speaker_label") or "")
    }
    return [labels_ok, pending <= revised]


# --- The clips -----------------------------------------------------------------------------------


@cache
def clips() -> dict[str, dict]:
    """Every shipped mono clip's timing file (name -> language_code, duration_ms)."""
    found = {}
    for path in sorted((ROOT / "data" / "scripts").glob("*.timing.json")):
        data = json.loads(path.read_text())
        if "channels" not in data and (ROOT / data["audio"]).is_file():
            found[data["name"]] = {"language": data["language_code"], "duration_ms": data["duration_ms"]}
    return found


def shortest_clip(language: str) -> str:
    """The shortest shipped clip in ``language`` (the cheapest to send)."""
    return min((c for c, d in clips().items() if d["language"] == language), key=lambda c: clips()[c]["duration_ms"])


def clip_bytes(clip: str) -> bytes:
    if clip in (NOT_AUDIO, NOT_AUDIO_HTML):
        return NOT_AUDIO_BYTES if clip == NOT_AUDIO else NOT_AUDIO_HTML_BYTES
    return (ROOT / "data" / "audio" / f"{clip}.mp3").read_bytes()


@cache
def wav_bytes(clip: str) -> bytes:
    """A shipped clip as 16 kHz mono 16-bit WAV (what the sync and dictation APIs read), made with ffmpeg."""
    import subprocess

    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(ROOT / "data" / "audio" / f"{clip}.mp3")]
    command += ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def stt37_languages() -> frozenset[str] | None:
    """The emulator's reading of the languages ``assemblyai-stt-3-7`` transcribes (P5)."""
    from tools.emulator import models

    return models.languages(STT37)


def routed(speech_models: list[str], language: str) -> str | None:
    """The routing the emulator assumes (``tools.emulator.models.choose``): the first listed model
    that takes the language (facts section 1), by its reading of each model's languages."""
    from tools.emulator import models

    return models.choose(speech_models, language)


def recommended_list() -> str:
    """The list the emulator assumes the model refusals recommend (``models.RECOMMENDED``, P3)."""
    from tools.emulator import models

    return models.RECOMMENDED


@cache
def default_speech_models() -> list[str]:
    """What the emulator assumes the API fills in and echoes when ``speech_models`` is left out
    (``tools.emulator.models.DEFAULT_SPEECH_MODELS``; the spec of 2026-08-18 says
    ``["universal-3-5-pro", "universal-2"]``, the account default moved to stt-3-7 in November)."""
    from tools.emulator import models

    return list(models.DEFAULT_SPEECH_MODELS)


# --- The assumptions -----------------------------------------------------------------------------


def assumptions() -> list[Assumption]:
    """Every assumption the probe checks, in the order it prints them."""
    fr = shortest_clip("fr")  # clip-fr: 14.214 s, so rounding up and round() disagree
    listed = config.SPEECH_MODELS
    default = Transcribe.of(fr)
    with_models = Transcribe.of(fr, speech_models=listed)
    found: list[Assumption] = [
        Assumption(
            "auth-401",
            "a wrong API key gets 401 and the API's text",
            Request("GET", "/v2/transcript?limit=1", key="bad"),
            lambda o: [o.answer.status, o.answer.error],
            equals([401, AUTH_TEXT]),
            "§13 What already matches",
            relies=(r"Authentication error",),
        ),
        Assumption(
            "unknown-transcript-id",
            "an unknown transcript id gets 400 and the API's text",
            Request("GET", f"/v2/transcript/{UNKNOWN_ID}"),
            lambda o: [o.answer.status, o.answer.error],
            equals([400, NOT_FOUND_TEXT]),
            "§13 What already matches",
            relies=(r"transcript id not found", r"Transcript lookup error"),
        ),
        Assumption(
            "empty-body",
            "an empty transcript request gets 400 and the API's text",
            Request("POST", "/v2/transcript", body="{}"),
            lambda o: [o.answer.status, o.answer.error],
            equals([400, "Transcript creation error, audio_url not found"]),
            "§13 row 11",
            relies=(r"audio_url not found",),
        ),
        Assumption(
            "redact-pii-audio-needs-redact-pii",
            "redact_pii_audio without redact_pii is refused with a 400 at submission",
            Request(
                "POST",
                "/v2/transcript",
                json.dumps({"audio_url": UNREACHABLE_URL, "speech_models": listed, "redact_pii_audio": True}),
            ),
            lambda o: o.answer.status,
            equals(400),
            "§2 (the spec's redact_pii_audio description: 'Requires redact_pii to be true'; no page gives the text)",
            unverified="yes",
            relies=(r'"redact_pii_audio": True}',),
        ),
        Assumption(
            "unreachable-audio-url",
            "an audio_url the API cannot download is accepted, then the transcript ends in error (download text)",
            Transcribe.of(fr, speech_models=listed, audio_url=UNREACHABLE_URL),
            lambda o: [o.answer.status, final(o).get("status"), (final(o).get("error") or "")[:34]],
            equals([200, "error", "Download error, unable to download"]),
            "§13 row 11 (REST error texts: the common-errors page's download text; tools/rehearse.py relies on it)",
            relies=(r"Download error",),
        ),
        Assumption(
            "speech-models-optional",
            "leaving out speech_models is accepted and the default list is echoed",
            default,
            lambda o: [o.answer.status, final(o).get("speech_models")],
            equals([200, default_speech_models()]),
            "§1 Defaults, §13 row 5 (the echo after the Dec 8 default change is not documented)",
            unverified="yes",
            relies=(r"""\.speech_models\b""", r"""\[["']speech_models["']\]"""),
            readings=("default_speech_models",),
        ),
        Assumption(
            "default-model-used",
            "with speech_models left out, speech_model_used is one of the echoed models",
            default,
            lambda o: [final(o).get("speech_model_used"), final(o).get("speech_models")],
            Expect("a model of the echoed list", lambda got: got[0] is not None and got[0] in (got[1] or [])),
            "§1 Defaults (the account's default moves to stt-3-7 on Dec 8)",
            unverified="yes",
            relies=(r"speech_model_used",),
            readings=("default_speech_models",),
        ),
        Assumption(
            "detection-by-default",
            "no language sent means detection: language_detection true, the clip's language_code",
            default,
            lambda o: [final(o).get("language_detection"), final(o).get("language_code")],
            equals([True, "fr"]),
            "§2 language_code, language_detection",
            relies=(r"language_detection", r"\.language_code\b"),
        ),
        Assumption(
            "code-with-detection-refused",
            "language_code together with language_detection is refused",
            Transcribe.of(fr, speech_models=listed, language_code="fr", language_detection=True),
            submission,
            refused_naming("language_code", "language_detection"),
            "§2 language_code (documented; the text is not)",
            relies=(r"language_code.*language_detection", r"language_detection.*language_code"),
        ),
        Assumption(
            "delete-twice-answers-200",
            "a second DELETE of a deleted transcript answers 200, the transcript marked deleted",
            DeleteTwice(Transcribe.of(fr, speech_models=listed, format_text=True)),
            lambda o: [o.answer.status, o.answer.body.get("text") if isinstance(o.answer.body, dict) else None],
            equals([200, "Deleted by user."]),
            "§12 none (not in the facts; the spec's deleteTranscript says only that the data is removed)",
            unverified="yes",
            relies=(r"delete_by_id\(now_one\.id\)",),
        ),
        Assumption(
            "speakers-expected-with-options-refused",
            "speakers_expected together with speaker_options is refused",
            Transcribe.of(
                fr,
                speech_models=listed,
                speaker_labels=True,
                speakers_expected=2,
                speaker_options={"max_speakers_expected": 3},
            ),
            submission,
            refused_naming("speakers_expected", "speaker_options"),
            "§2 speaker_labels / speakers_expected / speaker_options (documented; the text is not)",
            relies=(r"speakers_expected.*speaker_options", r"speaker_options.*speakers_expected"),
        ),
        Assumption(
            "redact-pii-needs-format-text",
            "redact_pii with format_text false is refused",
            Transcribe.of(
                fr, speech_models=listed, redact_pii=True, redact_pii_policies=["person_name"], format_text=False
            ),
            submission,
            refused_naming("format_text"),
            "§2 redact_pii (documented; the text is not)",
            relies=(r"redact_pii.*format_text", r"format_text.*redact_pii"),
        ),
        Assumption(
            "keyterms-over-limit",
            "keyterms_prompt with 1,001 terms is refused at submission, naming keyterms_prompt",
            Transcribe.of(fr, speech_models=listed, keyterms_prompt=[f"service-{n:04d}" for n in range(1001)]),
            submission,
            refused_naming("keyterms_prompt"),
            "§2 keyterms_prompt (<=1000 on U3.5 Pro / stt-3-7; the refusal and its text are not documented)",
            unverified="yes",
            relies=(r"MAX_TERMS\b",),
        ),
        Assumption(
            "keyterm-too-many-words",
            "a key term of 7 words is refused at submission, naming keyterms_prompt",
            Transcribe.of(fr, speech_models=listed, keyterms_prompt=["the Halvorsen cluster in the Dublin region"]),
            submission,
            refused_naming("keyterms_prompt"),
            "§2 keyterms_prompt (<=6 words a phrase; the refusal and its text are not documented)",
            unverified="yes",
            relies=(r"MAX_TERM_WORDS",),
        ),
        Assumption(
            "prompt-formatting-ignored",
            "a prompt of formatting instructions (capitals, a line a sentence) leaves the text as it was",
            Transcribe.of(
                shortest_clip("en"),
                speech_models=listed,
                prompt="Write the whole transcript in capital letters and put each sentence on a line of its own.",
            ),
            lambda o: [final(o).get("text", "").isupper(), "\n" in final(o).get("text", "")],
            equals([False, False]),
            "§2 prompt (contextual descriptions, not instructions); https://www.assemblyai.com/docs/keyterms-prompting",
            unverified="yes",
            relies=(r"prompt=INSTRUCTIONS",),
        ),
        Assumption(
            "universal-3-pro-text",
            "speech_models [universal-3-pro] gets 400 and the real text",
            Transcribe.of(fr, speech_models=["universal-3-pro"]),
            lambda o: list(submission(o)),
            equals([400, U3PRO_TEXT]),
            "§1 universal-3-pro, §12 P3",
            unverified="P3",
            relies=(r"universal-3-pro",),
            readings=("recommended_list",),
        ),
        Assumption(
            "nano-refused",
            'speech_models [nano] gets 400 naming it, "no longer available"',
            Transcribe.of(fr, speech_models=["nano"]),
            submission,
            refused_naming("nano", "no longer available"),
            "§1 nano, §12 P3",
            unverified="P3",
            relies=(r"""["']nano["']""",),
            readings=("nano_text",),
        ),
        Assumption(
            "singular-speech-model-refused",
            'the singular speech_model ("best") gets 400 naming it and the list to send instead',
            Transcribe.of(fr, speech_model="best"),
            submission,
            refused_naming("speech_model", recommended_list()),
            "§1 best, singular speech_model, §12 P3",
            unverified="P3",
            relies=(r"""["']speech_model["']\s*:""", r"speech_model=aai\.SpeechModel"),
            readings=("recommended_list",),
        ),
        Assumption(
            "unknown-model-text",
            "an unknown speech model gets 400 and the real text's opening",
            Transcribe.of(fr, speech_models=["probe-no-such-model"]),
            submission,
            starts_with(400, UNKNOWN_MODEL_TEXT),
            "§13 row 11, §12 P3 (the accepted list)",
            unverified="P3",
            relies=(r"must be a non-empty list", r"Invalid speech_models"),
        ),
        Assumption(
            "submit-answer",
            "the submission answers queued or processing, with speech_model_used null",
            with_models,
            lambda o: [
                o.answer.status,
                (o.answer.body or {}).get("status"),
                "speech_model_used" in (o.answer.body or {}),
                (o.answer.body or {}).get("speech_model_used"),
            ],
            Expect(
                "[200, queued|processing, true, null]",
                lambda got: got[0] == 200 and got[1] in ("queued", "processing") and got[2] and got[3] is None,
            ),
            "§13 row 12 (one probe)",
            relies=(r"queued",),
        ),
    ]
    found += routing_assumptions(fr, listed) + medical_scribe_assumptions(listed)
    found += [
        Assumption(
            "audio-duration-rounded-up",
            f"audio_duration is whole seconds rounded up ({fr}: {clips()[fr]['duration_ms']} ms)",
            with_models,
            lambda o: final(o).get("audio_duration"),
            equals(math.ceil(clips()[fr]["duration_ms"] / 1000)),
            "§13 row 6",
            relies=(r"audio_duration",),
        ),
        Assumption(
            "not-audio-text",
            "a text file ends in error with the sniffed file type",
            Transcribe.of(NOT_AUDIO, speech_models=listed),
            lambda o: [final(o).get("status"), final(o).get("error")],
            equals(["error", NOT_AUDIO_TEXT]),
            "§13 row 11",
            relies=(r"does not appear to contain audio", r"Transcoding failed"),
        ),
        Assumption(
            "not-audio-html",
            "a web page (what a share link gives instead of the file) ends in error named as HTML",
            Transcribe.of(NOT_AUDIO_HTML, speech_models=listed),
            lambda o: [final(o).get("status"), final(o).get("error")],
            equals(["error", NOT_AUDIO_HTML_TEXT]),
            "§13 row 11; seed guides (a web page: text/html (HTML document, ...))",
            relies=(r"warning_page", r"text/html"),
        ),
        Assumption(
            "low-language-confidence-text",
            "a detection below language_confidence_threshold ends in error with the API's text",
            Transcribe.of(fr, speech_models=listed, language_detection=True, language_confidence_threshold=1.0),
            lambda o: final(o).get("error"),
            matches(
                r"detected language 'fr', confidence 0\.\d{4}, is below the requested confidence threshold value "
                r"of '1(\.0)?'"
            ),
            "§13 What already matches",
            relies=(r"below the requested confidence", r"language_confidence_threshold"),
        ),
        Assumption(
            "words-keys",
            "words[] hold text, start, end (int ms), confidence and speaker (null without speaker_labels)",
            with_models,
            lambda o: _word_shape(final(o)),
            Expect(
                "confidence, end, speaker, start, text; int times; speaker null",
                lambda got: (
                    {"confidence", "end", "speaker", "start", "text"} <= set(got[0]) and got[1:] == [True, None]
                ),
            ),
            "§13 What already matches",
            relies=(r"\.words\b", r"""\[["']words["']\]"""),
        ),
        Assumption(
            "utterance-keys",
            "utterances hold speaker, text, start, end, confidence and their words",
            Transcribe.of(shortest_clip("en"), speech_models=listed, speaker_labels=True),
            lambda o: _utterance_shape(final(o)),
            Expect(
                "confidence, end, speaker, start, text, words; words with a speaker",
                lambda got: {"confidence", "end", "speaker", "start", "text", "words"} <= set(got[0]) and got[1],
            ),
            "§13 What already matches",
            relies=(r"utterances",),
        ),
        Assumption(
            "list-page-details",
            "GET /v2/transcript answers page_details and transcripts of the documented shape",
            Request("GET", "/v2/transcript?limit=2"),
            lambda o: [
                _keys(o.answer.body.get("page_details")),
                _keys((o.answer.body.get("transcripts") or [None])[0]),
            ],
            Expect(
                "page_details: current_url, limit, next_url, prev_url, result_count; items with id, status, ...",
                lambda got: (
                    got[0] == ["current_url", "limit", "next_url", "prev_url", "result_count"]
                    and {"audio_url", "completed", "created", "error", "id", "resource_url", "status"} <= set(got[1])
                ),
            ),
            "§13 What already matches",
            relies=(r"page_details", r"prev_url", r"list_transcripts"),
        ),
        Assumption(
            "transcript-id-uuid4",
            "transcript ids are UUIDv4",
            with_models,
            lambda o: final(o).get("id"),
            matches(UUID4),
            "§13 row 16",
            relies=(r"uuid",),
        ),
        Assumption(
            "upload-url-shape",
            "upload URLs are .../upload/<64 hex>/<uuid>",
            Upload(fr),
            lambda o: (o.answer.body or {}).get("upload_url"),
            matches(
                r"https://[a-z0-9.-]+\.assemblyai\.com/upload/[0-9a-f]{64}/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
            ),
            "§13 row 16",
            relies=(r"upload_url", r"cdn\.assemblyai"),
        ),
        Assumption(
            "gateway-model-entries",
            "GET /v1/models entries carry id, retirement_date, providers and default_provider",
            Request("GET", "/v1/models", host="gateway"),
            lambda o: _missing_model_keys(o.answer.body),
            equals([]),
            "§5 GET /v1/models entries, §13 What already matches",
            relies=(r"models\.list", r"/v1/models"),
        ),
        Assumption(
            "llm-model-not-retiring",
            f"the configured LLM model ({config.LLM_MODEL}) is listed with retirement_date 0",
            Request("GET", "/v1/models", host="gateway"),
            lambda o: _retirement(o.answer.body, config.LLM_MODEL),
            equals(0),
            "§5 Models, §12 P4",
            unverified="P4",
            relies=(r"\bLLM_MODEL\b",),
        ),
    ]
    return found + streaming_assumptions()


#: The keys of a real ``Begin.configuration`` (2026-09-18 capture, a universal-streaming-english session).
BEGIN_CONFIGURATION_KEYS = [
    "api_version", "domain", "filter_profanity", "mode", "model", "redact_pii", "speaker_labels", "voice_focus"
]  # fmt: skip


def streaming_assumptions() -> list[Assumption]:
    """What the streaming recipes rely on (facts section 4): a few seconds of streaming each."""
    from tools.emulator import streaming

    begin = r"configuration\.model"
    return [
        Assumption(
            "stream-default-model",
            "a session without speech_model runs universal-3-6-pro, and Begin.configuration.model says so",
            Stream(""),
            streamed_model,
            equals(streaming.DEFAULT_MODEL),
            "§4 Streaming (the server default)",
            relies=(begin,),
        ),
        Assumption(
            "stream-u3-rt-pro-redirect",
            "speech_model u3-rt-pro opens a session that runs universal-3-5-pro, named in Begin",
            Stream("speech_model=u3-rt-pro"),
            streamed_model,
            equals("universal-3-5-pro"),
            "§4 Streaming (legacy, silently redirected from 2026-09-02)",
            relies=(begin,),
        ),
        Assumption(
            "stream-unknown-parameter-ignored",
            "an unknown query parameter is ignored: the session opens and closes normally",
            Stream("speech_model=universal-streaming-english&probe_colour=blue"),
            session_opened,
            equals([1000, ["Begin", "Termination"]]),
            "§4 Streaming (unknown query params are ignored, not rejected)",
            relies=(begin,),
        ),
        Assumption(
            "stream-begin-configuration",
            "Begin.configuration of a Pro session holds the keys of the captured universal-streaming Begin",
            Stream("speech_model=universal-3-6-pro"),
            lambda o: _keys(begin_configuration(o)),
            equals(BEGIN_CONFIGURATION_KEYS),
            "§4 Streaming; live-2026-09-18 capture `streaming_begin` (a universal-streaming-english session)",
            unverified="yes",
            relies=(begin,),
        ),
        Assumption(
            "stream-stt37-languages",
            "assemblyai-stt-3-7-realtime takes language_codes from universal-3-6-pro's 32 (xh, yue)",
            Stream("speech_model=assemblyai-stt-3-7-realtime&language_codes=%5B%22xh%22%2C%22yue%22%5D"),
            session_opened,
            equals([1000, ["Begin", "Termination"]]),
            "§4 Streaming (stt-3-7 realtime languages: list not seen)",
            unverified="yes",
            relies=(r"language_codes", r"assemblyai-stt-3-7-realtime"),
        ),
        Assumption(
            "stream-speech-started",
            "a Pro session sends SpeechStarted (an int timestamp) before the first Turn of a call",
            Stream("speech_model=universal-3-6-pro", seconds=4),
            speech_started,
            equals([True, True, True]),
            "§4 Streaming (SpeechStarted is new)",
            unverified="yes",
            relies=(r"SpeechStarted",),
        ),
        Assumption(
            "stream-pending-label",
            "with speaker_labels, a Pro turn's label is a letter or PENDING, and each PENDING one is revised",
            Stream("speech_model=universal-3-6-pro&speaker_labels=true", seconds=12),
            pending_revised,
            equals([True, True]),
            "§4 Streaming (PENDING replaced UNKNOWN; SpeakerRevision is new); SDK 1.8.2 SpeakerRevisionEvent",
            unverified="yes",
            relies=(r"\b(?:event|e)\.speaker_label\b",),
        ),
    ]


MEDICAL_SKIPPED = "Skipped medical-v1 domain correction because the language is not supported"
ROLES = ["doctor", "patient"]


def _warnings(outcome: Outcome) -> Any:
    body = final(outcome)
    if body.get("status") != "completed":
        return f"error: {body.get('error')}"
    return [w.get("message") for w in ((body.get("metadata") or {}).get("warnings") or [])]


def _roles(outcome: Outcome) -> Any:
    body = final(outcome)
    if body.get("status") != "completed":
        return f"error: {body.get('error')}"
    found = ((body.get("speech_understanding") or {}).get("response") or {}).get("speaker_identification") or {}
    return [found.get("status"), sorted({u.get("speaker") for u in body.get("utterances") or []})]


def medical_scribe_assumptions(listed: list[str]) -> list[Assumption]:
    """What notebooks/llm-gateway/medical-scribe.ipynb reads: Medical Mode's warning for a language
    it does not cover, and speaker identification by role in the transcript request."""
    return [
        Assumption(
            "medical-mode-skipped-warning",
            "domain medical-v1 on Hindi audio completes, with metadata.warnings [{message}] saying it was skipped",
            Transcribe.of("clip-hi", speech_models=listed, domain="medical-v1"),
            _warnings,
            equals([MEDICAL_SKIPPED]),
            "§2 domain, Response: metadata.warnings[] [S7]; the text from the Medical Mode page; the shape "
            "{message} from SDK 1.8.2 TranscriptMetadata (UNVERIFIED)",
            unverified="yes",
            relies=(r"domain=\"medical-v1\"",),
        ),
        Assumption(
            "speaker-roles-in-transcript-request",
            "speech_understanding speaker_identification by role in POST /v2/transcript: response status "
            "success, utterances carry the roles",
            Transcribe.of(
                "clinic-visit",
                speech_models=listed,
                speaker_labels=True,
                speech_understanding={
                    "request": {"speaker_identification": {"speaker_type": "role", "known_values": ROLES}}
                },
            ),
            _roles,
            equals(["success", ROLES]),
            "§6 (speech_understanding.request at transcription time); api-2026.md; the speaker identification page's "
            "one-request form; the response's place (speech_understanding.response) and the roles in "
            "utterances: UNVERIFIED",
            unverified="yes",
            relies=(r"speech_understanding=",),
        ),
    ]


def routing_assumptions(fr: str, listed: list[str]) -> list[Assumption]:
    """Which model each list routes each shipped language to (facts section 1; stt-3-7's set: P5)."""
    stt37 = stt37_languages()
    found = []
    for language in sorted({d["language"] for d in clips().values()}):
        clip = shortest_clip(language)
        found.append(
            Assumption(
                f"routing-{language}",
                f"{listed} routes {language} ({clip}) to {routed(listed, language)}",
                Transcribe.of(clip, speech_models=listed, speaker_labels=True),
                model_used,
                equals(routed(listed, language)),
                "§1 migration advice; the stt-3-7 language set: §1, §12 P5",
                unverified="P5" if STT37 in listed else "",
                relies=(r"speech_model_used",),
                readings=("stt37_languages",) if STT37 in listed else (),
            )
        )
    if stt37 is not None and "fr" in stt37:
        found.append(
            Assumption(
                "routing-stt-3-7-alone",
                f"[{STT37!r}] alone transcribes fr itself, with a prompt, {len(KEYTERMS)} key terms and domain",
                Transcribe.of(fr, speech_models=[STT37], prompt=PROMPT, keyterms_prompt=KEYTERMS, domain="medical-v1"),
                model_used,
                equals(STT37),
                "§1 migration advice, §2 prompt / keyterms_prompt / domain; §12 P5",
                unverified="P5",
                relies=(r"speech_model_used", r"keyterms_prompt", r"\bprompt="),
                readings=("stt37_languages", "stt37_parameters"),
            )
        )
    outside = next((code for code in OUTSIDE_CANDIDATES if stt37 is not None and code not in stt37), None)
    if outside:
        found += [
            Assumption(
                "fallback-stt-3-7-alone",
                f"[{STT37!r}] alone refuses language_code {outside!r}, outside its table (no fallback)",
                Transcribe.of(fr, speech_models=[STT37], language_code=outside),
                refused_or_failed,
                equals("refused"),
                "§1 Behavioural change, model fallback; §12 P1",
                unverified="P1",
                relies=(r"speech_model_used", r"do not support the language"),
                readings=("fallback", "stt37_languages"),
            ),
            Assumption(
                "fallback-to-universal-2",
                f"{listed} sends language_code {outside!r} to {routed(listed, outside)}",
                Transcribe.of(fr, speech_models=listed, language_code=outside),
                model_used,
                equals(routed(listed, outside)),
                "§1 migration advice; §12 P1",
                unverified="P1",
                relies=(r"speech_model_used",),
                readings=("fallback", "stt37_languages"),
            ),
        ]
    hindi = shortest_clip("hi")
    found.append(
        Assumption(
            "u35pro-hindi",
            f"[{U35PRO!r}, {U2!r}] transcribes hi ({hindi}) with {U35PRO} (its 18 languages)",
            Transcribe.of(hindi, speech_models=[U35PRO, U2]),
            model_used,
            equals(U35PRO if "hi" in U35PRO_LANGUAGES else U2),
            "§1 universal-3-5-pro, §13 row 4; re-routing after Dec 8: §12 P2",
            unverified="P2",
            relies=(r"universal-3-5-pro",),
        )
    )
    return found + gateway_assumptions() + short_audio_assumptions()


# --- The LLM Gateway (issue 26) ------------------------------------------------------------------

CLAUDE, GPT, GEMINI, FREE_MODEL = "claude-haiku-4-5-20251001", "gpt-4.1", "gemini-2.5-flash-lite", "qwen3.5-4b-32k-fast"
NO_ACCESS = "Your account does not have access to this LLM Gateway model"
SKY = [{"role": "user", "content": "Answer with one word: what colour is a clear daytime sky?"}]
COUNT = [{"role": "user", "content": "Count from one to fifty in words, separated by commas."}]
TOPIC = "{{ transcript }}\n\nIn one sentence, what is this conversation about?"
UNDERSTAND_UNKNOWN = json.dumps(
    {"transcript_id": UNKNOWN_ID, "speech_understanding": {"request": {"translation": {"target_languages": ["es"]}}}}
)


def _reply(outcome: Outcome) -> dict:
    """A chat completion's body; a free-credit key's model-access 400 makes the check not apply."""
    answer = outcome.answer
    if answer.status == 400 and NO_ACCESS in json.dumps(answer.body):
        raise NotApplicable("a free-credit key: this model answers the model-access 400")
    if answer.status != 200 or not isinstance(answer.body, dict):
        raise RuntimeError(f"answered {answer.status}: {_show(answer.body)}")
    return answer.body


def finish(outcome: Outcome) -> str | None:
    return (_reply(outcome).get("choices") or [{}])[0].get("finish_reason")


def _envelope(outcome: Outcome) -> list:
    """Status, message, causes and keys of a gateway error."""
    body = outcome.answer.body if isinstance(outcome.answer.body, dict) else {}
    return [outcome.answer.status, body.get("message"), (body.get("metadata") or {}).get("errors"), sorted(body)]


def _free_only(outcome: Outcome) -> Outcome:
    """How a check of a free-credit key knows the key is one: its request met a free key's answer
    (the model-access 400 or a 429); a paid key's 200 or 404 makes the check not apply."""
    if outcome.answer.status in (200, 404):
        raise NotApplicable(f"a paid key (answered {outcome.answer.status}): a free-credit key's check")
    return outcome


def _catalogue_retirement(model: str) -> int | None:
    """The emulator's reading of a model's ``retirement_date`` (``data/gateway/models.yaml``, P4)."""
    from tools.emulator import gateway

    entry = gateway.catalogue().get(model)
    return None if entry is None else entry["retirement_date"]


def _stream_listed(body: Any, model: str) -> Any:
    entry = next((e for e in _models(body) if e.get("id") == model), None)
    return "not listed" if entry is None else "stream" in (entry.get("supported_parameters") or [])


def _streamed(outcome: Outcome) -> list:
    """Whether a streamed answer came as SSE chunks, and its finish reasons."""
    body = outcome.answer.body
    if outcome.answer.status == 400 and NO_ACCESS in json.dumps(body):
        raise NotApplicable("a free-credit key: this model answers the model-access 400")
    text = body if isinstance(body, str) else json.dumps(body)
    chunks = [json.loads(x[6:]) for x in text.splitlines() if x.startswith("data: {")]
    reasons = [c["choices"][0].get("finish_reason") for c in chunks if c.get("choices")]
    return [outcome.answer.status, bool(chunks) and chunks[0].get("object"), [r for r in reasons if r]]


def _skip_rate_limited() -> None:
    raise NotApplicable("429: a free-credit key's understanding limit, already met by the check before")


def _chat_check(
    id_: str, what: str, model: str, messages: list, max_tokens: int, expected: str, source: str, unverified: str = ""
) -> Assumption:
    return Assumption(
        id_,
        what,
        Request.chat(model=model, messages=messages, max_tokens=max_tokens),
        finish,
        equals(expected),
        source,
        unverified=unverified,
        relies=(r"finish_reason", r"truncat", r"tool_calls"),
    )


def gateway_assumptions() -> list[Assumption]:
    """The gateway's assumptions: finish reasons per family, the error envelopes, transcript_id, the
    free-credit key's answers, the model list's retirement dates and streaming."""
    clip = shortest_clip("en")
    words = len(json.loads((ROOT / "data" / "scripts" / f"{clip}.timing.json").read_text())["words"])
    topic = {"model": CLAUDE, "messages": [{"role": "user", "content": TOPIC}], "max_tokens": 60}
    validate = {"speech_understanding": {"request": {"translation": {"target_languages": ["es"]}}}}
    return [
        Assumption(
            "gateway-error-envelope",
            "a gateway 400 is {message: invalid request body, code, request_id, metadata.errors: [cause]}",
            Request.chat(model="no-such-model-xyz", messages=SKY, max_tokens=5),
            _envelope,
            equals(
                [
                    400,
                    "invalid request body",
                    ["model no-such-model-xyz is not supported"],
                    ["code", "message", "metadata", "request_id"],
                ]
            ),
            "§13 row 2 (2026-09-24 capture; SDK 1.8.2 _error_from_response)",
            relies=(r"LLMGatewayError", r"invalid request body"),
        ),
        Assumption(
            "gateway-401-envelope",
            "a wrong key on the gateway gets 401 {error, status: error, request_id}",
            Request("POST", "/v1/chat/completions", json.dumps({"model": CLAUDE, "messages": SKY}), "gateway", "bad"),
            lambda o: [o.answer.status, sorted(o.answer.body), o.answer.body.get("status"), o.answer.body.get("error")],
            equals([401, ["error", "request_id", "status"], "error", AUTH_TEXT]),
            "§13 row 2 (bad_key_401)",
            relies=(r"LLMGatewayError",),
        ),
        _chat_check(
            "claude-finish-complete",
            f"Claude ({CLAUDE}) ends a complete answer with end_turn",
            CLAUDE,
            SKY,
            20,
            "end_turn",
            "§5, §13 row 1",
        ),
        _chat_check(
            "claude-finish-cut",
            f"Claude ({CLAUDE}) cut off by max_tokens says max_tokens",
            CLAUDE,
            COUNT,
            5,
            "max_tokens",
            "§13 row 1",
        ),
        _chat_check(
            "openai-finish-complete",
            f"OpenAI ({GPT}) ends a complete answer with stop",
            GPT,
            SKY,
            20,
            "stop",
            "§5, §13 row 1",
        ),
        _chat_check(
            "openai-finish-cut",
            f"OpenAI ({GPT}) cut off by max_tokens says length",
            GPT,
            COUNT,
            5,
            "length",
            "§13 row 1",
        ),
        _chat_check(
            "gemini-finish-complete",
            f"Gemini ({GEMINI}) answers OpenAI's stop (OpenAI-compatible API)",
            GEMINI,
            SKY,
            20,
            "stop",
            "§5 (the documented reading; no capture)",
            unverified="yes",
        ),
        _chat_check(
            "qwen-finish-complete",
            f"Qwen ({FREE_MODEL}, a free key's model) ends with stop",
            FREE_MODEL,
            SKY,
            20,
            "stop",
            "§13 row 3 (2026-09-24 capture)",
        ),
        Assumption(
            "transcript-id-substitution",
            "transcript_id puts the transcript's text in place of {{ transcript }} (the input tokens count it)",
            TranscriptChat(Transcribe.of(clip, speech_models=config.SPEECH_MODELS), json.dumps(topic)),
            lambda o: [o.answer.status, (_reply(o).get("usage") or {}).get("input_tokens", 0) > words // 2],
            equals([200, True]),
            "§5 New request fields [S10][S21]",
            relies=(r"transcript_id=", r"\{\{ transcript \}\}"),
        ),
        Assumption(
            "transcript-id-unknown-404",
            "an unknown transcript_id gets 404 {message: transcript not found, code, request_id}",
            Request.chat(model=FREE_MODEL, messages=[{"role": "user", "content": TOPIC}], transcript_id=UNKNOWN_ID),
            lambda o: [o.answer.status, (o.answer.body or {}).get("message"), sorted(o.answer.body or {})],
            equals([404, "transcript not found", ["code", "message", "request_id"]]),
            "§5, 2026-09-24 capture transcript_id_unknown_404",
            relies=(r"transcript not found", r"transcript_id="),
        ),
        Assumption(
            "free-key-no-model-access",
            "a free-credit key gets the model-access 400 for Claude (a paid key: skipped)",
            Request.chat(model="claude-sonnet-4-6", messages=SKY, max_tokens=5),
            lambda o: _envelope(_free_only(o))[:3],
            equals([400, "invalid request body", [NO_ACCESS]]),
            "§13 row 3 (2026-09-24 capture no_model_access_400)",
            relies=(r"does not have access",),
        ),
        Assumption(
            "free-key-understanding-limit",
            "a free-credit key's third /v1/understanding request in 60 s gets 429 with retry-after (paid: skipped)",
            Request("POST", "/v1/understanding", UNDERSTAND_UNKNOWN, "gateway", times=3),
            lambda o: [
                _free_only(o).answer.status,
                (o.answer.body or {}).get("message"),
                (o.answer.headers.get("retry-after") or "").isdigit(),
            ],
            equals([429, "too many requests for this action", True]),
            "§13 row 7 (2026-09-24 capture status_429)",
            relies=(r"retry.after",),
        ),
        Assumption(
            "understanding-validate",
            "POST /v1/understanding/validate answers 200 for a valid request",
            Request("POST", "/v1/understanding/validate", json.dumps(validate), "gateway"),
            lambda o: o.answer.status if o.answer.status != 429 else _skip_rate_limited(),
            equals(200),
            "§5 Endpoints [S11] (the 200 body is not documented)",
            unverified="yes",
            relies=(r"understanding\.validate",),
        ),
        Assumption(
            "retirement-claude-sonnet-4-6",
            "claude-sonnet-4-6 (the docs' quickstart model) is listed with the emulator's retirement_date",
            Request("GET", "/v1/models", host="gateway"),
            lambda o: _retirement(o.answer.body, "claude-sonnet-4-6"),
            equals(_catalogue_retirement("claude-sonnet-4-6")),
            "§5 Models [S21], §12 P4",
            unverified="P4",
            relies=(r"claude-sonnet-4-6",),
        ),
        Assumption(
            "retirement-claude-sonnet-4-5",
            "claude-sonnet-4-5-20250929 is listed with the emulator's retirement_date",
            Request("GET", "/v1/models", host="gateway"),
            lambda o: _retirement(o.answer.body, "claude-sonnet-4-5-20250929"),
            equals(_catalogue_retirement("claude-sonnet-4-5-20250929")),
            "§5 Models, §12 P4",
            unverified="P4",
            relies=(r"claude-sonnet-4-5-20250929",),
        ),
        Assumption(
            "stream-listed-claude",
            "GET /v1/models lists stream among claude-sonnet-4-6's supported_parameters",
            Request("GET", "/v1/models", host="gateway"),
            lambda o: _stream_listed(o.answer.body, "claude-sonnet-4-6"),
            equals(True),
            "§13 row 14",
            relies=(r"stream=True",),
        ),
        Assumption(
            "stream-claude",
            f"stream: true on Claude ({CLAUDE}) answers SSE chunks ending in end_turn",
            Request(
                "POST",
                "/v1/chat/completions",
                json.dumps({"model": CLAUDE, "messages": SKY, "max_tokens": 20, "stream": True}),
                "gateway",
            ),
            _streamed,
            equals([200, "chat.completion.chunk", ["end_turn"]]),
            "§13 row 14 (qwen streamed live; Claude's chunks not captured)",
            unverified="yes",
            relies=(r"stream=True",),
        ),
    ]


def _problem(outcome: Outcome) -> list:
    """Status and problem-details title of a sync or dictation answer."""
    body = outcome.answer.body
    return [outcome.answer.status, body.get("title") if isinstance(body, dict) else _show(body, 80)]


def _keys_of(outcome: Outcome) -> list:
    return [outcome.answer.status, sorted(outcome.answer.body) if isinstance(outcome.answer.body, dict) else None]


def _tts_headers(outcome: Outcome) -> list:
    """Status, whether the audio duration is given, and the billed characters of a speech answer."""
    headers = outcome.answer.headers
    return [outcome.answer.status, "x-tts-audio-duration-ms" in headers, headers.get("x-tts-billed-characters")]


def _tts_refusal(outcome: Outcome) -> list:
    body = outcome.answer.body if isinstance(outcome.answer.body, dict) else {}
    found = body.get("error", body) if isinstance(body.get("error"), dict) else body
    return [outcome.answer.status, found.get("code"), found.get("param")]


#: The text the text-to-speech checks speak (its length is what a request bills).
SPOKEN = "Your order from Larkspur Books has shipped."
SYNC_KEYS = ["audio_duration_ms", "confidence", "request_time_ms", "session_id", "text", "words"]


def short_audio_assumptions() -> list[Assumption]:
    """Sync transcription, dictation and text to speech (facts file §3 and §7): what the emulator answers
    and the recipes sync-transcription, dictation and tts-* rely on."""
    speech = {"text": SPOKEN, "encoding": "mp3", "bit_rate": 32000}
    return [
        Assumption(
            "sync-model-header",
            "sync: a request without X-AAI-Model is refused",
            ShortAudio("sync", "support-call", model=""),
            lambda o: o.answer.status,
            equals(400),
            "§3 Sync STT API (the header is required)",
            relies=(r"X-AAI-Model",),
        ),
        Assumption(
            "sync-answer",
            "sync: a 110 s call in one request answers text, words, confidence, duration, session id and time",
            ShortAudio("sync", "support-call"),
            _keys_of,
            equals([200, SYNC_KEYS]),
            "§3 Sync STT API (response fields)",
            relies=(r"SyncTranscriber", r"sync\.assemblyai\.com"),
        ),
        Assumption(
            "sync-too-long",
            "sync: 128 s of audio is refused as too long (SDK error_code audio_too_long)",
            ShortAudio("sync", "team-meeting"),
            _problem,
            equals([400, "Audio Too Long"]),
            "§3 Sync STT API (≤120 s); the status and title are the emulator's reading",
            unverified="yes",
            relies=(r"audio_too_long",),
        ),
        Assumption(
            "sync-keyterms",
            "sync: keyterms_prompt ['Larkspur'] spells the shop's name in the call's first sentence",
            ShortAudio("sync", "support-call", json.dumps({"keyterms_prompt": ["Larkspur"]})),
            lambda o: "Larkspur Books" in (o.answer.body or {}).get("text", "").split(". ")[0],
            equals(True),
            "§3 Sync STT API (config takes keyterms_prompt)",
            relies=(r"SyncTranscriptionConfig\(keyterms_prompt",),
        ),
        Assumption(
            "dictation-default-cleanup",
            "dictation: with no instruction the default cleanup still runs (llm_response is set)",
            ShortAudio("dictation", "dictated-email", model=""),
            lambda o: [o.answer.status, isinstance((o.answer.body or {}).get("llm_response"), str)],
            equals([200, True]),
            "§3 Dictation API; docs/dictation/transcript-rewriting (the rewrite is on by default)",
            unverified="yes",
            relies=(r"DictationTranscriber",),
        ),
        Assumption(
            "tts-buffered-headers",
            "text to speech: a buffered answer gives its duration and bills the text's characters",
            Request("POST", "/v1/speech", json.dumps({**speech, "stream": False}), host="tts"),
            _tts_headers,
            equals([200, True, str(len(SPOKEN))]),
            "§7 HTTP API (stream: false, X-TTS-Audio-Duration-Ms, X-TTS-Billed-Characters)",
            relies=(r"TextToSpeech\(\)\.synthesize", r"x-tts-"),
        ),
        Assumption(
            "tts-streamed-no-duration",
            "text to speech: a streamed answer does not know its duration up front",
            Request("POST", "/v1/speech", json.dumps(speech), host="tts"),
            _tts_headers,
            equals([200, False, str(len(SPOKEN))]),
            "§7 HTTP API (streamed by default); SDK 1.8.2 TTSResponseInfo.audio_duration_ms",
            relies=(r"TextToSpeech\(\)\.stream\(",),
        ),
        Assumption(
            "tts-voice-not-found",
            "text to speech: an unknown voice is refused with voice_not_found naming voice_id",
            Request(
                "POST", "/v1/speech", json.dumps({**speech, "voice_id": "aai-nobody", "stream": False}), host="tts"
            ),
            _tts_refusal,
            equals([404, "voice_not_found", "voice_id"]),
            "§7 HTTP API (error codes); the 404 is the emulator's reading",
            unverified="yes",
            relies=(r"voice_not_found",),
        ),
        Assumption(
            "tts-openai-tts-1",
            "text to speech, OpenAI route: model tts-1 is refused with model_not_found",
            Request(
                "POST",
                "/v1/openai/audio/speech",
                json.dumps({"model": "tts-1", "input": SPOKEN, "voice": "alloy"}),
                host="tts",
            ),
            lambda o: _tts_refusal(o)[:2],
            equals([400, "model_not_found"]),
            "§7 POST /v1/openai/audio/speech (tts-1 gets 400 model_not_found)",
            relies=(r"/v1/openai",),
        ),
        *tts_session_assumptions(),
        *agent_assumptions(),
    ]


#: The bookshop agent the voice-agent recipes describe (what the emulator's reference answers are for).
AGENT_SESSION = {
    "system_prompt": "You are the order desk of Larkspur Books. Be brief and friendly. When a caller asks "
    "about an order, ask for the order number.",
    "greeting": "Thanks for calling Larkspur Books, this is the order desk. How can I help?",
}


def _agent_events(outcome: Outcome, kind: str) -> list[dict]:
    return [e for e in outcome.answer.body if e.get("type") == kind]


def _agent_shapes(outcome: Outcome) -> list:
    """The fields the recipes read, from one turn: transcripts, reply audio and the reply's end."""
    first = {k: (_agent_events(outcome, k) or [{}])[0] for k in
             ("session.ready", "transcript.user", "reply.audio", "transcript.agent", "reply.done")}  # fmt: skip
    return [
        isinstance(first["session.ready"].get("session_id"), str),
        isinstance(first["transcript.user"].get("text"), str),
        isinstance(first["reply.audio"].get("data"), int) and first["reply.audio"].get("data", 0) > 0,
        isinstance(first["transcript.agent"].get("text"), str),
        first["reply.done"].get("status"),
    ]


def agent_assumptions() -> list[Assumption]:
    """The Voice Agent API (facts file §8): what the emulator answers and the voice-agent recipes read."""
    turn = AgentSession()
    return [
        Assumption(
            "agent-bearer-required",
            "voice agent: a key without 'Bearer' is refused with session.error UNAUTHORIZED and close 1008",
            AgentSession(seconds=0, bearer=False),
            lambda o: [[e.get("code") for e in _agent_events(o, "session.error")][:1], o.answer.status],
            equals([["UNAUTHORIZED"], 1008]),
            "§8 Endpoint and auth (Bearer is required); the code and close are the emulator's reading",
            unverified="yes",
            relies=(r"Bearer",),
        ),
        Assumption(
            "agent-turn-fields",
            "voice agent: session.ready has session_id; transcript.user and transcript.agent have text; "
            "reply.audio has its audio in data; reply.done has status completed",
            turn,
            _agent_shapes,
            equals([True, True, True, True, "completed"]),
            "§8 Server events; reply.audio.data and reply.done.status are readings of third-party clients",
            unverified="yes",
            relies=(r"reply\.audio", r"transcript\.agent"),
        ),
        Assumption(
            "agent-session-ended",
            "voice agent: session.end is answered by session.ended with session_duration_seconds, then close 1000",
            turn,
            lambda o: [
                isinstance(
                    (_agent_events(o, "session.ended") or [{}])[0].get("session_duration_seconds"), (int, float)
                ),
                o.answer.status,
            ],  # fmt: skip
            equals([True, 1000]),
            "§8 Billing (session.end stops it); the field name is the emulator's reading",
            unverified="yes",
            relies=(r"session_duration_seconds",),
        ),
    ]


def _frame(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields})


def _types(outcome: Outcome) -> list[str]:
    return [m.get("type") for m in outcome.answer.body]


def _session_error(outcome: Outcome) -> list:
    errors = [m for m in outcome.answer.body if m.get("type") == "Error"]
    error = errors[0] if errors else {}
    return [error.get("error_code"), error.get("error_type"), error.get("param"), outcome.answer.status]


def _begin_facts(outcome: Outcome) -> list:
    begin = next((m for m in outcome.answer.body if m.get("type") == "Begin"), {})
    configuration = begin.get("configuration") or {}
    return [(configuration.get("limits") or {}).get("max_generate_text_length"), configuration.get("word_boundaries"),
            configuration.get("sample_rate")]  # fmt: skip


#: A reply's first sentence, long enough that the emulator speaks it before a Flush.
ANSWER = "Your order of three notebooks left our shop on Monday. "


def tts_session_assumptions() -> list[Assumption]:
    """The text-to-speech WebSocket (facts file §7; the WebSocket API, Message frames, Limits and Error
    handling pages): what the emulator answers and tts-streaming-websocket relies on."""
    speak = (_frame("Generate", text=ANSWER), _frame("Flush"))
    return [
        Assumption(
            "tts-ws-begin",
            "text to speech, WebSocket: Begin reports the 2,000-character Generate limit, word boundaries on by "
            "default, and the sample rate asked for",
            SpeechSession("sample_rate=16000", (_frame("Terminate"),)),
            _begin_facts,
            equals([2000, True, 16000]),
            "§7 WebSocket API; the WebSocket API reference's Begin example",
            relies=(r"TTSSession", r"max_generate_text_length", r"session_ttl_sec"),
        ),
        Assumption(
            "tts-ws-audio-before-flush",
            "text to speech, WebSocket: a complete sentence is spoken before any Flush, and Cancel answers Cancelled",
            SpeechSession("", (_frame("Generate", text=ANSWER), _frame("Cancel"), _frame("Terminate")), wait=3.0),
            lambda o: [
                _types(o).index("Audio") < _types(o).index("Cancelled")
                if "Audio" in _types(o) and "Cancelled" in _types(o)
                else _types(o)
            ],  # fmt: skip
            equals([True]),
            "§7 WebSocket, Message frames (Generate: speaks complete sentences without waiting for Flush); "
            "how long a stretch starts it is the emulator's reading (40 characters)",
            unverified="yes",
            relies=(r"sentences\(answer_pieces",),
        ),
        Assumption(
            "tts-ws-cancel-takes-a-flush-id",
            "text to speech, WebSocket: after Flush, Cancel, Flush the last FlushDone has flush_id 2",
            SpeechSession("", (*speak, _frame("Cancel"), *speak, _frame("Terminate")), wait=2.0),
            lambda o: [m.get("flush_id") for m in o.answer.body if m.get("type") == "FlushDone"][-1:],
            equals([2]),
            "§7 WebSocket, SDK 1.8.2 TTSSession.cancel (a cancel takes a flush_id)",
            relies=(r"next_id = tts\.flush\(\)",),
        ),
        Assumption(
            "tts-ws-generate-too-long",
            "text to speech, WebSocket: a Generate of 2,001 characters ends the session with 3006",
            SpeechSession("", (_frame("Generate", text="a" * 2001),)),
            _session_error,
            equals([3006, "invalid_message", "Generate.text", 3006]),
            "§7 WebSocket, Limits (characters per Generate: close 3006, error_type invalid_message, "
            "param Generate.text)",
            relies=(r"characters per Generate",),
        ),
        Assumption(
            "tts-ws-voice-not-found",
            "text to speech, WebSocket: an unknown voice is refused after the upgrade with 3006 voice_not_found",
            SpeechSession("voice_id=aai-nobody"),
            _session_error,
            equals([3006, "voice_not_found", "voice_id", 3006]),
            "§7 WebSocket, Error handling (parameters are checked after the upgrade; 3006 for a bad parameter); the "
            "error_type name is the HTTP API's code, our reading",
            unverified="yes",
            relies=(r"voice_not_found",),
        ),
        Assumption(
            "tts-ws-idle-close",
            "text to speech, WebSocket: an idle session closes after its inactivity_timeout of 5 s, with "
            f"close {tts_ws_idle_code()}",
            SpeechSession("inactivity_timeout=5", (), wait=0),
            lambda o: [o.answer.status, _types(o)[-1:]],
            equals([tts_ws_idle_code(), ["Error"]]),
            "§7 WebSocket, Limits (idle time: 5 to 120 s with inactivity_timeout); the close code is the "
            "emulator's reading",
            unverified="yes",
            relies=(r"inactivity_timeout",),
        ),
    ]


def tts_ws_idle_code() -> int:
    from tools.emulator.tts_ws import IDLE_CODE

    return IDLE_CODE


def _word_shape(body: dict) -> list:
    word = (body.get("words") or [None])[0]
    if not isinstance(word, dict):
        return [[f"no words: {_show(word)}"], False, None]
    return [sorted(word), all(isinstance(word.get(k), int) for k in ("start", "end")), word.get("speaker")]


def _utterance_shape(body: dict) -> list:
    utterance = (body.get("utterances") or [None])[0]
    if not isinstance(utterance, dict):
        return [[f"no utterances: {_show(utterance)}"], False]
    words = utterance.get("words") or []
    return [sorted(utterance), bool(words) and all(w.get("speaker") for w in words)]


def _models(body: Any) -> list[dict]:
    return (
        body.get("data", body.get("models", [])) if isinstance(body, dict) else body if isinstance(body, list) else []
    )


def _missing_model_keys(body: Any) -> list[str]:
    entries = _models(body)
    if not entries:
        return [f"no model entries in {_show(body)}"]
    wanted = {"id", "retirement_date", "providers", "default_provider"}
    return sorted({f"{e.get('id')}: {k}" for e in entries for k in wanted - set(e)})[:5]


def _retirement(body: Any, model: str) -> Any:
    entry = next((e for e in _models(body) if e.get("id") == model), None)
    return "not listed" if entry is None else entry.get("retirement_date")


# --- Running them --------------------------------------------------------------------------------


@dataclass
class Target:
    """Where the probe sends its requests."""

    name: str
    api_url: str
    gateway_url: str
    key: str
    live: bool
    streaming_url: str = "wss://streaming.assemblyai.com"
    #: The hosts with one API each (``Request.host`` "sync", "dictation", "tts"), by their base URLs.
    short_urls: dict[str, str] = field(
        default_factory=lambda: {
            "sync": f"https://{config.SYNC_HOST}",
            "dictation": f"https://{config.DICTATION_HOST}",
            "tts": f"https://{config.TTS_HOST}",
            "agents": f"https://{config.AGENTS_HOST}",
        }
    )
    poll_seconds: float = 0.02
    timeout_seconds: float = 60.0


@dataclass
class Probe:
    """One run against a target: uploads and transcripts made once and shared between assumptions."""

    target: Target
    http: requests.Session = field(default_factory=requests.Session)
    uploads: dict[str, Outcome] = field(default_factory=dict)
    outcomes: dict[How, Outcome | Exception] = field(default_factory=dict)
    made: list[str] = field(default_factory=list)  # ids of every transcript created
    seconds_sent: float = 0.0

    def send(
        self,
        method: str,
        path: str,
        *,
        host: str = "api",
        key: str = "good",
        headers: dict | None = None,
        **kwargs: Any,
    ) -> Answer:
        bases = {"api": self.target.api_url, "gateway": self.target.gateway_url, **self.target.short_urls}
        base = bases[host]
        secret = self.target.key if key == "good" else "probe-wrong-key-" + secrets.token_hex(4)
        headers = ({} if key == "none" else {"authorization": secret}) | (headers or {})
        response = self.http.request(
            method, base + path, headers=headers, timeout=60 if self.target.live else 10, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body, {k.lower(): v for k, v in response.headers.items()})

    def upload(self, clip: str) -> Outcome:
        if clip not in self.uploads:
            self.uploads[clip] = Outcome(self.send("POST", "/v2/upload", data=clip_bytes(clip)))
        return self.uploads[clip]

    def submit(self, step: Transcribe) -> Outcome:
        uploaded = self.upload(step.clip).answer
        url = (uploaded.body or {}).get("upload_url") if isinstance(uploaded.body, dict) else None
        if uploaded.status != 200 or not url:
            raise RuntimeError(f"the upload of {step.clip} answered {uploaded.status}: {_show(uploaded.body)}")
        if self.target.live and is_loopback(url.split("/")[2].split(":")[0]):
            raise RuntimeError(f"refusing to send a loopback URL to the real API: {url}")
        answer = self.send("POST", "/v2/transcript", json={"audio_url": url, **json.loads(step.params)})
        if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("id"):
            self.made.append(answer.body["id"])
            self.seconds_sent += clips().get(step.clip, {}).get("duration_ms", 0) / 1000
        return Outcome(answer)

    def prepare(self, checks: list[Assumption]) -> None:
        """Submit every transcript the checks need, then wait for all of them together."""
        steps = [c.how.transcribe if isinstance(c.how, (TranscriptChat, DeleteTwice)) else c.how for c in checks]
        for step in dict.fromkeys(step for step in steps if isinstance(step, Transcribe)):
            try:
                self.outcomes[step] = self.submit(step)
            except (requests.RequestException, RuntimeError) as error:
                self.outcomes[step] = error
        pending = {
            step: outcome
            for step, outcome in self.outcomes.items()
            if isinstance(outcome, Outcome) and outcome.answer.status == 200
        }
        deadline = time.monotonic() + self.target.timeout_seconds
        while pending:
            for step, outcome in list(pending.items()):
                try:
                    polled = self.send("GET", f"/v2/transcript/{outcome.answer.body['id']}")
                except requests.RequestException:
                    continue  # a lost poll: the next round asks again, until the deadline
                if polled.status != 200 or polled.body.get("status") in ("completed", "error"):
                    outcome.final = polled
                    del pending[step]
            if pending and time.monotonic() > deadline:
                for step in pending:
                    self.outcomes[step] = RuntimeError(f"not finished after {self.target.timeout_seconds:.0f} s")
                break
            time.sleep(self.target.poll_seconds if pending else 0)

    def stream(self, step: Stream) -> Outcome:
        """One streaming session; the answer is (close code, the server's messages)."""
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        from cookbook_utils.audio import load_audio

        pcm = b""
        if step.seconds:
            samples = load_audio(ROOT / "data" / "audio" / f"{step.clip}.mp3")
            pcm = (samples[: int(16_000 * step.seconds)] * 32767).astype("<i2").tobytes()
        url = f"{self.target.streaming_url}/v3/ws?sample_rate=16000" + (f"&{step.query}" if step.query else "")
        received: list[dict] = []
        with connect(url, additional_headers={"Authorization": self.target.key}, open_timeout=30) as websocket:
            try:
                started = time.monotonic()
                for index, start in enumerate(range(0, len(pcm), 3200)):
                    if self.target.live:  # the pace of speech, as the API expects
                        time.sleep(max(0.0, started + (index + 1) / 10 - time.monotonic()))
                    websocket.send(pcm[start : start + 3200])
                websocket.send(json.dumps({"type": "Terminate"}))
                self.seconds_sent += len(pcm) / 32_000
            except ConnectionClosed:
                pass  # the server ended the session first; what it sent is read below
            try:
                while True:
                    received.append(json.loads(websocket.recv(timeout=30)))
            except (ConnectionClosed, TimeoutError):
                pass
            return Outcome(Answer(websocket.close_code or 0, received))

    def speech_session(self, step: SpeechSession) -> Outcome:
        """One text-to-speech WebSocket session (:class:`SpeechSession`)."""
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        base = self.target.short_urls["tts"].replace("https://", "wss://").replace("http://", "ws://")
        received: list[dict] = []

        def read_for(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                try:
                    frame = json.loads(websocket.recv(timeout=left))
                except TimeoutError:
                    return
                received.append({**frame, "audio": len(frame["audio"])} if frame.get("type") == "Audio" else frame)

        url = f"{base}/v1/ws" + (f"?{step.query}" if step.query else "")
        with connect(url, additional_headers={"Authorization": self.target.key}, open_timeout=30) as websocket:
            try:
                read_for(2.0 if not step.frames else 0.5)
                for frame in step.frames:
                    websocket.send(frame)
                    read_for(step.wait)
                read_for(20.0)
            except ConnectionClosed:
                pass
            return Outcome(Answer(websocket.close_code or 0, received))

    def agent_session(self, step: AgentSession) -> Outcome:
        """One voice-agent session (:class:`AgentSession`)."""
        import base64

        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        from cookbook_utils.audio import load_audio

        base = self.target.short_urls["agents"].replace("https://", "wss://").replace("http://", "ws://")
        key = f"Bearer {self.target.key}" if step.bearer else self.target.key
        samples = load_audio(ROOT / "data" / "audio" / f"{step.clip}.mp3", sample_rate=24_000)
        pcm = (samples[: int(24_000 * step.seconds)] * 32767).astype("<i2").tobytes()
        received: list[dict] = []

        def until(kind: str, seconds: float = 60.0) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                event = json.loads(websocket.recv(timeout=left))
                shown = {**event, "data": len(event["data"])} if event.get("type") == "reply.audio" else event
                received.append(shown)
                if event.get("type") in (kind, "session.error"):
                    return

        with connect(f"{base}/v1/ws", additional_headers={"Authorization": key}, open_timeout=30) as websocket:
            try:
                websocket.send(json.dumps({"type": "session.update", "session": AGENT_SESSION}))
                until("session.ready", 30)
                if received[-1].get("type") == "session.ready":
                    until("reply.done")  # the greeting
                    for start in range(0, len(pcm), 4800):
                        chunk = base64.b64encode(pcm[start : start + 4800]).decode()
                        websocket.send(json.dumps({"type": "input.audio", "audio": chunk}))
                        time.sleep(0.1 if self.target.live else 0.0)
                    self.seconds_sent += len(pcm) / 48_000
                    until("reply.done")
                    websocket.send(json.dumps({"type": "session.end"}))
                until("session.ended", 30)
                while True:  # the server closes after its last event: read on until it has
                    received.append(json.loads(websocket.recv(timeout=10)))
            except (ConnectionClosed, TimeoutError):
                try:  # what the server sent before it closed (a refusal may come before any event is read)
                    while True:
                        received.append(json.loads(websocket.recv(timeout=1)))
                except (ConnectionClosed, TimeoutError):
                    pass
            return Outcome(Answer(websocket.close_code or 0, received))

    def short_audio(self, step: ShortAudio) -> Outcome:
        """One sync or dictation request (:class:`ShortAudio`)."""
        wav = wav_bytes(step.clip)
        files = {"config": (None, step.config, "application/json"), "audio": ("clip.wav", wav, "audio/wav")}
        path = "/v1/transcribe" if step.api == "sync" else "/v1/transcribe/live"
        headers = {"X-AAI-Model": step.model} if step.model else {}
        answer = self.send("POST", path, host=step.api, headers=headers, files=files)
        self.seconds_sent += clips().get(step.clip, {}).get("duration_ms", 0) / 1000
        return Outcome(answer)

    def outcome(self, how: How) -> Outcome:
        if isinstance(how, Upload):
            return self.upload(how.clip)
        if isinstance(how, ShortAudio) and how not in self.outcomes:
            try:
                self.outcomes[how] = self.short_audio(how)
            except Exception as error:  # noqa: BLE001 - reported on the assumption's line
                self.outcomes[how] = error
        if isinstance(how, AgentSession) and how not in self.outcomes:
            try:
                self.outcomes[how] = self.agent_session(how)
            except Exception as error:  # noqa: BLE001 - reported on the assumption's line
                self.outcomes[how] = error
        if isinstance(how, SpeechSession) and how not in self.outcomes:
            try:
                self.outcomes[how] = self.speech_session(how)
            except Exception as error:  # noqa: BLE001 - reported on the assumption's line
                self.outcomes[how] = error
        if isinstance(how, Stream):
            if how not in self.outcomes:
                try:
                    self.outcomes[how] = self.stream(how)
                except Exception as error:  # noqa: BLE001 - reported on the assumption's line
                    self.outcomes[how] = error
        if isinstance(how, Request):
            if how not in self.outcomes:
                body = json.loads(how.body) if how.body is not None else None
                for _ in range(how.times):
                    answer = self.send(how.method, how.path, host=how.host, key=how.key, json=body)
                self.outcomes[how] = Outcome(answer)
        if isinstance(how, TranscriptChat) and how not in self.outcomes:
            made = self.outcome(how.transcribe)
            transcript_id = final(made).get("id")
            body = {**json.loads(how.body), "transcript_id": transcript_id}
            self.outcomes[how] = Outcome(self.send("POST", "/v1/chat/completions", host="gateway", json=body))
        if isinstance(how, DeleteTwice) and how not in self.outcomes:
            transcript_id = final(self.outcome(how.transcribe)).get("id")
            self.send("DELETE", f"/v2/transcript/{transcript_id}")
            self.outcomes[how] = Outcome(self.send("DELETE", f"/v2/transcript/{transcript_id}"))
        found = self.outcomes[how]
        if isinstance(found, Exception):
            raise found
        return found

    def check(self, assumption: Assumption) -> tuple[bool | None, str]:
        """Whether the target agrees (None: the check does not apply to this key), and what it got."""
        try:
            got = assumption.read(self.outcome(assumption.how))
        except NotApplicable as reason:
            return None, str(reason)
        except Refused as refused:
            return False, str(refused)
        except Exception as error:  # noqa: BLE001 - any failure to check is reported on the line
            return False, f"could not check: {type(error).__name__}: {error}"
        return assumption.expected.test(got), _show(got)

    def clean_up(self) -> tuple[int, list[str]]:
        """Delete every transcript made (live: waiting for any still running); how many, and failures."""
        failures = []
        for transcript_id in self.made:
            try:
                answer = self.send("DELETE", f"/v2/transcript/{transcript_id}")
                if answer.status != 200:
                    failures.append(f"{transcript_id}: {answer.status} {_show(answer.error or answer.body, 120)}")
            except requests.RequestException as error:
                failures.append(f"{transcript_id}: {error}")
        return len(self.made) - len(failures), failures


@cache
def notebook_code() -> dict[str, list[str]]:
    """Every notebook's code cells (slug -> sources)."""
    found = {}
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        cells = json.loads(path.read_text()).get("cells", [])
        found[path.stem] = ["".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"]
    return found


def relying(patterns: tuple[str, ...]) -> list[str]:
    """The notebooks a code cell of which matches one of ``patterns`` (``.`` spans lines)."""
    compiled = [re.compile(p, re.S) for p in patterns]
    return [slug for slug, cells in notebook_code().items() if any(p.search(c) for p in compiled for c in cells)]


def line(assumption: Assumption, agreed: bool | None, got: str, verbose: bool = False) -> str:
    """The assumption's line: id, what, marks, its source, the notebooks that rely on it, the verdict."""
    mark = assumption.unverified
    marks = f" [unverified {mark}]" if mark.startswith("P") else " [unverified]" if mark else ""
    users = relying(assumption.relies)
    shown = ", ".join(users[:4]) + (f" and {len(users) - 4} more" if len(users) > 4 else "")
    notebooks = f" (notebooks: {shown})" if users else ""
    if agreed is None:
        verdict = f"skipped: {got}"
    elif agreed:
        verdict = "ok" + (f" (got {got})" if verbose else "")
    else:
        verdict = f"DIFFERS: got {got}, expected {assumption.expected.describe}"
    return f"{assumption.id}: {assumption.what}{marks} [{assumption.source}]{notebooks}: {verdict}"


def run(
    target: Target,
    checks: list[Assumption] | None = None,
    out: Callable[[str], None] = print,
    verbose: bool = False,
    extra: Callable[[], list[tuple[str, bool, str]]] | None = None,
) -> int:
    """Check every assumption against ``target``, print one line each and a summary; the exit code."""
    checks = assumptions() if checks is None else checks
    probe = Probe(target)
    differing = skipped = 0
    try:
        probe.prepare(checks)
        for assumption in checks:
            agreed, got = probe.check(assumption)
            differing += agreed is False
            skipped += agreed is None
            out(line(assumption, agreed, got, verbose))
    finally:
        deleted, failures = probe.clean_up()
    for name, agreed, got in extra() if extra else []:
        differing += not agreed
        out(f"{name}: {'ok' if agreed else 'DIFFERS: ' + got}")
    for failure in failures:
        out(f"could not delete transcript {failure}")
    total = len(checks) + (len(extra()) if extra else 0)
    unverified = sum(1 for c in checks if c.unverified)
    out(
        f"probe {target.name}: {total - differing - skipped} of {total} ok, {differing} DIFFERS, {skipped} "
        f"skipped ({unverified} marked "
        f"unverified); sent {probe.seconds_sent:.1f} s of audio in {len(probe.made)} transcripts, "
        f"{deleted} deleted" + (f", {len(failures)} NOT deleted" if failures else "")
    )
    return 1 if differing or failures else 0


DOCS = ROOT / "docs" / "probe.md"


def markdown() -> str:
    """``docs/probe.md``: every assumption the probe checks (``python -m tools.probe --docs``)."""
    rows = [
        "# What the contract probe checks",
        "",
        "Generated from `tools/probe.py` by `python -m tools.probe --docs > docs/probe.md`; do not edit.",
        "`make probe-live` checks each line against the real API, `make probe-emulator` against the emulator",
        '(README, "The contract probe"). Sections (§) are those of `../shared/docs/platform-2026-12.md`;',
        "*unverified* marks what it calls UNVERIFIED (P1..P5: its section 12), where the expected value is",
        "the emulator's own reading (`tools/emulator/models.py`).",
        "",
        "Each line of a run also names the notebooks whose code uses what it covers.",
        "",
        "| id | assumption | expected | source | unverified |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check in assumptions():
        cells = [
            f"`{check.id}`",
            check.what,
            check.expected.describe,
            check.source,
            check.unverified,
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


@contextlib.contextmanager
def emulator_target(account: str = "paid") -> Iterator[tuple[Target, Callable[[], list[tuple[str, bool, str]]]]]:
    """An emulator started in-process (as a ``paid`` or a ``free`` account; its gateway answers come
    from ``data/answers/probe/``), as a target, and its own last check (no spec violations)."""
    from tools.emulator import Emulator

    key = "probe-" + secrets.token_hex(8)
    with Emulator(api_key=key, notebook="probe", account=account) as emulator:

        def violations() -> list[tuple[str, bool, str]]:
            found = list(emulator.violations)
            return [("emulator-spec", not found, _show(found))]

        yield (
            Target(
                f"--emulator ({account} account, {emulator.base_url})",
                emulator.base_url,
                emulator.base_url,
                key,
                live=False,
                streaming_url=emulator.streaming_url,
                short_urls={
                    "sync": emulator.base_url,
                    "dictation": emulator.base_url,
                    "tts": emulator.tts.base_url,
                    "agents": emulator.agents.base_url,
                },  # fmt: skip
            ),
            violations,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check the emulator's assumptions against the real API or the emulator."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--docs", action="store_true", help="print docs/probe.md (what the probe checks)")
    where.add_argument("--live", action="store_true", help=f"the real API, with ${config.ENV_API_KEY} (a few cents)")
    where.add_argument("--emulator", action="store_true", help="an emulator started in-process")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show what each ok line got")
    args = parser.parse_args(argv)
    if args.docs:
        sys.stdout.write(markdown())
        return 0
    if args.emulator:
        # Every check on a paid account (the free-credit key's checks skip there), then the free-credit
        # key's checks on an emulator answering as a free account (--account free).
        with emulator_target() as (target, extra):
            paid = run(target, verbose=args.verbose, extra=extra)
        free_checks = [c for c in assumptions() if c.id.startswith("free-key-")]
        with emulator_target("free") as (target, extra):
            free = run(target, free_checks, verbose=args.verbose, extra=extra)
        return max(paid, free)
    key = os.environ.get(config.ENV_API_KEY, "").strip()
    if not key:
        print(
            f"probe --live needs an API key: export {config.ENV_API_KEY}=<your key> "
            "(https://www.assemblyai.com/dashboard) and run it again.",
            file=sys.stderr,
        )
        return 2
    target = Target(
        f"--live ({config.API_BASE_URL})",
        config.API_BASE_URL,
        config.LLM_GATEWAY_BASE_URL,
        key,
        live=True,
        poll_seconds=3.0,
        timeout_seconds=600.0,
    )
    return run(target, verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
