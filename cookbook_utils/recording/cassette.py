"""The cassette: one notebook's recording, ``data/cassettes/<slug>.yaml``, opened for replay or for
recording.

Replay behaves as the API does when a reader re-runs cells in one kernel: the recorded responses to
a request play in order, and once they are used up the last one answers again (a finished
transcript keeps answering ``completed``; the same uploaded bytes get the same upload URL), and a
submission's recorded webhook deliveries are made again to the notebook's receiver (:mod:`.webhooks`). A
request about a transcript or upload that an earlier cell creates fails until that cell has run,
naming the step; a request the recording does not hold fails naming the closest recorded one.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import CookbookError
from ..yamlio import load_yaml
from . import webhooks
from .errors import missing_request_error_class, step_order_message
from .filters import Scrubber, body_bytes, map_json_strings
from .matchers import MATCH_ON, distance, register


def read_provenance(path: Path) -> dict:
    """The ``provenance`` block of a cassette's metadata (empty when it has none)."""

    data = load_yaml(path.read_text()) or {}
    return (data.get("metadata") or {}).get("provenance") or {}


def provenance(slug: str, source: str) -> dict:
    """Where and when a recording was made."""
    import assemblyai

    return {
        "notebook": slug,
        "source": source,
        "recorded_on": dt.date.today().isoformat(),
        "sdk_version": assemblyai.__version__,
    }


def _json(data) -> object:
    try:
        return json.loads(body_bytes(data) or b"")
    except (ValueError, TypeError):
        return None


def _strings(value) -> set[str]:
    found: set[str] = set()
    map_json_strings(value, lambda s: found.add(s) or s)
    return found


def _running_cell() -> str | None:
    """The source of the notebook cell running now (None outside IPython): IPython stores a cell's
    input in its history before running it."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return history[-1] if history else None


def _heading_before(cells: list[dict], source: str) -> str | None:
    """The ``## `` heading of the section holding the code cell whose source is ``source``."""
    heading = None
    for cell in cells:
        text = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            for line in text.splitlines():
                if line.startswith("## "):
                    heading = line[3:].strip()
        elif cell.get("cell_type") == "code" and text.strip() == source.strip():
            return heading
    return None


def steps_of(slug: str, sources: list[str | None]) -> list[str | None]:
    """The notebook step (its ``## `` heading) of the cell behind each interaction."""
    from .. import paths

    try:
        cells = json.loads(paths.notebook_path(slug).read_text())["cells"]
    except Exception:  # no notebook of that name (a cassette opened outside the cookbook)
        return [None] * len(sources)
    return [_heading_before(cells, source) if source is not None else None for source in sources]


