"""What real responses show (platform-2026-12.md section 13 rows 6, 10, 11, 12, 16), as the emulator
gives it: audio_duration rounded up, the sniffed type in the not-audio error, speech_model_used null
until completion, UUIDv4 ids, the upload URL's shape, paragraphs that span speakers."""

from __future__ import annotations

import itertools
import re
import struct
import uuid

import pytest

from cookbook_utils import paths
from tests.emulator.support import call, submit, wait
from tools.emulator import conversations, sniff

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _png(width: int, height: int, colour: int = 6) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + bytes([8, colour, 0, 0, 0])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not audio at all\n", "text/plain (ASCII text)"),
        ("caf\u00e9 au lait\n".encode(), "text/plain (Unicode text, UTF-8 text)"),
        (b'{"audio": false}', "application/json (JSON text data)"),
        (b"<!DOCTYPE html>\n<html><body>hi</body></html>", "text/html (HTML document, ASCII text)"),
        # file(1)'s remarks on the lines, as in the seed's real answer for a web page
        (b"<html>" + b"x" * 400 + b"\n</html>\n", "text/html (HTML document, ASCII text, with very long lines (406))"),
        (b"<head><title>Drive</title></head>\r\n", "text/html (HTML document, ASCII text, with CRLF line terminators)"),
        (b"<body>a page without a head</body>\n", "text/plain (ASCII text)"),
        (b"notes", "text/plain (ASCII text, with no line terminators)"),
        (b"a\r\nb\nc\n", "text/plain (ASCII text, with CRLF, LF line terminators)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf (PDF document, version 1.7)"),
        (_png(640, 480), "image/png (PNG image data, 640 x 480, 8-bit/color RGBA, non-interlaced)"),
        (_png(16, 16, 2), "image/png (PNG image data, 16 x 16, 8-bit/color RGB, non-interlaced)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg (JPEG image data)"),
        (b"PK\x03\x04\x14\x00\x00\x00", "application/zip (Zip archive data, at least v2.0 to extract)"),
        (b"\x00\x01\x02\x03\xfe", "application/octet-stream (data)"),
    ],
)
def test_the_sniffer_names_files_as_file_does(data, expected):
    assert sniff.file_type(data) == expected


def test_a_text_upload_ends_in_the_real_not_audio_error(emulator):
    upload = call(emulator, "POST", "/v2/upload", data=b"These are notes, not audio.\n").json()
    done = wait(emulator, submit(emulator, audio_url=upload["upload_url"])["id"])
    assert done["status"] == "error"
    assert done["error"] == (
        "Transcoding failed. File does not appear to contain audio. File type is text/plain (ASCII text)."
    )
    assert done["speech_model_used"] is None


def test_a_web_page_at_an_audio_url_ends_in_the_not_audio_error_with_its_html_type(emulator):
    """A share link's web page (the HTML a host sends instead of the file) is named as HTML, as the
    real API names it (seed guides: ``text/html (HTML document, ASCII text, ...)``), not as data."""
    from cookbook_utils.standins.web import DriveStandIn

    with DriveStandIn(too_large={"1BigRecording00001": paths.audio_file("support-call.mp3")}) as drive:
        url = f"{drive.base_url}/download?id=1BigRecording00001&export=download"
        done = wait(emulator, submit(emulator, audio_url=url)["id"])
        accepted = wait(emulator, submit(emulator, audio_url=url + "&confirm=t")["id"])
    assert done["status"] == "error"
    assert done["error"] == (
        "Transcoding failed. File does not appear to contain audio. File type is text/html (HTML document, ASCII text)."
    )
    assert accepted["status"] == "completed"  # the warning accepted, Drive serves the file


def test_audio_duration_is_rounded_up(emulator):
    done = wait(emulator, submit(emulator)["id"])  # the support call: 109.x seconds
    library = emulator.state.library["support-call.mp3"]
    assert done["audio_duration"] == -(-library.duration_ms // 1000) == 110
    assert library.duration_ms % 1000  # not a whole number of seconds, so up is not round


def test_speech_model_used_is_null_until_completed(make_emulator):
    emulator = make_emulator(processing_seconds=2)
    created = submit(emulator)
    assert "speech_model_used" in created and created["speech_model_used"] is None
    polled = call(emulator, "GET", f"/v2/transcript/{created['id']}").json()
    assert polled["status"] in ("queued", "processing") and polled["speech_model_used"] is None
    assert wait(emulator, created["id"])["speech_model_used"] == created["speech_models"][0]


def test_ids_are_uuid4_and_upload_urls_have_the_real_shape(emulator):
    first = call(emulator, "POST", "/v2/upload", data=b"\x00" * 64).json()["upload_url"]
    second = call(emulator, "POST", "/v2/upload", data=b"\x01" * 64).json()["upload_url"]
    pattern = re.compile(r"^https://cdn\.assemblyai\.com/upload/([0-9a-f]{64})/([0-9a-f-]{36})$")
    one, two = pattern.match(first), pattern.match(second)
    assert one and two and one.group(1) == two.group(1) and one.group(2) != two.group(2)
    assert UUID4.match(one.group(2)) and uuid.UUID(one.group(2)).version == 4
    assert UUID4.match(submit(emulator)["id"])


def test_paragraphs_may_span_speakers(emulator):
    done = wait(emulator, submit(emulator, speaker_labels=True)["id"])
    paragraphs = call(emulator, "GET", f"/v2/transcript/{done['id']}/paragraphs").json()["paragraphs"]
    assert any(len({w["speaker"] for w in p["words"]}) > 1 for p in paragraphs)
    assert [w for p in paragraphs for w in p["words"]] == done["words"]  # every word, once, in order
    sentences = call(emulator, "GET", f"/v2/transcript/{done['id']}/sentences").json()["sentences"]
    assert len(paragraphs) < len(sentences)
    for paragraph, following in itertools.pairwise(paragraphs):  # each cut: a pause or a full paragraph
        pause = following["start"] - paragraph["end"]
        words = len(paragraph["words"])
        assert pause >= conversations.PARAGRAPH_PAUSE_MS or words >= conversations.PARAGRAPH_WORDS


@pytest.mark.parametrize(("name", "first"), [("support-call", "B"), ("team-meeting", "D"), ("clip-es", "A")])
def test_speaker_letters_go_by_voice_pitch_not_first_appearance(emulator, name, first):
    done = wait(emulator, submit(emulator, audio_url=f"https://example.com/{name}.mp3", speaker_labels=True)["id"])
    letters = list(dict.fromkeys(u["speaker"] for u in done["utterances"]))
    assert letters[0] == first
    assert sorted(letters) == [chr(ord("A") + n) for n in range(len(letters))]  # A, B... all used
