"""Scrubbing: what a recording may hold of a request or a response.

Before anything is stored (and before a request is matched), it passes through
:meth:`Scrubber.request`: headers are cut down to a safe few, secrets and signatures are replaced
with ``REDACTED``, uploaded bytes become a hash, and a loopback server standing in for the API
(the emulator) is renamed to the real host.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..config import host_for_path
from ..network import is_loopback

REDACTED = "REDACTED"

#: Query parameters whose values are credentials (presigned URLs of S3, GCS, Azure, ...).
SECRET_QUERY_PARAMS = frozenset(
    {
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "signature",
        "awsaccesskeyid",
        "x-goog-signature",
        "x-goog-credential",
        "sig",
        "token",
        "api_key",
        "key",
    }
)
#: Query parameters that change on every run and are ignored when matching.
VOLATILE_QUERY_PARAMS = frozenset(
    {"x-amz-date", "x-amz-expires", "expires", "x-goog-date", "x-goog-expires", "st", "se"}
)

#: Query parameters that stamp a URL with the time it was made (a recording stores them blanked).
STAMP_QUERY_PARAMS = frozenset({"x-amz-date", "x-goog-date", "expires", "st", "se"})

#: How a loopback address (a local S3, a local media server) appears once normalised: its port
#: is chosen afresh on every run, so matching ignores it.
LOOPBACK_NETLOC = "127.0.0.1"

#: Request and response headers kept in a recording; every other header is dropped. ``retry-after``
#: is how long a 429 asks to wait: code that honours it (common-errors) needs it in replay too.
KEPT_HEADERS = frozenset({"content-type", "retry-after"})
#: Response headers kept by prefix: text to speech describes its audio in ``X-TTS-*`` headers (voice,
#: format, billed characters, duration), which the SDK reads into its response. None holds a secret.
KEPT_RESPONSE_PREFIXES = ("x-tts-",)

#: Text that looks like a credential wherever it appears.
SECRET_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),  # OpenAI keys
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),  # Hugging Face tokens
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
]

#: JSON body fields that hold a secret whatever it looks like: the header a webhook receiver checks.
SECRET_FIELDS = frozenset({"webhook_auth_header_value"})

UPLOAD_PLACEHOLDER = re.compile(rb"^sha256:[0-9a-f]{64} \(\d+ bytes\)$")


def scrub_text(text: str, secrets: Iterable[str] = (), *, stable: bool = False) -> str:
    """Replace known secret values and anything shaped like a credential with ``REDACTED``.

    With ``stable``, URLs are also stored as :func:`stable_url` writes them (what a recording holds)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _URL_IN_TEXT.sub(lambda m: (stable_url if stable else scrub_url)(m.group(0)), text)


_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>\\]+")


def stable_url(url: str) -> str:
    """A URL as a recording stores it: credentials blanked, and what changes on every run blanked or
    dropped (the time stamps of a presigned URL, the port of a loopback server), so that recording
    the same requests twice stores the same bytes. Matching ignores both anyway."""
    parts = urlsplit(scrub_url(url))
    if is_loopback(parts.hostname):
        parts = parts._replace(netloc=LOOPBACK_NETLOC)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(name.lower() in STAMP_QUERY_PARAMS for name, _ in pairs):
        cleaned = [(n, REDACTED if n.lower() in STAMP_QUERY_PARAMS else v) for n, v in pairs]
        parts = parts._replace(query=urlencode(cleaned, safe="/:"))
    return urlunsplit(parts)


def scrub_url(url: str) -> str:
    """Blank the credential parameters of a URL (presigned links), keeping the rest."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() in SECRET_QUERY_PARAMS for name, _ in pairs):
        return url
    cleaned = [(n, REDACTED if n.lower() in SECRET_QUERY_PARAMS else v) for n, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(cleaned, safe="/:")))


def normalise_url(url: str) -> str:
    """A URL with credentials blanked and run-to-run values removed: dates, expiry times, and the
    port of a loopback server."""
    parts = urlsplit(scrub_url(url))
    pairs = [
        (n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True) if n.lower() not in VOLATILE_QUERY_PARAMS
    ]
    if is_loopback(parts.hostname):
        parts = parts._replace(netloc=LOOPBACK_NETLOC)
    return urlunsplit(parts._replace(query=urlencode(sorted(pairs), safe="/:")))


def map_json_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """Apply ``fn`` to every string inside a parsed JSON value."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_json_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: map_json_strings(v, fn) for k, v in value.items()}
    return value


def upload_placeholder(data: bytes) -> bytes:
    """What a recording stores instead of uploaded bytes: their hash and size."""
    return f"sha256:{hashlib.sha256(data).hexdigest()} ({len(data)} bytes)".encode()


