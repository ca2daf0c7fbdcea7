"""Sentiment analysis and key phrases, from reference data written by hand in the scripts
(``sentiment`` per sentence of a turn, ``key_phrases`` per script), never from a model.

Only conversations whose script holds that data can be analysed; for any other audio the
transcript ends in an error that names the parameter (:func:`missing`).
"""

from __future__ import annotations

import hashlib

from tools.emulator import redaction


def _overlapping(words: list[dict], first: int, last: int) -> list[dict]:
    return [w for w in words if w["src"][0] <= last and first <= w["src"][1]]


def missing(conversation, params: dict) -> str | None:
    """The error for an analysis asked of audio whose script has no reference data for it."""
    for name, key in (("sentiment_analysis", "sentiments"), ("auto_highlights", "key_phrases")):
        if params.get(name) and not getattr(conversation, key):
            return (
                f"The emulator does not emulate `{name}` for this audio: its script holds no reference data "
                f"for it ({key} in data/scripts/{conversation.name.removesuffix('-stereo')}.yaml). "
                "The support call has it."
            )
    return None


def sentiments(conversation, words: list[dict]) -> list[dict]:
    """``sentiment_analysis_results``: each annotated sentence wholly transcribed, with the words
    written for it, its time span, speaker (and channel) and a deterministic confidence."""
    results = []
    for span in conversation.sentiments:
        inside = _overlapping(words, span["first"], span["last"])
        if not inside or inside[0]["src"][0] > span["first"] or inside[-1]["src"][1] < span["last"]:
            continue
        digest = hashlib.sha256(f"{conversation.name}|sentiment|{span['first']}".encode()).digest()
        result = {
            "text": " ".join(w["text"] for w in inside),
            "start": inside[0]["start"],
            "end": inside[-1]["end"],
            "sentiment": span["sentiment"],
            "confidence": round(0.6 + digest[0] / 255 * 0.37, 4),
            "speaker": inside[0]["speaker"],
        }
        if "channel" in inside[0]:
            result["channel"] = inside[0]["channel"]
        results.append(result)
    return results


def key_phrases(conversation, words: list[dict]) -> dict:
    """``auto_highlights_result``: each reference key phrase found in the spoken words, written as
    the transcript writes it, with its count and timestamps; ranked in the order the script lists
    them (the first most relevant), in the order they are first said."""
    bare = [redaction.bare(w["text"]) for w in conversation.words]
    chosen = {i for w in words for i in range(w["src"][0], w["src"][1] + 1)}
    results = []
    for order, phrase in enumerate(conversation.key_phrases):
        parts = [redaction.bare(p) for p in phrase.split()]
        hits = [i for i in range(len(bare) - len(parts) + 1) if bare[i : i + len(parts)] == parts]
        spans = [
            _overlapping(words, i, i + len(parts) - 1) for i in hits if i in chosen and i + len(parts) - 1 in chosen
        ]
        if not spans:
            continue
        text = redaction.TRAILING.sub("", " ".join(w["text"] for w in spans[0])).lower()
        if "#" in text or "[" in text:
            continue  # a redacted phrase is no longer a key phrase
        results.append(
            {
                "count": len(spans),
                "rank": round(max(0.01, 0.12 - 0.015 * order), 3),
                "text": text,
                "timestamps": [{"start": s[0]["start"], "end": s[-1]["end"]} for s in spans],
            }
        )
    results.sort(key=lambda r: r["timestamps"][0]["start"])
    return {"status": "success", "results": results}
