"""Reference answers of the Voice Agent emulator: what the agent says to each caller turn of a shipped
conversation, in ``data/answers/voice-agent/<conversation>.yaml`` (format: docs/emulator-voice-agent.md).

The emulator runs no LLM. Like the chat reference answers (:mod:`tools.emulator.answers`), these are
texts written for the conversation, labelled ``kind: reference answers`` in the file; where none fits,
the emulator says so (:class:`NoAnswer`, whose message names the file and the entry to add) and never
makes one up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cookbook_utils.yamlio import load_yaml

FOLDER = Path("answers") / "voice-agent"
LABEL = "reference answers"
_FILE_KEYS = {"kind", "conversation", "system_prompt_contains", "greeting", "turns", "reply_create"}
_OUTCOMES = ("on_result", "on_error", "on_timeout")
_TURN_KEYS = {"reply", "tool_call", "transition", "on_result", "on_error", "on_timeout"}


class NoAnswer(Exception):
    """No reference answer fits; the message says which file and entry would give one."""


@dataclass(frozen=True)
class Answers:
    """One conversation's reference answers."""

    path: Path
    shown: str  # the path as the messages show it
    system_prompt_contains: tuple[str, ...]
    turns: dict[int, dict]
    reply_create: tuple[dict, ...]

    def turn(self, number: int) -> dict:
        """The entry for caller turn ``number``."""
        if number not in self.turns:
            raise NoAnswer(
                f"{self.shown} has no reference answer for caller turn {number}: add `turns: {{{number}: "
                "{reply: ...}}` (or a tool_call with on_result and on_error replies)"
            )
        return self.turns[number]

    def spoken(self) -> list[str]:
        """Every text the agent may say from these answers (replies, transitions, tool outcomes)."""
        texts = [entry.get(name) for entry in self.turns.values() for name in ("reply", "transition")]
        texts += [(entry.get(name) or {}).get("reply") for entry in self.turns.values() for name in _OUTCOMES]
        texts += [entry.get("reply") for entry in self.reply_create]
        return [text for text in texts if isinstance(text, str)]

    def check_prompt(self, system_prompt: str | None) -> None:
        """The answers were written for an agent whose system prompt says these things."""
        missing = [p for p in self.system_prompt_contains if p.lower() not in (system_prompt or "").lower()]
        if missing:
            raise NoAnswer(
                f"the reference answers in {self.shown} were written for an agent whose system_prompt mentions "
                f"{missing}; this session's system_prompt does not, so none fits (set a system_prompt that does, "
                "or write answers for yours)"
            )

    def for_instructions(self, instructions: str | None) -> str:
        """The reply a ``reply.create`` with these instructions gets."""
        for entry in self.reply_create:
            wanted = entry.get("instructions_contains")
            if not wanted and not instructions:
                return entry["reply"]
            if wanted and instructions and all(w.lower() in instructions.lower() for w in wanted):
                return entry["reply"]
        return _raise(
            f"{self.shown} has no reference answer for reply.create with instructions {instructions!r}: add "
            "`reply_create: [{instructions_contains: [<words of the instructions>], reply: ...}]`"
        )


def _raise(message: str) -> str:
    raise NoAnswer(message)


def _shown(path: Path, data_dir: Path) -> str:
    try:
        return str(Path("data") / path.relative_to(data_dir))
    except ValueError:
        return str(path)


def load(data_dir: Path, conversation: str) -> Answers:
    """The reference answers for ``conversation``; NoAnswer if there are none or the file is malformed."""
    path = data_dir / FOLDER / f"{conversation}.yaml"
    shown = _shown(path, data_dir)
    if not path.is_file():
        raise NoAnswer(
            f"the emulator runs no LLM: the agent answers from reference answers, and there are none for the "
            f"conversation it hears ({conversation}); write {shown} (format: docs/emulator-voice-agent.md)"
        )
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    problems = []
    if not isinstance(raw, dict) or raw.get("kind") != LABEL:
        problems.append(f"it must be a mapping with `kind: {LABEL}`")
        raw = raw if isinstance(raw, dict) else {}
    problems += [f"unknown key {k!r}" for k in sorted(set(raw) - _FILE_KEYS)]
    turns: dict[int, dict] = {}
    for key, entry in (raw.get("turns") or {}).items():
        entry = entry or {}
        problems += [f"turn {key}: unknown key {k!r}" for k in sorted(set(entry) - _TURN_KEYS)]
        if ("reply" in entry) == ("tool_call" in entry):
            problems.append(f"turn {key}: give either a reply or a tool_call")
        if "tool_call" in entry:
            call = entry["tool_call"] or {}
            if not isinstance(call.get("name"), str) or not isinstance(call.get("arguments", {}), dict):
                problems.append(f"turn {key}: tool_call needs a name and a mapping of arguments")
            for branch in ("on_result", "on_error"):
                if not isinstance((entry.get(branch) or {}).get("reply"), str):
                    problems.append(f"turn {key}: a tool_call needs {branch}: {{reply: ...}}")
        turns[int(key)] = entry
    replies = tuple(raw.get("reply_create") or ())
    problems += [f"reply_create entry {i} has no reply" for i, e in enumerate(replies) if "reply" not in e]
    if problems:
        raise NoAnswer(f"{shown} is not a valid reference-answer file: " + "; ".join(problems))
    return Answers(path, shown, tuple(raw.get("system_prompt_contains") or ()), turns, replies)