def _is_upload(path: str, content_type: str, body: bytes) -> bool:
    if UPLOAD_PLACEHOLDER.match(body):
        return False
    if path.endswith("/v2/upload") or content_type.startswith(("application/octet-stream", "audio/", "video/")):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def body_bytes(body: Any) -> bytes | None:
    """A request body as bytes, whether it came as bytes, text or a file object (``requests``
    streams files it is given)."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if hasattr(body, "getvalue"):  # BytesIO: read without moving the stream the request will send
        data = body.getvalue()
    elif hasattr(body, "read") and hasattr(body, "seek"):
        position = body.tell()
        data = body.read()
        body.seek(position)
    else:
        return bytes(body)
    return data.encode() if isinstance(data, str) else data


#: The first line of a multipart body as a recording holds it (:func:`scrub_multipart`).
MULTIPART_HEAD = b"multipart/form-data, as recorded (boundary removed, files as hashes)\n"


def scrub_multipart(body: bytes, content_type: str, secrets: Iterable[str]) -> bytes:
    """A ``multipart/form-data`` body (sync transcription, dictation) as a recording holds it: each
    part by name, its text parts scrubbed and its files as :func:`upload_placeholder`, without the
    boundary, which the client picks at random for every request (so the same request matches)."""
    if body.startswith(MULTIPART_HEAD):
        return body
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        raise ValueError(f"a multipart body without a boundary in its content type ({content_type!r})")
    lines = [MULTIPART_HEAD.rstrip(b"\n")]
    for chunk in body.split(b"--" + found[1].encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (h.decode("utf-8").partition(":") for h in head.split(b"\r\n"))
        )
        name = re.search(r'\bname="([^"]*)"', headers.get("content-disposition", ""))
        filename = re.search(r'\bfilename="([^"]*)"', headers.get("content-disposition", ""))
        kind = headers.get("content-type", "text/plain")
        label = f"part {name[1] if name else '?'}" + (f", file {filename[1]}" if filename else "") + f" ({kind})"
        lines.append(label.encode())
        lines.append(scrub_body(content, "application/octet-stream" if filename else kind, "", secrets) or b"")
    return b"\n".join(lines) + b"\n"


def scrub_body(body: Any, content_type: str, path: str, secrets: Iterable[str]) -> bytes | None:
    body = body_bytes(body)
    if not body:
        return body
    if content_type.startswith("multipart/form-data") or body.startswith(MULTIPART_HEAD):
        return scrub_multipart(body, content_type, secrets)
    if _is_upload(path, content_type, body):
        return upload_placeholder(body)
    text = body.decode("utf-8")
    if "json" in content_type or text[:1] in "{[":
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            scrubbed = map_json_strings(parsed, lambda s: scrub_text(s, secrets, stable=True))
            if isinstance(scrubbed, dict):  # a secret by its field's name, whatever its value
                scrubbed = {k: REDACTED if k in SECRET_FIELDS and v else v for k, v in scrubbed.items()}
            return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")).encode()
    return scrub_text(text, secrets, stable=True).encode()


def _header(headers: dict, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


@dataclass
class Scrubber:
    """Turns live requests and responses into what a recording may hold.

    ``secrets`` are literal values to blank wherever they appear (the API key, AWS keys...);
    ``stand_in`` is the ``host:port`` of a loopback server that answered for the real API and LLM
    Gateway (told apart by path: ``config.HOSTS_BY_PATH``), and ``eu_stand_in`` the one that answered
    for their EU hosts; ``hosts`` maps the ``host:port`` of a server that answered for one host only
    (sync, dictation, text-to-speech) to that host.
    """

    secrets: list[str] = field(default_factory=list)
    stand_in: str | None = None
    eu_stand_in: str | None = None
    hosts: dict[str, str] = field(default_factory=dict)

    def is_recorded(self, request) -> bool:
        """Loopback traffic (a local S3, a local media server) runs for real and is not
        recorded; only the API's hosts, or the stand-in for them, are."""
        host = urlsplit(request.uri).netloc
        if host and (host in (self.stand_in, self.eu_stand_in) or host in self.hosts):
            return True
        return not is_loopback(urlsplit(request.uri).hostname)

    def real_uri(self, uri: str) -> str:
        """The URI with the stand-in's address replaced by the real host it answered for."""
        parts = urlsplit(uri)
        if not parts.netloc:
            return uri
        if parts.netloc == self.eu_stand_in:
            host = host_for_path(parts.path, "eu")
        elif parts.netloc == self.stand_in:
            host = host_for_path(parts.path, "us")
        elif parts.netloc in self.hosts:
            host = self.hosts[parts.netloc]
        else:
            return uri
        return urlunsplit(parts._replace(scheme="https", netloc=host))

    def request(self, request):
        """A scrubbed copy of a vcrpy request, or ``None`` for traffic that is not recorded."""
        if not self.is_recorded(request):
            return None
        from vcr.request import Request

        uri = stable_url(self.real_uri(request.uri))
        content_type = _header(request.headers, "content-type")
        headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS}
        if content_type.startswith("multipart/form-data"):  # its boundary changes with every request
            headers = {k: ("multipart/form-data" if k.lower() == "content-type" else v) for k, v in headers.items()}
        body = scrub_body(request.body, content_type, urlsplit(uri).path, self.secrets)
        return Request(request.method, uri, body, headers)  # a new request: bytes, never a file

    def response(self, response: dict) -> dict:
        """A scrubbed copy of a vcrpy response dict."""
        response = copy.deepcopy(response)
        headers = response.get("headers", {})
        response["headers"] = {
            k: v
            for k, v in headers.items()
            if k.lower() in KEPT_HEADERS or k.lower().startswith(KEPT_RESPONSE_PREFIXES)
        }
        body = response.get("body", {}).get("string")
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                pass  # media bytes (a downloaded file) hold no text secrets
            else:
                response["body"]["string"] = scrub_text(_without_token(text), self.secrets, stable=True).encode()
        return response


#: Top-level fields of a JSON answer that hold a credential the API has just issued (the temporary token
#: of ``GET /v3/token`` and the Voice Agent's ``GET /v1/token``): a recording keeps them as ``REDACTED``.
ISSUED_SECRET_FIELDS = ("token",)


def _without_token(text: str) -> str:
    """A JSON object's issued credentials (:data:`ISSUED_SECRET_FIELDS`) blanked; other text as it is."""
    if not text.startswith("{"):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    found = [name for name in ISSUED_SECRET_FIELDS if isinstance(parsed.get(name), str)]
    if not found:
        return text
    return json.dumps({k: (REDACTED if k in found else v) for k, v in parsed.items()}, separators=(",", ":"))
