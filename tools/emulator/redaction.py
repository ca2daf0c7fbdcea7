"""PII redaction and entity detection over the words the emulator writes, from the scripts'
entity annotations (``entities`` in the timing files: spans of spoken words with a spec entity type).

Words carry ``src``, the (first, last) spoken-word indexes they were written from, so an entity
annotated on spoken words finds the written words that stand for it ("forty two dollars and fifty
cents" -> "$42.50").

Substitution, as the API documents it: ``hash`` writes ``#`` for every character of each word of
the entity (punctuation after the word stays); ``entity_name`` writes the entity's type in capitals
and brackets, one token for the whole entity (``Tom Becker.`` -> ``[PERSON_NAME].``).
"""

from __future__ import annotations

import re

TRAILING = re.compile(r"[.,?!;:\"')\]]+$")


def bare(text: str) -> str:
    """A word as compared: lower case, without punctuation (apostrophes kept)."""
    return re.sub(r"[^\w']+", "", text.lower())


def _split_trailing(text: str) -> tuple[str, str]:
    match = TRAILING.search(text)
    return (text[: match.start()], match.group(0)) if match else (text, "")


def _entity_of(word: dict, entities: list[dict]) -> int | None:
    """Index of the first annotated entity whose spoken span overlaps the word's source words."""
    first, last = word["src"]
    for index, entity in enumerate(entities):
        if first <= entity["last"] and entity["first"] <= last:
            return index
    return None


def redact(words: list[dict], entities: list[dict], policies: list[str], substitution: str | None) -> list[dict]:
    """The words with every entity whose type is in ``policies`` substituted (see module doc)."""
    chosen = [e if e["type"] in policies else None for e in entities]
    result: list[dict] = []
    previous: int | None = None
    for word in words:
        index = _entity_of(word, [e or {"first": -1, "last": -2} for e in chosen])
        if index is None:
            result.append(word)
            previous = None
            continue
        core, trail = _split_trailing(word["text"])
        if substitution == "entity_name":
            label = f"[{chosen[index]['type'].upper()}]"
            if previous == index:  # the same entity goes on: one token for all of it
                last = result[-1]
                last.update(
                    text=label + trail,
                    end=word["end"],
                    src=(last["src"][0], word["src"][1]),
                    confidence=round((last["confidence"] + word["confidence"]) / 2, 4),
                )
            else:
                result.append({**word, "text": label + trail})
        else:
            result.append({**word, "text": re.sub(r"\S", "#", core) + trail})
        previous = index
    return result


def detected_entities(words: list[dict], entities: list[dict]) -> list[dict]:
    """``entities[]`` of the transcript: each annotated entity wholly inside the transcribed words,
    with the text written for it (redacted if its words were) and its time span."""
    found = []
    for entity in entities:
        inside = [w for w in words if w["src"][0] <= entity["last"] and entity["first"] <= w["src"][1]]
        if not inside or inside[0]["src"][0] > entity["first"] or inside[-1]["src"][1] < entity["last"]:
            continue  # cut by audio_start_from / audio_end_at
        text = " ".join(w["text"] for w in inside)
        found.append(
            {
                "entity_type": entity["type"],
                "text": TRAILING.sub("", text),
                "start": inside[0]["start"],
                "end": inside[-1]["end"],
            }
        )
    return found
