"""Building API-shaped transcripts from the synthesiser's timing files (for the emulator)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

#: Which languages each speech model transcribes (api-2026.md). Universal-2 takes the rest.
MODEL_LANGUAGES = {
    "universal-3-5-pro": {"en", "es", "de", "fr", "it", "pt"},
    "universal-3-pro": {"en", "es", "de", "fr", "it", "pt"},
    "universal-2": None,  # 99 languages
}
SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")


@dataclass(frozen=True)
class Conversation:
    """One synthesised conversation: its timing file and audio."""

    name: str
    sha256: str
    duration_ms: int
    language_code: str
    words: list[dict]
    speakers: dict

    @classmethod
    def load(cls, path: Path) -> Conversation:
        data = json.loads(path.read_text())
        return cls(
            data["name"], data["sha256"], data["duration_ms"], data["language_code"], data["words"], data["speakers"]
        )


def load_library(data_dir: Path) -> dict[str, Conversation]:
    """Every synthesised conversation in ``data_dir/scripts``, keyed by audio sha256 and file name."""
    library: dict[str, Conversation] = {}
    for path in sorted((data_dir / "scripts").glob("*.timing.json")):
        conversation = Conversation.load(path)
        library[conversation.sha256] = conversation
        library[f"{conversation.name}.mp3"] = conversation
    return library


def confidence(*parts: object) -> float:
    """A deterministic, plausible confidence in [0.85, 0.99] for the same inputs every run."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return round(0.85 + (digest[0] / 255) * 0.14, 4)


def detection_confidence(conversation: Conversation, params: dict) -> float:
    """A deterministic language-detection confidence in [0.78, 0.99]; lower when less than
    fifteen seconds of speech are heard (``audio_end_at``)."""
    digest = hashlib.sha256(f"{conversation.name}|language".encode()).digest()
    value = 0.78 + (digest[0] / 255) * 0.21
    heard = min(params.get("audio_end_at") or conversation.duration_ms, conversation.duration_ms)
    if heard < 15_000:
        value -= 0.1
    return round(value, 4)


def choose_model(speech_models: list[str], language: str) -> str | None:
    """The first requested model that transcribes ``language``, as the API's fallback does."""
    for model in speech_models:
        languages = MODEL_LANGUAGES.get(model, set())
        if languages is None or language in languages:
            return model
    return None


def transcript_words(conversation: Conversation, params: dict) -> list[dict]:
    """The words the API would return for these params (span, speaker labels)."""
    start_from = params.get("audio_start_from") or 0
    end_at = params.get("audio_end_at") or conversation.duration_ms
    labels = bool(params.get("speaker_labels"))
    words = []
    for index, word in enumerate(conversation.words):
        if word["start"] < start_from or word["end"] > end_at:
            continue
        words.append(
            {
                "text": word["text"],
                "start": word["start"],
                "end": word["end"],
                "confidence": confidence(conversation.name, index, word["text"]),
                "speaker": word["speaker"] if labels else None,
            }
        )
    return words


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _span(words: list[dict], speaker: str | None) -> dict:
    return {
        "text": " ".join(w["text"] for w in words),
        "start": words[0]["start"],
        "end": words[-1]["end"],
        "confidence": mean([w["confidence"] for w in words]),
        "words": words,
        "speaker": speaker,
    }


def utterances(words: list[dict]) -> list[dict]:
    """Consecutive words of one speaker, as ``utterances[]``."""
    groups: list[list[dict]] = []
    for word in words:
        if groups and groups[-1][-1]["speaker"] == word["speaker"]:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [_span(group, group[0]["speaker"]) for group in groups]


def sentences(words: list[dict]) -> list[dict]:
    """Words split after sentence-final punctuation (or a change of speaker)."""
    groups: list[list[dict]] = [[]]
    for index, word in enumerate(words):
        groups[-1].append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        if SENTENCE_END.search(word["text"]) or (following and following["speaker"] != word["speaker"]):
            groups.append([])
    return [_span(group, group[0]["speaker"]) for group in groups if group]


def paragraphs(words: list[dict], conversation: Conversation) -> list[dict]:
    """One paragraph per turn of the conversation (a pause and a new speaker start one)."""
    turn_of = {(w["start"], w["text"]): w["turn"] for w in conversation.words}
    groups: dict[int, list[dict]] = {}
    for word in words:
        groups.setdefault(turn_of[(word["start"], word["text"])], []).append(word)
    result = []
    for group in groups.values():
        span = _span(group, None)
        del span["speaker"]
        result.append(span)
    return result


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def captions(words: list[dict], chars_per_caption: int | None) -> list[tuple[int, int, str]]:
    """Group words into captions of at most ``chars_per_caption`` characters (default 32),
    breaking early at the end of a sentence."""
    limit = chars_per_caption or 32
    result: list[tuple[int, int, str]] = []
    current: list[dict] = []
    for word in words:
        text = " ".join(w["text"] for w in [*current, word])
        if current and len(text) > limit:
            result.append((current[0]["start"], current[-1]["end"], " ".join(w["text"] for w in current)))
            current = []
        current.append(word)
        if SENTENCE_END.search(word["text"]) and len(" ".join(w["text"] for w in current)) > limit // 2:
            result.append((current[0]["start"], current[-1]["end"], " ".join(w["text"] for w in current)))
            current = []
    if current:
        result.append((current[0]["start"], current[-1]["end"], " ".join(w["text"] for w in current)))
    return result


def srt(words: list[dict], chars_per_caption: int | None) -> str:
    blocks = [
        f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{text}"
        for number, (start, end, text) in enumerate(captions(words, chars_per_caption), start=1)
    ]
    return "\n\n".join(blocks) + "\n"


def vtt(words: list[dict], chars_per_caption: int | None) -> str:
    blocks = [
        f"{_clock(start, '.')} --> {_clock(end, '.')}\n{text}"
        for start, end, text in captions(words, chars_per_caption)
    ]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def _bare(text: str) -> str:
    return re.sub(r"[^\w']+", "", text.lower())


def word_search(words: list[dict], terms: list[str]) -> list[dict]:
    """Matches of each search term (a word or a phrase) with timestamps and word indexes."""
    bare = [_bare(w["text"]) for w in words]
    matches = []
    for term in terms:
        parts = [_bare(p) for p in term.split()]
        if not parts:
            continue
        hits = [i for i in range(len(bare) - len(parts) + 1) if bare[i : i + len(parts)] == parts]
        if hits:
            matches.append(
                {
                    "text": term,
                    "count": len(hits),
                    "timestamps": [[words[i]["start"], words[i + len(parts) - 1]["end"]] for i in hits],
                    "indexes": hits,
                }
            )
    return matches
