"""Building API-shaped transcripts from the synthesiser's timing files (for the emulator)."""

from __future__ import annotations

import bisect
import hashlib
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.emulator import redaction

SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")


@dataclass(frozen=True)
class Conversation:
    """One synthesised conversation: its timing file and audio, with the script's annotations
    (``entities``: spans of spoken words with an entity type; ``written``: what the model writes
    for a span and with what confidence) and, for a two-channel file, each speaker's channel."""

    name: str
    sha256: str
    duration_ms: int
    language_code: str
    words: list[dict]
    speakers: dict
    entities: list[dict] = field(default_factory=list)
    written: list[dict] = field(default_factory=list)
    channels: dict | None = None
    sentiments: list[dict] = field(default_factory=list)
    key_phrases: list[str] = field(default_factory=list)
    part_of: dict | None = None  # the longer recording this one is cut from, and where

    @classmethod
    def load(cls, path: Path) -> Conversation:
        data = json.loads(path.read_text())
        return cls(
            data["name"],
            data["sha256"],
            data["duration_ms"],
            data["language_code"],
            data["words"],
            data["speakers"],
            data.get("entities", []),
            data.get("written", []),
            data.get("channels"),
            data.get("sentiments", []),
            data.get("key_phrases", []),
            data.get("part_of"),
        )

    def turn_at(self, ms: int) -> int:
        """The turn being spoken at ``ms`` (the turn of the last word that starts by then)."""
        starts = [w["start"] for w in self.words]
        return self.words[max(bisect.bisect_right(starts, ms) - 1, 0)]["turn"]


#: Each timing file read so far in this process, pickled, by (path, modification time, size): a test starts
#: hundreds of emulators, each of which loads the library three times (transcripts, streaming, agents).
#: Unpickling is several times faster than parsing the JSON, and each load still gets objects of its own.
_READ: dict[tuple[str, int, int], bytes] = {}


def load_library(data_dir: Path) -> dict[str, Conversation]:
    """Every synthesised conversation in ``data_dir/scripts``, keyed by audio sha256 and file name."""
    library: dict[str, Conversation] = {}
    for path in sorted((data_dir / "scripts").glob("*.timing.json")):
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key in _READ:
            conversation = pickle.loads(_READ[key])
        else:
            conversation = Conversation.load(path)
            _READ[key] = pickle.dumps(conversation)
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


EDGE_PUNCTUATION = ".,?!;:"


_bare = redaction.bare


def _written_words(conversation: Conversation, span: dict, params: dict) -> list[dict]:
    """The words the model writes for an annotated span, its time shared out by length."""
    first, last = conversation.words[span["first"]], conversation.words[span["last"]]
    parts = span["text"].split()
    trail = redaction.TRAILING.search(last["text"])
    if trail and not redaction.TRAILING.search(parts[-1]):
        parts[-1] += trail.group(0)  # the sentence's punctuation stays where the speaker put it
    total, elapsed, words = sum(len(p) for p in parts), 0, []
    for part in parts:
        start = first["start"] + (last["end"] - first["start"]) * elapsed // total
        elapsed += len(part)
        end = first["start"] + (last["end"] - first["start"]) * elapsed // total
        words.append({"text": part, "start": start, "end": end, "confidence": span["confidence"]})
    return words


def _applies(conversation: Conversation, span: dict, params: dict, model: str | None = None) -> bool:
    """Formatting ("as") applies only with ``format_text``; a mishearing ("heard") always, unless
    the correct words are among ``keyterms_prompt``, or are a phrase of the ``prompt`` and ``model``
    takes a prompt (then the model gets them right)."""
    from tools.emulator import param_rules

    if span["formatting"]:
        return params.get("format_text", True) is not False
    said = " ".join(_bare(w["text"]) for w in conversation.words[span["first"] : span["last"] + 1])
    if said in {" ".join(_bare(p) for p in term.split()) for term in params.get("keyterms_prompt") or []}:
        return False
    prompt = " ".join(_bare(p) for p in (params.get("prompt") or "").split())
    return not (param_rules.takes_prompt(model) and f" {said} " in f" {prompt} ")


def _custom_spelling(words: list[dict], rules: list[dict]) -> list[dict]:
    """Each ``from`` word or phrase (case-insensitive) written as its ``to`` (as given)."""
    for rule in rules:
        for phrase in rule["from"]:
            wanted = [_bare(p) for p in phrase.split()]
            if not wanted:
                continue
            result, index = [], 0
            while index < len(words):
                window = words[index : index + len(wanted)]
                if [_bare(w["text"]) for w in window] == wanted:
                    trail = redaction.TRAILING.search(window[-1]["text"])
                    result.append(
                        {
                            **window[0],
                            "text": rule["to"] + (trail.group(0) if trail else ""),
                            "end": window[-1]["end"],
                            "src": (window[0]["src"][0], window[-1]["src"][1]),
                            "confidence": min(w["confidence"] for w in window),
                        }
                    )
                    index += len(wanted)
                else:
                    result.append(words[index])
                    index += 1
            words = result
    return words


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def pitch(conversation: Conversation, label: str) -> float:
    """The synthesised voice's pitch of a script speaker (50 when the timing file has none)."""
    return float(conversation.speakers.get(label, {}).get("pitch", 50))


