"""What a non-audio file is, told from its first bytes as ``file --mime-type`` and ``file`` say it,
for the API's "Transcoding failed. File does not appear to contain audio. File type is <mime>
(<description>)." (a real answer: ``text/plain (ASCII text)``, platform-2026-12.md section 13 row 11).

A few magic numbers, no dependency: PDF, PNG (with its size and colour type, as ``file`` prints
them), JPEG, GIF, Zip, HTML, JSON and plain text; anything else is ``application/octet-stream (data)``.
Text is described as ``file`` 5.44 (Debian 12) describes it: the charset, then "with very long lines
(N)" past 300 characters and the line terminators when they are not LF alone (the seed guides quote
a real one: ``text/html (HTML document, ASCII text, with very long lines (56754))``). Which version of
``file`` the API runs is not known; older ones say "UTF-8 Unicode text" and "JSON data".
"""

from __future__ import annotations

import json
import struct

_PNG_COLOURS = {0: "grayscale", 2: "/color RGB", 3: " colormap", 4: " gray+alpha", 6: "/color RGBA"}


def _png(data: bytes) -> str:
    if len(data) < 29 or data[12:16] != b"IHDR":
        return "PNG image data"
    width, height = struct.unpack(">II", data[16:24])
    depth, colour, interlace = data[24], data[25], data[28]
    kind = _PNG_COLOURS.get(colour, "")
    kind = f"{depth}-bit {kind.strip()}" if kind in ("grayscale",) else f"{depth}-bit{kind}"
    laced = "interlaced" if interlace else "non-interlaced"
    return f"PNG image data, {width} x {height}, {kind}, {laced}"


#: Tags that make ``file`` call a text an HTML document when it opens with one (its magic, "sgml").
_HTML_TAGS = ("<!doctype html", "<html", "<head", "<title", "<script", "<style", "<table")
#: ``file`` calls a line very long past this many characters (MAXLINELEN in its ascmagic.c).
_MAX_LINE = 300


def _qualifiers(decoded: str) -> str:
    """``file``'s ", with ..." remarks on a text's lines."""
    remarks = []
    longest = max(len(line) for line in decoded.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if longest > _MAX_LINE:
        remarks.append(f"with very long lines ({longest})")
    crlf = decoded.count("\r\n")
    cr = decoded.count("\r") - crlf
    lf = decoded.count("\n") - crlf
    terminators = [name for name, count in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if count]
    if not terminators:
        remarks.append("with no line terminators")
    elif terminators != ["LF"]:
        remarks.append(f"with {', '.join(terminators)} line terminators")
    return "".join(f", {remark}" for remark in remarks)


def _text(data: bytes) -> tuple[str, str] | None:
    """The type of a file of text, or None when the bytes are not text."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f\b\x1b" for c in decoded):
        return None
    charset = ("ASCII text" if decoded.isascii() else "Unicode text, UTF-8 text") + _qualifiers(decoded)
    head = decoded.lstrip().lower()
    if head.startswith(_HTML_TAGS) or (head.startswith("<!--") and "<html" in head[:4096]):
        return "text/html", f"HTML document, {charset}"
    if head[:1] in ("{", "["):
        try:
            json.loads(decoded)
        except ValueError:
            pass
        else:
            return "application/json", "JSON text data"
    return "text/plain", charset


def file_type(data: bytes) -> str:
    """``<mime> (<description>)`` for ``data``, the way ``file`` names it."""
    if data.startswith(b"%PDF-"):
        version = data[5:8].decode("ascii", "replace")
        return f"application/pdf (PDF document, version {version})"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return f"image/png ({_png(data)})"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg (JPEG image data)"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10]) if len(data) >= 10 else (0, 0)
        return f"image/gif (GIF image data, version {data[3:6].decode()}, {width} x {height})"
    if data.startswith(b"PK\x03\x04"):
        needed = data[4] if len(data) > 4 else 20
        return f"application/zip (Zip archive data, at least v{needed // 10}.{needed % 10} to extract)"
    text = _text(data) if data else None
    if text:
        return f"{text[0]} ({text[1]})"
    return "application/octet-stream (data)"
