"""Recording and replaying a notebook's HTTP calls with vcrpy, along vcrpy's own seams.

One cassette per notebook, ``data/cassettes/<slug>.yaml``. :mod:`.filters` decides what a recording
may hold (scrubbing), :mod:`.matchers` when a request is a recorded one, :mod:`.errors` what replay
says when it cannot answer, and :mod:`.cassette` opens a recording for replay or for recording.
Importing this package does not import vcrpy; opening a recording does. WebSocket sessions, which
vcrpy does not see, are recorded and replayed by :mod:`.streams` (imported on its own, by the
streaming notebooks' setup cells and ``tools/record.py``).
"""

from .cassette import Recording, provenance, read_provenance
from .errors import missing_request_message
from .filters import (
    REDACTED,
    Scrubber,
    normalise_url,
    scrub_text,
    scrub_url,
    upload_placeholder,
)
from .matchers import MATCH_ON, distance

__all__ = [
    "MATCH_ON",
    "REDACTED",
    "Recording",
    "Scrubber",
    "distance",
    "missing_request_message",
    "normalise_url",
    "provenance",
    "read_provenance",
    "scrub_text",
    "scrub_url",
    "upload_placeholder",
]
