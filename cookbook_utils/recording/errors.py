"""What replay says when it cannot answer: a request the recording does not hold (re-record), or a
request that needs an earlier cell to run first (run that step; nothing needs re-recording).

Both are raised by the replay cassette itself (:mod:`.cassette`) as it decides whether it can play a
request, vcrpy's own extension point, so none of vcrpy's modules is patched.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..config import RECORD_COMMAND, RECORD_EMULATOR_COMMAND
from ..errors import CookbookError
from .matchers import normalised_body, preview


@functools.cache
def missing_request_error_class() -> type[Exception]:
    """:class:`RecordingMissingError`, built on first use: it subclasses vcrpy's own exception, and
    vcrpy is imported only when a recording is opened."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    class RecordingMissingError(CannotOverwriteExistingCassetteException, CookbookError):
        """A notebook in replay mode sent a request its recording does not hold."""

        def __init__(self, *args, **kwargs):
            cassette, request = kwargs["cassette"], kwargs["failed_request"]
            self.cassette, self.failed_request = cassette, request
            self.similar_requests = cassette.find_requests_with_most_matches(request)
            self.reason = "no_match" if self.similar_requests else "nothing_similar"
            Exception.__init__(self, missing_request_message(cassette, request, self.similar_requests))

    return RecordingMissingError


def missing_request_message(cassette, request, similar_requests) -> str:
    """Explain a replay miss: which notebook, which request, the closest recorded one and how it
    differs, and how to re-record."""
    slug = Path(cassette._path).stem
    sent = cassette.filter_request(request) or request
    body = normalised_body(sent.body)
    lines = [
        f"Notebook {slug!r} sent a request that its recording does not hold:",
        f"  {request.method} {sent.uri}",
    ]
    if body is not None:
        lines.append(f"  body: {preview(body, 400)}")
    if similar_requests:
        closest, _ok, failed = similar_requests[0]
        lines.append(f"Closest recorded request: {closest.method} {closest.uri}")
        lines += [f"  differs in {name}: {message}" for name, message in failed]
    lines += [
        f"Recording: {cassette._path}",
        "If the notebook changed on purpose, re-record it: "
        f"`{RECORD_COMMAND.format(slug=slug)}` with ASSEMBLYAI_API_KEY set, "
        f"or `{RECORD_EMULATOR_COMMAND.format(slug=slug)}` against the local emulator.",
    ]
    return "\n".join(lines)


def step_order_message(slug: str, request, what: str, creator, step: str | None) -> str:
    """Explain a request that came before the cell it depends on."""
    path = creator.uri.split("://", 1)[-1].split("/", 1)[-1]
    cell = f"the cell that sends {creator.method} /{path}"
    first = f"{step!r} ({cell})" if step else cell
    return (
        f"Notebook {slug!r} sent {request.method} {request.uri}, about {what}, before the cell that "
        f"creates it has run since setup. Run {first} first, or run the notebook from the top "
        "(Run All). The recording is fine: nothing needs re-recording."
    )
