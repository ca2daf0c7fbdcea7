"""PII redaction and entity detection over the words the emulator writes, from the scripts'
entity annotations (``entities`` in the timing files: spans of spoken words with a spec entity type).

Words carry ``src``, the (first, last) spoken-word indexes they were written from, so an entity
annotated on spoken words finds the written words that stand for it ("forty two dollars and fifty
cents" -> "$42.50").

Substitution, as the API documents it: ``hash`` writes ``#`` for every character of each word of
the entity (punctuation after the word stays); ``entity_name`` writes the entity's type in capitals
and brackets, one token for the whole entity (``Tom Becker.`` -> ``[PERSON_NAME].``).

The finer PII policies of 2026 (``location_city``, ``organization_medical_facility``...) are not
entity types a script annotates: :data:`SUBTYPES` says which annotated entity each one matches, and
an entity matches its own type and its subtype. ``redact_static_entities`` (:func:`redact_terms`)
redacts literal terms, as the API documents it: case, surrounding punctuation and minor spacing or
hyphenation ignored; ``entity_name`` writes the label in capitals and brackets.
"""

from __future__ import annotations

import re

TRAILING = re.compile(r"[.,?!;:\"')\]]+$")


#: (annotated type, its words) -> the finer PII policy it also matches. Every location
#: and every medical facility annotated in data/scripts is listed (a test checks); the other new
#: policies (gender, sexuality, _state, _country, _zip, _coordinate) match no annotation.
_SUBTYPES: dict[tuple[str, str], str] = {
    ("location", "leeds"): "location_city",
    ("location", "bristol"): "location_city",
    ("location", "edinburgh"): "location_city",
    ("location", "glasgow"): "location_city",
    ("location", "park lane"): "location_address_street",
    ("location", "the hollis building twelve mill lane bristol"): "location_address",
    ("organization", "सिटी क्लिनिक"): "organization_medical_facility",
}


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


#: :data:`_SUBTYPES` with each entity's words as compared (:func:`bare`, word by word).
SUBTYPES: dict[tuple[str, str], str] = {
    (kind, " ".join(bare(word) for word in said.split())): subtype for (kind, said), subtype in _SUBTYPES.items()
}


def with_subtypes(entities: list[dict], spoken: list[dict]) -> list[dict]:
    """The annotated entities, each with ``policies``: its type, and its subtype if :data:`SUBTYPES` has one."""
    result = []
    for entity in entities:
        said = " ".join(bare(w["text"]) for w in spoken[entity["first"] : entity["last"] + 1])
        subtype = SUBTYPES.get((entity["type"], said))
        result.append({**entity, "policies": [entity["type"], *([subtype] if subtype else [])]})
    return result


def redact(words: list[dict], entities: list[dict], policies: list[str], substitution: str | None) -> list[dict]:
    """The words with every entity that one of ``policies`` matches substituted (see module doc);
    ``[TYPE]`` names the first requested policy that matches it."""
    chosen = []
    for entity in entities:
        matched = [p for p in policies if p in entity.get("policies", [entity["type"]])]
        chosen.append({**entity, "type": matched[0]} if matched else None)
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


def _squeezed(text: str) -> str:
    """A term as compared: :func:`bare`, without spaces or hyphens."""
    return "".join(bare(part) for part in text.split())


def redact_terms(words: list[dict], terms: dict[str, list[str]], substitution: str | None) -> list[dict]:
    """The words with each literal term of ``redact_static_entities`` (label -> terms) substituted."""
    for label, phrases in terms.items():
        for phrase in phrases:
            wanted = _squeezed(phrase)
            if not wanted:
                continue
            result, index = [], 0
            while index < len(words):
                joined, end = "", index
                while end < len(words) and len(joined) < len(wanted):
                    joined += _squeezed(words[end]["text"])
                    end += 1
                if joined != wanted:
                    result.append(words[index])
                    index += 1
                    continue
                span = words[index:end]
                _, trail = _split_trailing(span[-1]["text"])
                if substitution == "entity_name":
                    result.append(
                        {
                            **span[0],
                            "text": f"[{label.upper()}]{trail}",
                            "end": span[-1]["end"],
                            "src": (span[0]["src"][0], span[-1]["src"][1]),
                            "confidence": min(w["confidence"] for w in span),
                        }
                    )
                else:
                    for word in span:
                        core, tail = _split_trailing(word["text"])
                        result.append({**word, "text": re.sub(r"\S", "#", core) + tail})
                index = end
            words = result
    return words
