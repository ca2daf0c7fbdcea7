"""How a notebook shows an uncaught LLM Gateway error (``cookbook_utils.session``): status, message,
causes, request id, the notebook line and what to do, in a few lines and without a traceback. The
bodies are the real ones a free-credit account got on 2026-09-24
(../shared/real-responses/probes/live-2026-09-24-smoke.json), as the SDK parses them."""

from __future__ import annotations

import sys

import httpx
import pytest
from assemblyai.llm_gateway.v1.api import _error_from_response
from assemblyai.types import LLMGatewayError

from cookbook_utils import session
from cookbook_utils.session import LINE_WIDTH, gateway_error_lines, short_gateway_traceback

REQUEST_ID = "5b0c6c1e-3f7d-4a59-9b61-0c2f7d1e2a90"
NO_ACCESS = {
    "message": "invalid request body",
    "code": 400,
    "request_id": REQUEST_ID,
    "metadata": {"errors": ["Your account does not have access to this LLM Gateway model"]},
}
RATE_LIMITED = {"request_id": REQUEST_ID, "message": "too many requests for this action", "code": 429}
BAD_KEY = {"error": "Authentication error, API token missing/invalid", "status": "error", "request_id": REQUEST_ID}
UNSUPPORTED = {
    "message": "invalid request body",
    "code": 400,
    "request_id": REQUEST_ID,
    "metadata": {"errors": ["model qwen3.5-4b-32k-fast does not support response_format", "a second cause"]},
}


def _error(status: int, body: dict, headers: dict | None = None) -> LLMGatewayError:
    """The error the SDK raises for this answer (its own parser, so the test follows the SDK)."""
    return _error_from_response(httpx.Response(status, json=body, headers=headers or {}))


def test_the_model_access_400_names_its_cause_and_says_to_pick_a_model_or_upgrade():
    lines = gateway_error_lines(_error(400, NO_ACCESS), "Raised in this cell, line 2: reply = ask()")
    assert lines[0] == (
        "LLMGatewayError (400): invalid request body: Your account does not have access to this LLM Gateway model"
    )
    assert lines[1] == f"Request id: {REQUEST_ID}"
    assert lines[2] == "Raised in this cell, line 2: reply = ask()"
    advice = " ".join(lines[3:])
    assert advice.startswith("What to do: ")
    for words in ("LLM_MODEL", "models.list()", "GET /v1/models", "dashboard", "upgrade"):
        assert words in advice, words
    assert all(len(line) <= LINE_WIDTH for line in lines[3:])


def test_the_429_says_to_wait_a_minute_since_the_sdk_keeps_no_retry_after():
    error = _error(429, RATE_LIMITED, {"retry-after": "56"})
    assert not hasattr(error, "retry_after")  # SDK 1.8.2: if this fails, advise the header's seconds instead
    lines = gateway_error_lines(error)
    assert lines[0] == "LLMGatewayError (429): too many requests for this action"
    advice = " ".join(lines[2:])
    assert "Wait a minute" in advice and "retry-after" in advice and "LLM_MODEL" not in advice


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (401, BAD_KEY, "Check ASSEMBLYAI_API_KEY"),
        (400, UNSUPPORTED, "the cause above says what to change"),
        (503, {"message": "service unavailable", "code": 503}, "run the cell again in a moment"),
    ],
)
def test_other_errors_get_the_general_advice_for_their_status(status, body, says):
    lines = gateway_error_lines(_error(status, body))
    assert says in " ".join(lines) and "LLM_MODEL" not in " ".join(lines)
    if body is UNSUPPORTED:  # every cause, in order
        assert lines[0].endswith(": model qwen3.5-4b-32k-fast does not support response_format; a second cause")
    if "request_id" not in body:
        assert not any(line.startswith("Request id") for line in lines)


def test_an_error_without_causes_or_status_still_reads_well():
    lines = gateway_error_lines(LLMGatewayError("LLM Gateway request failed with status 502"))
    assert lines[0] == "LLMGatewayError (None): LLM Gateway request failed with status 502"
    assert lines[1].startswith("What to do: The request was refused")


class FakeShell:
    """What IPython's custom-exception hook is handed: only ``_showtraceback`` is used."""

    def __init__(self):
        self.shown: list[tuple] = []

    def _showtraceback(self, etype, value, lines):
        self.shown.append((etype, value, lines))


def test_the_handler_shows_the_lines_and_the_notebook_line_that_raised(monkeypatch):
    monkeypatch.setattr(session, "_error_cell_line", lambda tb: (3, "reply = gateway.chat.completions.create(...)"))
    error = _error(400, NO_ACCESS)
    try:
        raise error
    except LLMGatewayError:
        tb = sys.exc_info()[2]
    shell = FakeShell()
    lines = session._show_short(shell, LLMGatewayError, error, tb)
    ((etype, value, shown),) = shell.shown
    assert etype is LLMGatewayError and value is error and shown == lines
    assert shown[0].startswith("\x1b[0;31mLLMGatewayError\x1b[0m (400): invalid request body: Your account")
    assert shown[2] == "Raised in this cell, line 3: reply = gateway.chat.completions.create(...)"
    assert len(shown) <= 7 and not any("Traceback" in line or "----> " in line for line in shown)
    assert short_gateway_traceback(FakeShell(), LLMGatewayError, error, tb) == lines


def test_a_cookbook_error_still_gets_its_own_display():
    from cookbook_utils.errors import CookbookError

    shell = FakeShell()
    lines = session._show_short(shell, CookbookError, CookbookError("no recording"), None)
    assert lines == ["\x1b[0;31mCookbookError\x1b[0m: no recording"]


def test_a_recording_keeps_the_retry_after_of_a_429_and_drops_other_headers():
    from cookbook_utils.recording import Scrubber

    response = {
        "status": {"code": 429, "message": "Too Many Requests"},
        "headers": {"content-type": ["application/json"], "retry-after": ["56"], "x-request-id": ["r"]},
        "body": {"string": b'{"message": "too many requests for this action", "code": 429}'},
    }
    assert Scrubber().response(response)["headers"] == {"content-type": ["application/json"], "retry-after": ["56"]}