@functools.cache
def replay_cassette_class() -> type:
    """The cassette class, built on first use so that vcrpy is imported only when one is opened."""
    from vcr.cassette import Cassette
    from vcr.record_mode import RecordMode

    class ReplayCassette(Cassette):
        """vcrpy's cassette, replaying as the API answers a reader who re-runs cells."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.cells: list[str | None] = []  # while recording: the cell behind each interaction
            self.creators: dict[str, int] = {}  # id or upload URL -> interaction that created it
            self.upload_aliases: dict[str, str] = {}  # recorded upload URL -> the hash of its bytes

        # --- recording ---
        def append(self, request, response):
            before = len(self.data)
            super().append(request, response)
            if len(self.data) > before:
                self.cells.append(_running_cell())

        # --- replay ---
        def _load(self):
            super()._load()
            for index, (request, response) in enumerate(self.data):
                payload = _json(response.get("body", {}).get("string"))
                if request.method != "POST" or not isinstance(payload, dict):
                    continue
                for key in ("id", "upload_url"):
                    if isinstance(payload.get(key), str):
                        self.creators.setdefault(payload[key], index)
                if isinstance(payload.get("upload_url"), str) and isinstance(request.body, bytes):
                    self.upload_aliases[payload["upload_url"]] = "upload of " + request.body.decode()

        def _canonical(self, request):
            """The request with every recorded upload URL in its body replaced by the hash of the
            bytes uploaded: the same audio uploaded again (a new URL live) is the same request."""
            if not self.upload_aliases or not request.body:
                return request
            payload = _json(request.body)
            if payload is None:
                return request
            from vcr.request import Request

            aliased = map_json_strings(payload, lambda s: self.upload_aliases.get(s, s))
            if aliased == payload:
                return request
            body = json.dumps(aliased, ensure_ascii=False, separators=(",", ":")).encode()
            return Request(request.method, request.uri, body, dict(request.headers))

        def _responses(self, request):
            from vcr.matchers import requests_match

            request = self._before_record_request(request)
            if not request:
                return
            request = self._canonical(request)
            for index, (stored, response) in enumerate(self.data):
                if requests_match(request, self._canonical(stored), self._match_on):
                    yield index, response

        def _matches(self, request) -> list[int]:
            return [index for index, _ in self._responses(request)]

        def _check_order(self, request, filtered, matches: list[int]) -> None:
            """Raise a CookbookError for a request about something whose creating cell has not run."""
            mentioned = set(urlsplit(filtered.uri).path.split("/")) | _strings(_json(filtered.body))
            for name in sorted(mentioned & self.creators.keys()):
                index = self.creators[name]
                if self.play_counts[index] == 0 and index not in matches:
                    steps = self._metadata.get("steps") or []
                    step = steps[index] if index < len(steps) else None
                    what = f"upload {name}" if name.startswith("http") else f"id {name}"
                    creator = self.data[index][0]
                    slug = Path(self._path).stem
                    raise CookbookError(step_order_message(slug, filtered, what, creator, step))

        def can_play_response_for(self, request):
            if self.record_mode == RecordMode.ALL:
                return False  # recording: every request goes to the server
            filtered = self._before_record_request(request)
            if not filtered:
                return False  # traffic that is never recorded (loopback servers) runs for real
            matches = self._matches(request)
            self._check_order(request, filtered, matches)
            if matches:
                return True
            raise missing_request_error_class()(cassette=self, failed_request=request)

        def __contains__(self, request):
            return bool(self._matches(request))

        def play_response(self, request):
            """The recorded responses to a request play in order. Once all have played, a read (GET)
            gets the last one again, as a finished transcript keeps answering ``completed``; any
            other request starts the sequence over, so cells re-run in order (each sending the same
            upload or submission as another cell did) get the answers they got before."""
            matches = self._matches(request)
            if not matches:
                return super().play_response(request)  # raises vcrpy's UnhandledHTTPRequestError
            if request.method in ("GET", "HEAD"):
                index = next((i for i in matches if self.play_counts[i] == 0), matches[-1])
            else:
                index = min(matches, key=lambda i: (self.play_counts[i], i))
            if self.play_counts[index] == 0 and index < self._loaded_count:
                self._played_interactions.append((self.data[index][0], self.data[index][1]))
            self.play_counts[index] += 1
            response = self.data[index][1]
            due = webhooks.due(self._metadata.get(webhooks.KEY), request.body, response.get("body", {}).get("string"))
            webhooks.deliver(request.body, due)  # the API's calls to the notebook's receiver, once more
            return response

        def find_requests_with_most_matches(self, request):
            """The recorded requests closest to ``request``, closest first (by :func:`distance`),
            as vcrpy's ``(request, succeeded, failed)`` tuples."""
            from vcr.matchers import get_matchers_results

            request = self._before_record_request(request)
            if not request or not self.data:
                return []
            request = self._canonical(request)
            stored = [self._canonical(r) for r, _ in self.data]
            ranked = sorted(range(len(self.data)), key=lambda i: (distance(request, stored[i]), i))
            results = []
            for index in ranked[:3]:
                succeeded, failed = get_matchers_results(request, stored[index], self._match_on)
                results.append((self.data[index][0], succeeded, failed))
            return results

    return ReplayCassette


#: Binary response bodies (spoken audio), and server-sent event streams (spoken audio in base64), at
#: least this long are kept beside the cassette, not in it.
BESIDE_BYTES = 1024
#: Where, relative to the cassette's folder: ``bodies/<sha256>.bin``, shared by every cassette.
BODIES = "bodies"


def _is_binary(body: object) -> bool:
    if not isinstance(body, bytes) or len(body) < BESIDE_BYTES:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _is_event_stream(response: dict) -> bool:
    """Server-sent events (text-to-speech's ``/v1/speech/events``: audio as base64 in JSON lines)."""
    headers = {name.lower(): values for name, values in (response.get("headers") or {}).items()}
    return any(str(v).startswith("text/event-stream") for v in headers.get("content-type", []))


def _kept_beside(response: dict) -> bool:
    data = response.get("body", {}).get("string")
    if isinstance(data, str):
        data = data.encode("utf-8")
    big_stream = isinstance(data, bytes) and len(data) >= BESIDE_BYTES and _is_event_stream(response)
    return _is_binary(data) or big_stream


