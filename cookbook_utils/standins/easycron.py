"""A local stand-in for EasyCron, for the schedule-delete recipe in replay and tests (live, the
recipe talks to the real EasyCron with the reader's ``EASYCRON_API_KEY``). It follows the documented
v1 API (https://developer.easycron.com/docs/api/v1):

- ``POST /v1/cron-jobs`` with an ``X-API-Key`` header and a JSON body (``url`` and
  ``cron_expression`` required; ``http_method``, ``http_headers``, ``http_message_body``,
  ``cron_job_name``, ``timezone_from``, ``timezone`` optional) answers ``201 {"cron_job_id": N}``;
- ``GET /v1/cron-jobs/{id}`` answers the job (its ``http_headers`` are not echoed);
- ``DELETE /v1/cron-jobs/{id}`` removes it;
- a missing or wrong key: ``401``; a bad field: ``400``; an unknown id: ``404``, each with
  ``{"message": "..."}``.

The stand-in stores jobs; it never runs them (that is EasyCron's side of the bargain). It runs on
loopback, so it is not part of a recording: it runs in replay too, as the local S3 does.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from ..network import QuietHTTPServer, serve_in_background
from . import refuse_when_live

EASYCRON_URL = "https://api.easycron.com"
ENV_EASYCRON_KEY = "EASYCRON_API_KEY"
STAND_IN_KEY = "easycron-stand-in-key"
METHODS = {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}
FIELDS = {"url", "cron_expression", "http_method", "http_headers", "http_message_body", "cron_job_name"}
FIELDS |= {"timezone_from", "timezone", "http_auth_user", "http_auth_pw", "timeout", "status", "description"}
CRON_FIELD = re.compile(r"^[0-9*/,\-?LW#]+$")


def check_job(body: Any) -> str | None:
    """What is wrong with a job to add, or None."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return f"Unknown parameter(s): {', '.join(unknown)}."
    for name in ("url", "cron_expression"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"The parameter {name} is required."
    if len(body["url"]) > 1024:
        return "The url is longer than 1024 chars."
    parts = body["cron_expression"].split()
    if len(parts) not in (5, 6) or not all(CRON_FIELD.match(part) for part in parts):
        return f"Invalid cron expression: {body['cron_expression']!r}."
    if body.get("http_method", "GET") not in METHODS:
        return f"Invalid http_method: {body['http_method']!r}."
    if body.get("timezone_from", 1) not in (1, 2):
        return "timezone_from must be 1 or 2."
    return None


@dataclass
class EasyCron:
    """Where to send EasyCron requests: ``base_url`` and ``api_key``; ``local`` for the stand-in."""

    base_url: str
    api_key: str
    local: bool
    jobs: dict[int, dict] = field(default_factory=dict)
    _server: Any = field(default=None, repr=False)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _handler(service: EasyCron) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self, method: str) -> None:
            if self.headers.get("X-API-Key") != service.api_key:
                return self._answer(401, {"message": "Invalid API key."})
            match = re.fullmatch(r"/v1/cron-jobs(?:/(\d+))?", self.path.split("?")[0])
            if not match:
                return self._answer(404, {"message": "Not found."})
            job_id = int(match.group(1)) if match.group(1) else None
            if method == "POST" and job_id is None:
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                except ValueError:
                    return self._answer(400, {"message": "The request body is not valid JSON."})
                problem = check_job(body)
                if problem:
                    return self._answer(400, {"message": problem})
                with lock:
                    new_id = len(service.jobs) + 1
                    service.jobs[new_id] = {"cron_job_id": new_id, "status": 1, **body}
                return self._answer(201, {"cron_job_id": new_id})
            if job_id is None or method not in ("GET", "DELETE"):
                return self._answer(405, {"message": f"{method} is not allowed here."})
            with lock:
                job = service.jobs.get(job_id) if method == "GET" else service.jobs.pop(job_id, None)
            if job is None:
                return self._answer(404, {"message": f"Cron job {job_id} not found."})
            shown = {k: v for k, v in job.items() if k not in ("http_headers", "http_auth_pw")}
            return self._answer(200, {"cron_job": shown} if method == "GET" else {"cron_job_id": job_id})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._route("DELETE")

    return Handler


def easycron_stand_in() -> EasyCron:
    """A stand-in for EasyCron's API on 127.0.0.1 (refused in a live run: a job that EasyCron would
    run must never point at this machine, and the reader's account is the real one)."""
    refuse_when_live("a local EasyCron")
    service = EasyCron("", STAND_IN_KEY, local=True)
    server = QuietHTTPServer(("127.0.0.1", 0), _handler(service))
    serve_in_background(server, name="easycron-stand-in")
    service.base_url = f"http://127.0.0.1:{server.server_port}"
    service._server = server
    return service
