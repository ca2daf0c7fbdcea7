"""Webhook deliveries in a recording: kept when recording against the emulator, made again in replay.

A webhook is the API calling the notebook, so the cassette's requests do not hold it. Recording
against the local emulator, ``tools/record.py`` adds every POST the emulator's deliveries made
(retries included) to the cassette's metadata under ``webhooks``, by :func:`add_to_cassette`: the
transcript id and status, the attempt, the auth header's *name* (its value is never kept), the body
and the receiver's answer. In replay, once the cassette has answered the submission whose response
carries that transcript id, :func:`deliver` POSTs the same attempts, in order, to the
``webhook_url`` of the submission the notebook sent *now* (its receiver's current address), with the
auth header the notebook sent now: the receiver sees what it saw while recording.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

#: The metadata key of the deliveries in a cassette.
KEY = "webhooks"
#: Replay: the pause before the first attempt (so the submission's answer reaches the client
#: first) and between attempts, and how long one attempt waits for the receiver's answer.
FIRST_PAUSE_S = 0.05
RETRY_PAUSE_S = 0.2
TIMEOUT_S = 10.0


def kept(attempts: list[dict]) -> list[dict]:
    """The emulator's delivery attempts as a cassette keeps them: no header value, ever."""
    fields = ("transcript_id", "status", "attempt", "header", "body", "code")
    return [{name: attempt.get(name) for name in fields} for attempt in attempts]


def add_to_cassette(path: Path, attempts: list[dict]) -> int:
    """Add the delivery ``attempts`` to the cassette at ``path`` (its metadata ``webhooks``);
    the number added. A cassette with none is left as it is."""
    if not attempts:
        return 0
    from vcr.serializers import yamlserializer

    from .cassette import beside_persister

    persister = beside_persister()
    requests, responses, *metadata = persister.load_cassette(str(path), yamlserializer)
    meta = {**(metadata[0] if metadata else {}), KEY: kept(attempts)}
    persister.save_cassette(str(path), {"requests": requests, "responses": responses, "metadata": meta}, yamlserializer)
    return len(attempts)


def _json(body) -> dict:
    if isinstance(body, str):
        body = body.encode()
    try:
        value = json.loads(body or b"")
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def due(deliveries: list[dict], request_body, response_body) -> list[dict]:
    """The recorded attempts a replayed answer sets off: those of the transcript whose id the
    answer carries, when the request (a submission) sent a ``webhook_url``."""
    if not deliveries or not _json(request_body).get("webhook_url"):
        return []
    transcript_id = _json(response_body).get("id")
    return [d for d in deliveries if transcript_id and d.get("transcript_id") == transcript_id]


def post(url: str, attempt: dict, headers: dict[str, str], timeout_s: float = TIMEOUT_S) -> int | None:
    """POST one recorded attempt's body to ``url``; the receiver's status (None: no answer)."""
    request = urllib.request.Request(
        url,
        data=attempt["body"].encode(),
        headers={"content-type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def deliver(request_body, attempts: list[dict], *, wait: bool = False) -> threading.Thread | None:
    """Make the recorded ``attempts`` again, in a thread (joined when ``wait``), to the webhook of
    the submission ``request_body`` the notebook sent now, with the auth header it sent now."""
    sent = _json(request_body)
    if not attempts or not sent.get("webhook_url"):
        return None
    headers = {}
    if sent.get("webhook_auth_header_name"):
        headers[sent["webhook_auth_header_name"]] = sent.get("webhook_auth_header_value") or ""

    def run() -> None:
        time.sleep(FIRST_PAUSE_S)
        for index, attempt in enumerate(attempts):
            if index:
                time.sleep(RETRY_PAUSE_S)
            post(sent["webhook_url"], attempt, headers)

    thread = threading.Thread(target=run, daemon=True, name="replayed-webhook")
    thread.start()
    if wait:
        thread.join()
    return thread