def beside_persister() -> type:
    """vcrpy's file persister, keeping each binary response body (the audio text to speech answers,
    raw or as an event stream) in ``bodies/<sha256>.bin`` beside the cassette, named by its hash, and
    only a reference to it in the YAML: the recording stays small and readable, and the same audio is
    stored once."""
    import hashlib

    from vcr.persisters.filesystem import FilesystemPersister

    class BesidePersister(FilesystemPersister):
        @classmethod
        def load_cassette(cls, cassette_path, serializer):
            loaded = FilesystemPersister.load_cassette(cassette_path, serializer)  # requests, responses[, metadata]
            folder = Path(cassette_path).parent
            responses = loaded[1]
            for response in responses:
                body = response.get("body", {})
                if "file" in body:
                    data = (folder / body["file"]).read_bytes()
                    if hashlib.sha256(data).hexdigest() != body["sha256"]:
                        raise ValueError(f"{folder / body['file']} is not the body {cassette_path} recorded")
                    response["body"] = {"string": data}
            return loaded

        @staticmethod
        def save_cassette(cassette_path, cassette_dict, serializer):
            folder = Path(cassette_path).parent / BODIES
            responses = []
            for response in cassette_dict["responses"]:
                data = response.get("body", {}).get("string")
                if _kept_beside(response):
                    data = data.encode("utf-8") if isinstance(data, str) else data
                    digest = hashlib.sha256(data).hexdigest()
                    folder.mkdir(parents=True, exist_ok=True)
                    if not (folder / f"{digest}.bin").exists():
                        (folder / f"{digest}.bin").write_bytes(data)
                    body = {"file": f"{BODIES}/{digest}.bin", "sha256": digest, "bytes": len(data)}
                    response = {**response, "body": body}
                responses.append(response)
            FilesystemPersister.save_cassette(cassette_path, {**cassette_dict, "responses": responses}, serializer)

    return BesidePersister


def prune_bodies(folder: Path) -> list[Path]:
    """Remove the bodies in ``folder/bodies`` that no recording in ``folder`` names any more (one being
    written, kept or rejected counts: a cassette, ``*.yaml``, or a streaming fixture, ``*.json``); the
    files removed."""
    bodies = folder / BODIES
    if not bodies.is_dir():
        return []
    named = set()
    for recording in [*folder.glob("*.yaml"), *folder.glob("*.json")]:
        text = recording.read_text(encoding="utf-8")
        named.update(re.findall(rf"""file"?: "?({BODIES}/[0-9a-f]{{64}}\.bin)""", text))
    removed = [p for p in bodies.iterdir() if f"{BODIES}/{p.name}" not in named]
    for path in removed:
        path.unlink()
    return removed


class Recording:
    """One notebook's cassette, opened for replay or for recording."""

    def __init__(self, path: Path, *, record: bool, scrubber: Scrubber, source: str | None = None):
        import vcr

        self.path = Path(path)
        self.record = record
        # A recording is written beside the old one and moved into place only when it is
        # complete, so a failed run never destroys the previous recording.
        self._write_path = self.path.with_suffix(".recording.yaml") if record else self.path
        if record and self._write_path.exists():
            self._write_path.unlink()
        recorder = vcr.VCR(
            record_mode="all" if record else "none",
            match_on=MATCH_ON,
            before_record_request=scrubber.request,
            before_record_response=scrubber.response,
            decode_compressed_response=True,
        )
        register(recorder)
        recorder.register_persister(beside_persister())
        config = recorder.get_merged_config(path=str(self._write_path))
        self._context = replay_cassette_class().use(**config)
        self.cassette = self._context.__enter__()
        if record:
            self.cassette.get_metadata("provenance", provenance(self.path.stem, source or "unknown"))
        self._open = True

    def close(self) -> Path | None:
        """Stop intercepting; when recording, save and move the cassette into place."""
        if not self._open:
            return None
        self._open = False
        if self.record and any(n is not None for n in self.cassette.cells):
            steps = steps_of(self.path.stem, self.cassette.cells)
            if any(steps):
                self.cassette.get_metadata("steps", steps)
        self._context.__exit__(None, None, None)
        if self.record:
            if not self._write_path.exists():  # nothing was sent: an empty recording
                self._write_path.write_text("interactions: []\nversion: 1\n")
            self._write_path.replace(self.path)
            return self.path
        return None
