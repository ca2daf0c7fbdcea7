"""Reference answers for chat completions: which file answers a request, and the check that the
request still carries the transcript that answer was written for.

A notebook's answers live in ``data/answers/<slug>/``, listed in ``answers.yaml``::

    1:                                # the notebook's first chat completion...
      file: 1.json                    # ...is answered with this file (default: 1.json, 1.md, ...)
      transcripts: [team-meeting]     # the scripts whose text the prompt must contain ([] for none)
    summary:                          # a named entry is chosen by the last message's text, not by order
      file: summary.md
      transcripts: [support-call]
      prompt_contains: ["Summarise the call"]

A dictation rewrite (``POST /v1/transcribe/live`` on dictation.assemblyai.com, ``llm_instruction``) is
a file ``<name>.dictation.md`` with an entry that names the one script it rewrites and the request's
``rewrite_mode`` (default ``fast``); ``prompt_contains`` is matched against the ``llm_instruction``::

    soap-note:
      file: soap-note.dictation.md
      transcripts: [clip-es]
      rewrite_mode: smart
      prompt_contains: ["SOAP note"]

Chat completions never get a dictation file, nor a dictation a chat answer (:func:`rewrite`).

See docs/contracts.md, "Reference answers", for the whole format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cookbook_utils.yamlio import load_yaml
from tools.emulator.conversations import Conversation
from tools.emulator.errors import EmulatorError
from tools.emulator.state import ROOT

MANIFEST = "answers.yaml"
#: File suffixes in the order they are looked for, and the kind of answer each stands for.
KINDS = {
    ".tool_calls.json": "tool_calls",
    ".refusal.md": "refusal",
    ".dictation.md": "dictation",
    ".json": "json",
    ".md": "text",
}
DICTATION = "dictation"
#: The rewrite tier a dictation entry is for when it does not say (the Dictation API's default, SDK 1.8.2).
DEFAULT_REWRITE_MODE = "fast"
#: The share of a transcript's three-word sequences the prompt must hold, unless an entry says less.
MIN_COVERAGE = 0.6
_WORD = re.compile(r"[\w\u0300-\u036f\u0900-\u097f']+")
_TIMESTAMP = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b")
_ENTRY_KEYS = {"file", "transcripts", "prompt_contains", "min_coverage", "history", "rewrite_mode"}


@dataclass(frozen=True)
class Answer:
    """One reference answer and what it declares."""

    key: str
    path: Path
    kind: str  # text, json, refusal or tool_calls
    transcripts: tuple[str, ...]
    prompt_contains: tuple[str, ...]
    min_coverage: float

    def text(self) -> str:
        return self.path.read_text().strip()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _howto(folder: Path, number: int) -> str:
    where = _shown(folder)
    return (
        "The emulator does not run an LLM: it answers each chat completion with a reference answer written "
        f"for the notebook. Write {where}/{number}.md (a text reply), {number}.json (the JSON a response_format "
        f"request gets), {number}.refusal.md (a reply that declines) or {number}.tool_calls.json (tool calls), "
        f"and list it in {where}/{MANIFEST} with the transcripts its prompt must contain, e.g. "
        f"`{number}: {{transcripts: [team-meeting]}}` (`transcripts: []` for a prompt about no recording). "
        "An entry with `prompt_contains: [...]` is chosen by the text of the request's last message instead "
        "of the call number. "
        "docs/contracts.md, 'Reference answers', has the details."
    )


def _manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    raw = load_yaml(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise EmulatorError(400, f"{_shown(path)} must map answer keys to entries: see docs/contracts.md")
    entries = {}
    for key, entry in raw.items():
        entry = entry or {}
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise EmulatorError(400, f"{_shown(path)}: entry {key!r} has unknown keys {sorted(unknown)}")
        entries[str(key)] = entry
    return entries


def _file_for(folder: Path, key: str, entry: dict, kinds: tuple[str, ...] | None = None) -> Path | None:
    """The file of an entry: the one it names, else ``<key><suffix>`` for the first suffix of
    ``kinds`` (default: every kind but dictation) that exists."""
    if entry.get("file"):
        return folder / entry["file"]
    for suffix, kind in KINDS.items():
        if (kind in kinds if kinds else kind != DICTATION) and (folder / f"{key}{suffix}").is_file():
            return folder / f"{key}{suffix}"
    return None


def _is_dictation(folder: Path, key: str, entry: dict) -> bool:
    path = _file_for(folder, key, entry, (DICTATION,))
    return path is not None and _kind(path) == DICTATION


def _kind(path: Path) -> str:
    return next(kind for suffix, kind in KINDS.items() if path.name.endswith(suffix))


def _build(folder: Path, key: str, entry: dict | None, path: Path) -> Answer:
    if entry is None or "transcripts" not in entry:
        raise EmulatorError(
            400,
            f"The reference answer {_shown(path)} does not say which transcripts its prompt is about, so the "
            f"emulator cannot check that the prompt still contains them. Add `{key}: {{transcripts: [<script "
            f"name>, ...]}}` to {_shown(folder / MANIFEST)} (names of data/scripts/<name>.yaml; `[]` for a "
            "prompt about no recording).",
        )
    if not path.is_file():
        raise EmulatorError(400, f"{_shown(folder / MANIFEST)} names {_shown(path)}, which does not exist.")
    return Answer(
        key=key,
        path=path,
        kind=_kind(path),
        transcripts=tuple(entry.get("transcripts") or ()),
        prompt_contains=tuple(entry.get("prompt_contains") or ()),
        min_coverage=float(entry.get("min_coverage", MIN_COVERAGE)),
    )


def _folder(data_dir: Path, notebook: str | None) -> Path:
    return data_dir / "answers" / (notebook or "_no_notebook")


def choose(data_dir: Path, notebook: str | None, number: int, last: str, history: bool = False) -> Answer:
    """The answer for the ``number``-th chat completion of ``notebook`` whose last message is ``last``
    (``history``: whether the request carries earlier turns, an assistant message).

    Entries with ``prompt_contains`` are chosen by content (all their phrases in the last message,
    the newest turn of a conversation, case ignored, and ``history``, when the entry gives it, equal
    to the request's); if several fit, the one keyed by ``number`` wins. Otherwise the entry (or file)
    keyed by the call number answers, and its own ``prompt_contains``, if any, must fit.
    """
    folder = _folder(data_dir, notebook)
    entries = {key: entry for key, entry in _manifest(folder).items() if not _is_dictation(folder, key, entry)}
    lowered = last.lower()

    def fits(entry: dict) -> bool:
        if "history" in entry and bool(entry["history"]) != history:
            return False
        return all(phrase.lower() in lowered for phrase in entry.get("prompt_contains") or ())

    by_content = [key for key, entry in entries.items() if entry.get("prompt_contains") and fits(entry)]
    if len(by_content) > 1 and str(number) in by_content:
        by_content = [str(number)]
    if len(by_content) > 1:
        raise EmulatorError(
            400,
            f"The last message fits the prompt_contains of several reference answers in {_shown(folder / MANIFEST)} "
            f"({', '.join(by_content)}): make their phrases tell the requests apart.",
        )
    key = by_content[0] if by_content else str(number)
    entry = entries.get(key)
    path = _file_for(folder, key, entry or {})
    if path is None:
        raise EmulatorError(
            400, f"No reference answer for chat completion {number} of notebook {notebook!r}. {_howto(folder, number)}"
        )
    if entry is not None and not fits(entry):
        raise EmulatorError(
            400,
            f"Chat completion {number} of notebook {notebook!r} would be answered with {_shown(path)}, but its "
            f"last message lacks {list(entry['prompt_contains'])}, the phrases that entry expects: the notebook's "
            f"calls changed order or wording. Re-check {_shown(folder / MANIFEST)}.",
        )
    return _build(folder, key, entry, path)


def rewrite(data_dir: Path, notebook: str | None, script: str, mode: str, instruction: str) -> Answer | None:
    """The reference rewrite of ``notebook`` for a dictation of ``script`` in ``mode`` whose
    ``llm_instruction`` holds every phrase of the entry's ``prompt_contains`` (case ignored); None
    when there is none (the caller answers with ``llm_error``); a 400 when several fit."""
    folder = _folder(data_dir, notebook)
    lowered = instruction.lower()
    fitting = []
    for key, entry in _manifest(folder).items():
        if not _is_dictation(folder, key, entry):
            continue
        names = entry.get("transcripts")
        if not isinstance(names, list) or len(names) != 1:
            raise EmulatorError(
                400,
                f"{_shown(folder / MANIFEST)}: the dictation rewrite {key!r} must name the one script it rewrites, "
                "e.g. `transcripts: [clip-es]`.",
            )
        if names[0] != script or entry.get("rewrite_mode", DEFAULT_REWRITE_MODE) != mode:
            continue
        if all(phrase.lower() in lowered for phrase in entry.get("prompt_contains") or ()):
            fitting.append((key, entry))
    if len(fitting) > 1:
        raise EmulatorError(
            400,
            f"The llm_instruction fits several dictation rewrites in {_shown(folder / MANIFEST)} "
            f"({', '.join(key for key, _ in fitting)}): make their prompt_contains tell the requests apart.",
        )
    if not fitting:
        return None
    key, entry = fitting[0]
    return _build(folder, key, entry, _file_for(folder, key, entry, (DICTATION,)) or folder / key)


def rewrite_howto(notebook: str | None, script: str, mode: str, data_dir: Path) -> str:
    """How to add the reference rewrite that :func:`rewrite` did not find."""
    folder = _shown(_folder(data_dir, notebook))
    return (
        f"The local emulator runs no LLM and has no reference rewrite of {script!r} for this instruction "
        f"in rewrite_mode {mode!r}; the real service would rewrite it. To add one: {folder}/{MANIFEST} "
        "(docs/contracts.md, 'Reference answers')."
    )


def words(text: str) -> list[str]:
    """Lower-case words of ``text``; timestamps (``00:01:02.500``), bare numbers and arrows dropped,
    so a VTT, an SRT or a timestamped transcript reads as its words in order."""
    return [w for w in _WORD.findall(_TIMESTAMP.sub(" ", text.lower())) if not w.isdigit()]


def _trigrams(tokens: list[str]) -> set[tuple[str, str, str]]:
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def coverage(transcript: str, prompt: str) -> float:
    """The share of the transcript's three-word sequences that occur in the prompt (0..1).

    Sequences rather than single words so that a prompt that only mentions the topic scores low;
    short ones so that speaker prefixes, caption breaks and redaction placeholders cost little.
    """
    wanted = _trigrams(words(transcript))
    if not wanted:
        return 1.0
    return len(wanted & _trigrams(words(prompt))) / len(wanted)


def check_transcripts(answer: Answer, prompt: str, conversations: dict[str, Conversation]) -> None:
    """Refuse a request whose prompt lost a transcript its reference answer was written for."""
    for name in answer.transcripts:
        conversation = conversations.get(name)
        if conversation is None:
            raise EmulatorError(
                400,
                f"The reference answer {_shown(answer.path)} is declared to be about {name!r}, which is not a "
                "conversation in data/scripts/: fix `transcripts` in its answers.yaml.",
            )
        share = coverage(" ".join(w["text"] for w in conversation.words), prompt)
        if share < answer.min_coverage:
            raise EmulatorError(
                400,
                f"The prompt lost its transcript: the reference answer {_shown(answer.path)} was written for the "
                f"transcript of {name!r}, but the request's messages hold only {share:.0%} of its word sequences "
                f"(at least {answer.min_coverage:.0%} needed). Put the transcript's text in the messages "
                "(redacted words and speaker labels are fine), or fix `transcripts` in its answers.yaml.",
            )


def tool_calls(answer: Answer) -> list[dict]:
    """The calls of a ``<n>.tool_calls.json`` answer: ``[{"name": ..., "arguments": {...}}, ...]``."""
    try:
        calls = json.loads(answer.text())
    except ValueError as error:
        raise EmulatorError(400, f"{_shown(answer.path)} is not valid JSON: {error}") from error
    if not isinstance(calls, list) or not all(isinstance(c, dict) and "name" in c for c in calls) or not calls:
        raise EmulatorError(
            400, f'{_shown(answer.path)} must be a list of calls: [{{"name": "<function>", "arguments": {{...}}}}]'
        )
    return calls