def speaker_map(conversation: Conversation, words: list[dict], params: dict) -> dict[str, str]:
    """The API's speaker letter for each script label of ``words``.

    Merging: when fewer speakers are asked for than the audio has (``speakers_expected``, else
    ``speaker_options.max_speakers_expected``), the speakers who talk longest keep a label of their
    own and each other voice is merged into the kept one nearest in pitch, as a diarization model
    asked for fewer clusters merges the most alike voices. Asking for more speakers than there are
    changes nothing: the emulator never splits one voice (the API treats these numbers as hints).

    Lettering: the API's letters need not follow the order of first appearance (a real 2026
    transcript opens with B, platform-2026-12.md section 13 row 10). The emulator letters the kept
    voices as a diarizer numbering its clusters by a feature of their voice would: by the voice's
    pitch, lowest first (ties: first appearance). So the support call (agent at pitch 68, customer at
    28) opens with B, and the team meeting with D. The scripts' labels stay the scripts'; these
    letters are the emulator's mapping of them."""
    order = list(dict.fromkeys(w["speaker"] for w in words))
    limit = params.get("speakers_expected") or (params.get("speaker_options") or {}).get("max_speakers_expected")
    kept = order
    if limit and limit < len(order):
        talk = {label: sum(w["end"] - w["start"] for w in words if w["speaker"] == label) for label in order}
        kept = sorted(order, key=lambda label: (-talk[label], order.index(label)))[:limit]
    merged = {
        label: label
        if label in kept
        else min(kept, key=lambda k: (abs(pitch(conversation, k) - pitch(conversation, label)), kept.index(k)))
        for label in order
    }
    voices = sorted(dict.fromkeys(merged[s] for s in order), key=lambda k: (pitch(conversation, k), order.index(k)))
    letters = {kept_label: LETTERS[n] for n, kept_label in enumerate(voices)}
    return {label: letters[merged[label]] for label in order}


@dataclass
class Transcription:
    """What the model returns for one request: words (with ``src``, their spoken-word indexes,
    until :func:`public` drops it), the entities found, and the number of channels."""

    words: list[dict]
    entities: list[dict]
    audio_channels: int
    #: the API's speaker label -> the script speaker it stands for (the kept voice when merged)
    speakers: dict[str, str] = field(default_factory=dict)


def transcribe(conversation: Conversation, params: dict, model: str | None = None) -> Transcription:
    """The words ``model`` would return for these params: the span asked for, written forms and
    mishearings, custom spelling, text formatting and punctuation, speakers or channels, and PII
    redaction (the policies' entities, then ``redact_static_entities``), in that order."""
    start_from = params.get("audio_start_from") or 0
    end_at = params.get("audio_end_at") or conversation.duration_ms
    chosen = [i for i, w in enumerate(conversation.words) if w["start"] >= start_from and w["end"] <= end_at]
    inside = set(chosen)
    spans = {
        s["first"]: s
        for s in conversation.written
        if s["first"] in inside and s["last"] in inside and _applies(conversation, s, params, model)
    }
    words: list[dict] = []
    index = chosen[0] if chosen else 0
    while chosen and index <= chosen[-1]:
        spoken = conversation.words[index]
        if index in spans:
            span = spans[index]
            for word in _written_words(conversation, span, params):
                words.append({**word, "speaker": spoken["speaker"], "src": (span["first"], span["last"])})
            index = span["last"] + 1
            continue
        confidence_ = confidence(conversation.name, index, spoken["text"])
        words.append(
            {
                "text": spoken["text"],
                "start": spoken["start"],
                "end": spoken["end"],
                "confidence": confidence_,
                "speaker": spoken["speaker"],
                "src": (index, index),
            }
        )
        index += 1
    words = _custom_spelling(words, params.get("custom_spelling") or [])
    for word in words:
        if params.get("format_text", True) is False:
            word["text"] = word["text"].lower()
        if params.get("punctuate", True) is False:
            word["text"] = word["text"].strip(EDGE_PUNCTUATION) or word["text"]
    words = [w for w in words if w["text"]]
    multichannel = bool(params.get("multichannel"))
    if not (multichannel and conversation.channels):
        words = _heard_in_one_channel(conversation, words)
    labels = speaker_map(conversation, words, params)
    speakers: dict[str, str] = {}  # API label -> script label (the first that got it: the kept voice)

    def channel_of(label: str) -> str:
        return str((conversation.channels or {}).get(label, 1))

    # Channels are numbered from 1; with speaker labels too, the speakers within a channel are
    # lettered after the channel number ("1A", "1B", "2A"), in the order of their letters in the
    # whole file (one speaker per channel: always A).
    within: dict[str, dict[str, str]] = {}  # channel -> whole-file letter -> letter within the channel
    for label in sorted(labels, key=labels.__getitem__):
        letters = within.setdefault(channel_of(label), {})
        letters.setdefault(labels[label], LETTERS[len(letters)])
    for word in words:
        script_label = word["speaker"]
        channel = channel_of(script_label)
        if multichannel:
            letter = within[channel][labels[script_label]]
            word["speaker"] = f"{channel}{letter}" if params.get("speaker_labels") else channel
            word["channel"] = channel
        else:
            word["speaker"] = labels[script_label] if params.get("speaker_labels") else None
        if word["speaker"] is not None:
            speakers.setdefault(word["speaker"], script_label)
    if params.get("redact_pii"):
        words = redaction.redact(
            words,
            redaction.with_subtypes(conversation.entities, conversation.words),
            params.get("redact_pii_policies") or [],
            params.get("redact_pii_sub"),
        )
        words = redaction.redact_terms(words, params.get("redact_static_entities") or {}, params.get("redact_pii_sub"))
    entities = redaction.detected_entities(words, conversation.entities) if params.get("entity_detection") else []
    channels = len(conversation.channels) if conversation.channels else 1
    return Transcription(words, entities, channels, speakers)


