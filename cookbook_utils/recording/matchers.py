"""Matching: when a request sent in replay is one the recording holds, and how far apart two are.

The matchers are registered with vcrpy under plain nouns (``query``, ``body``), replacing its own
of the same names: queries are compared once credentials and run-to-run values are removed, bodies
as JSON once URLs in them are normalised (uploaded bytes are already a hash of themselves, so the
same bytes match the same recorded upload). :func:`distance` scores how much two requests differ,
so the error for a missing request names the recorded one closest to it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .filters import body_bytes, map_json_strings, normalise_url

#: What a request is matched on, in vcrpy's terms (method, host and path are vcrpy's own).
MATCH_ON = ("method", "host", "path", "query", "body")

#: How much each kind of difference weighs when looking for the closest recorded request: a
#: different method or host is another request altogether; one body field is a small change.
WEIGHTS = {"method": 100, "host": 50, "path_segment": 10, "body": 5, "query_param": 1, "body_field": 1}


def normalised_body(body: Any) -> Any:
    """A body as parsed JSON with its URLs normalised, or as raw bytes (None when empty)."""
    raw = body_bytes(body)
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw
    return map_json_strings(parsed, lambda s: normalise_url(s) if s.startswith(("http://", "https://")) else s)


def preview(value: Any, limit: int = 200) -> str:
    """A short, readable rendering of a body for messages."""
    text = json.dumps(value, sort_keys=True) if not isinstance(value, bytes) else repr(value[:60])
    return text if len(text) <= limit else text[:limit] + "..."


def _differing_fields(a: dict, b: dict) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k, ...) != b.get(k, ...))


def body(r1, r2) -> None:
    """vcrpy matcher: bodies equal as JSON after URL normalisation, or byte for byte."""
    a, b = normalised_body(r1.body), normalised_body(r2.body)
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        shown = [
            f"{k} ({preview(a.get(k, '<absent>'), 60)} vs {preview(b.get(k, '<absent>'), 60)})"
            for k in _differing_fields(a, b)
        ]
        raise AssertionError("fields " + ", ".join(shown))
    raise AssertionError(f"{preview(a)} vs {preview(b)}")


def _query_pairs(uri: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(normalise_url(uri)).query, keep_blank_values=True)


def query(r1, r2) -> None:
    """vcrpy matcher: query strings equal once credentials and volatile values are removed."""
    a, b = urlsplit(normalise_url(r1.uri)).query, urlsplit(normalise_url(r2.uri)).query
    assert a == b, f"{a!r} vs {b!r}"


def distance(r1, r2) -> int:
    """How much two requests differ: 0 when they match; a different method or host weighs most, a
    differing path segment less, one differing query parameter or body field least."""
    score = 0
    if r1.method != r2.method:
        score += WEIGHTS["method"]
    u1, u2 = urlsplit(r1.uri), urlsplit(r2.uri)
    if (u1.hostname or "") != (u2.hostname or ""):
        score += WEIGHTS["host"]
    s1, s2 = u1.path.strip("/").split("/"), u2.path.strip("/").split("/")
    score += WEIGHTS["path_segment"] * (sum(a != b for a, b in zip(s1, s2, strict=False)) + abs(len(s1) - len(s2)))
    q1, q2 = dict(_query_pairs(r1.uri)), dict(_query_pairs(r2.uri))
    score += WEIGHTS["query_param"] * len(_differing_fields(q1, q2))
    b1, b2 = normalised_body(r1.body), normalised_body(r2.body)
    if isinstance(b1, dict) and isinstance(b2, dict):
        score += WEIGHTS["body_field"] * len(_differing_fields(b1, b2))
    elif b1 != b2:
        score += WEIGHTS["body"]
    return score


def register(recorder) -> None:
    """Register the matchers on a ``vcr.VCR`` under their plain names."""
    recorder.register_matcher("query", query)
    recorder.register_matcher("body", body)