def _heard_in_one_channel(conversation: Conversation, words: list[dict]) -> list[dict]:
    """Overlapping speech in one channel (a mono file, or a two-channel file sent without
    ``multichannel``): a diarizer gives each stretch of time one speaker, so the words someone says
    while an earlier turn of another speaker is still sounding are given to that speaker (the
    emulator's reading of overlap; which voice a real diarizer keeps is not known). Scripts without
    overlapping turns are unchanged."""
    spans: dict[int, list[int]] = {}
    for word in conversation.words:
        span = spans.setdefault(word["turn"], [word["start"], word["end"], word["speaker"]])
        span[1] = max(span[1], word["end"])
    result = []
    for word in words:
        turn = conversation.words[word["src"][0]]["turn"]
        talking = [
            s[2] for t, s in spans.items() if t < turn and s[2] != word["speaker"] and s[0] <= word["start"] < s[1]
        ]
        result.append({**word, "speaker": talking[0]} if talking else word)
    return result


def timeline(words: list[dict]) -> tuple[list[dict], list[dict]]:
    """Words in the order they are spoken (by start; stable, so a script without overlap keeps its
    order) and the utterances of them: with channels, each channel's runs of one speaker in script
    order, sorted by start (two channels may talk at once); in one channel, runs of one speaker in
    time order."""
    ordered = sorted(words, key=lambda w: w["start"])
    if words and "channel" in words[0]:
        return ordered, sorted(utterances(words), key=lambda u: u["start"])
    return ordered, utterances(ordered)


def public(words: list[dict]) -> list[dict]:
    """The words as the API sends them (without the emulator's own ``src``)."""
    return [{k: v for k, v in w.items() if k != "src"} for w in words]


def transcript_words(conversation: Conversation, params: dict) -> list[dict]:
    """The words the API would return for these params (see :func:`transcribe`)."""
    return public(transcribe(conversation, params).words)


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _span(words: list[dict], speaker: str | None) -> dict:
    span = {
        "text": " ".join(w["text"] for w in words),
        "start": words[0]["start"],
        "end": words[-1]["end"],
        "confidence": mean([w["confidence"] for w in words]),
        "words": words,
        "speaker": speaker,
    }
    if "channel" in words[0]:
        span["channel"] = words[0]["channel"]
    return span


def utterances(words: list[dict]) -> list[dict]:
    """Consecutive words of one speaker, as ``utterances[]``."""
    groups: list[list[dict]] = []
    for word in words:
        if groups and (groups[-1][-1]["speaker"], groups[-1][-1].get("channel")) == (
            word["speaker"],
            word.get("channel"),
        ):
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


#: A paragraph ends at a sentence end followed by a pause this long, or once it holds this many words.
PARAGRAPH_PAUSE_MS = 1500
PARAGRAPH_WORDS = 60


def paragraphs(words: list[dict]) -> list[dict]:
    """Sentences grouped into paragraphs: a new one starts after a pause of at least
    :data:`PARAGRAPH_PAUSE_MS` between sentences, or once the paragraph holds
    :data:`PARAGRAPH_WORDS` words. A change of speaker does not start one, so a paragraph may span
    speakers, as real ones do (platform-2026-12.md section 13 row 16)."""
    groups: list[list[dict]] = []
    for sentence in sentences(words):
        current = groups[-1] if groups else None
        if current and sentence["start"] - current[-1]["end"] < PARAGRAPH_PAUSE_MS and len(current) < PARAGRAPH_WORDS:
            current.extend(sentence["words"])
        else:
            groups.append(list(sentence["words"]))
    result = []
    for group in groups:
        span = _span(group, None)
        del span["speaker"]
        span.pop("channel", None)  # a paragraph has no channel in the spec (its words do)
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
