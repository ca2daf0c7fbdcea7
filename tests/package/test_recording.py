"""Record and replay through vcrpy: scrubbing, matching, host rewriting and the missing-request error.

A loopback HTTP server stands in for the API while recording, exactly as the emulator does; the
replay half then talks to the real host name, which must be served from the cassette alone.
"""

import hashlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests
import yaml

from cookbook_utils.errors import CookbookError
from cookbook_utils.network import serve_in_background
from cookbook_utils.recording import (
    REDACTED,
    Recording,
    Scrubber,
    distance,
    normalise_url,
    read_provenance,
    scrub_text,
    scrub_url,
    upload_placeholder,
)
from cookbook_utils.yamlio import load_yaml

# Fake credentials, assembled at run time so that no file in the project holds one literally.
KEY = "0123456789abcdef" * 2
AWS_KEY_ID = "AKIA" + "IOSFODNN7FAKEID"[:16].ljust(16, "X")
OPENAI_KEY = "sk-" + "proj-" + "abcdefghijklmnopqrstuvwxyz"
HF_TOKEN = "hf_" + "abcdefghijklmnopqrstuvwxyz123456"
PRESIGNED = (
    "https://bucket.s3.amazonaws.com/call.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=" + AWS_KEY_ID + "%2F20261125%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date={date}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}"
)
AUDIO = bytes(range(256)) * 64


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with JSON describing it, like an API would answer with data."""

    def _reply(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", f"session={KEY}")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-type", "").startswith("multipart/"):
            self._reply({"text": "heard", "size": len(data)})
        elif self.path == "/v2/upload":
            self._reply({"upload_url": "https://cdn.assemblyai.com/upload/abc", "size": len(data)})
        else:
            self._reply(
                {"id": "t1", "status": "queued", "echo": json.loads(data), "auth": self.headers["authorization"]}
            )

    def do_GET(self):
        self._reply({"id": "t1", "status": "completed", "path": self.path})

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    serve_in_background(server)
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def _transcript_body(date="20261125T101500Z", sig="a" * 64):
    return {"audio_url": PRESIGNED.format(date=date, sig=sig), "speech_models": ["universal-2"], "speaker_labels": True}


def _record(tmp_path, stand_in):
    cassette = tmp_path / "demo.yaml"
    recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")
    with httpx.Client(base_url=f"http://{stand_in}", headers={"authorization": KEY}) as client:
        upload = client.post("/v2/upload", content=AUDIO).json()
        created = client.post("/v2/transcript", json=_transcript_body()).json()
        client.get("/v2/transcript/t1")
    recording.close()
    return cassette, upload, created


def test_recording_is_scrubbed_and_names_the_real_host(tmp_path, stand_in):
    cassette, upload, created = _record(tmp_path, stand_in)
    assert created["auth"] == KEY  # the stand-in really saw the key...
    text = cassette.read_text()
    assert KEY not in text  # ...and the recording holds it nowhere
    assert "a" * 64 not in text and AWS_KEY_ID not in text
    assert "127.0.0.1" not in text and "set-cookie" not in text.lower()
    interactions = load_yaml(text)["interactions"]
    uris = [i["request"]["uri"] for i in interactions]
    assert uris == [
        "https://api.assemblyai.com/v2/upload",
        "https://api.assemblyai.com/v2/transcript",
        "https://api.assemblyai.com/v2/transcript/t1",
    ]
    assert interactions[0]["request"]["body"] == upload_placeholder(AUDIO).decode()
    assert all(set(i["request"]["headers"]) <= {"content-type", "Content-Type"} for i in interactions)
    assert read_provenance(cassette)["source"] == "emulator"
    assert read_provenance(cassette)["notebook"] == "demo"


def test_replay_serves_the_recording_without_the_network(tmp_path, stand_in):
    cassette, upload, _ = _record(tmp_path, stand_in)
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://api.assemblyai.com", headers={"authorization": "other"}) as client:
            assert client.post("/v2/upload", content=AUDIO).json() == upload
            # A fresh presigned URL: new date and signature, same object and expiry.
            replayed = client.post("/v2/transcript", json=_transcript_body("20261126T000000Z", "b" * 64)).json()
            assert replayed["status"] == "queued" and replayed["auth"] == REDACTED
            assert client.get("/v2/transcript/t1").json()["status"] == "completed"
    finally:
        recording.close()


def test_changed_request_raises_a_clear_error(tmp_path, stand_in):
    cassette, _, _ = _record(tmp_path, stand_in)
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    body = _transcript_body()
    del body["speaker_labels"]
    try:
        with httpx.Client(base_url="https://api.assemblyai.com") as client:
            with pytest.raises(CookbookError) as caught:
                client.post("/v2/transcript", json=body)
    finally:
        recording.close()
    message = str(caught.value)
    assert "Notebook 'demo' sent a request that its recording does not hold" in message
    assert "POST https://api.assemblyai.com/v2/transcript" in message
    assert "differs in body: fields speaker_labels" in message
    assert "make record NOTEBOOK=demo" in message and "make record-emulator NOTEBOOK=demo" in message


def test_other_uploaded_bytes_do_not_match(tmp_path, stand_in):
    cassette, _, _ = _record(tmp_path, stand_in)
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with pytest.raises(CookbookError, match="/v2/upload"):
            httpx.post("https://api.assemblyai.com/v2/upload", content=AUDIO[:-1])
    finally:
        recording.close()


def test_a_repeated_request_gets_the_answer_it_got_before(tmp_path, stand_in):
    """Run All twice in one kernel: every request is sent again, and replay answers as before."""
    cassette, upload, created = _record(tmp_path, stand_in)
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://api.assemblyai.com") as client:
            for _ in range(3):
                assert client.post("/v2/upload", content=AUDIO).json() == upload
                assert client.post("/v2/transcript", json=_transcript_body()).json()["id"] == created["id"]
                assert client.get("/v2/transcript/t1").json()["status"] == "completed"
    finally:
        recording.close()


class _Polled(_Echo):
    """A transcript that is processing on the first two polls, then completed."""

    polls = 0

    def do_GET(self):
        type(self).polls += 1
        self._reply({"id": "t1", "status": "processing" if self.polls <= 2 else "completed"})


@pytest.fixture
def polled_stand_in():
    _Polled.polls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Polled)
    serve_in_background(server)
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


def test_polls_play_in_order_then_a_finished_transcript_stays_finished(tmp_path, polled_stand_in):
    cassette = tmp_path / "polls.yaml"
    recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], polled_stand_in), source="emulator")
    with httpx.Client(base_url=f"http://{polled_stand_in}") as client:
        client.post("/v2/transcript", json=_transcript_body())
        recorded = [client.get("/v2/transcript/t1").json()["status"] for _ in range(3)]
    recording.close()
    assert recorded == ["processing", "processing", "completed"]
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://api.assemblyai.com") as client:
            client.post("/v2/transcript", json=_transcript_body())
            replayed = [client.get("/v2/transcript/t1").json()["status"] for _ in range(5)]
    finally:
        recording.close()
    assert replayed == ["processing", "processing", "completed", "completed", "completed"]


def test_a_request_before_the_cell_that_creates_its_id_names_the_step(tmp_path, stand_in):
    """A GET of a transcript this replay has not yet seen created: run the earlier step, no re-record."""
    cassette, _, _ = _record(tmp_path, stand_in)
    data = load_yaml(cassette.read_text())
    data["metadata"]["steps"] = [None, "Step 2: Transcribe with speaker labels", "Step 3: Read the transcript"]
    cassette.write_text(yaml.safe_dump(data))
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://api.assemblyai.com") as client:
            with pytest.raises(CookbookError, match="before the cell that creates it") as caught:
                client.get("/v2/transcript/t1")
            message = str(caught.value)
            assert "Run 'Step 2: Transcribe with speaker labels' (the cell that sends POST /v2/transcript)" in message
            assert "re-record" in message and "nothing needs re-recording" in message
            assert "make record" not in message
            # The step's request with an upload URL nobody has uploaded in this replay: the upload step first.
            with pytest.raises(CookbookError, match="the cell that sends POST /v2/upload"):
                client.post(
                    "/v2/transcript", json={**_transcript_body(), "audio_url": "https://cdn.assemblyai.com/upload/abc"}
                )
            client.post("/v2/transcript", json=_transcript_body())  # once created, it is served
            assert client.get("/v2/transcript/t1").json()["status"] == "completed"
    finally:
        recording.close()


def test_the_closest_recorded_request_is_the_one_that_differs_least(tmp_path, stand_in):
    """Two recorded submissions: one with another audio URL, one that differs only in speakers_expected."""
    cassette = tmp_path / "closest.yaml"
    recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")
    first = {**_transcript_body(), "audio_url": "https://example.com/first.mp3", "speakers_expected": 3}
    second = {**_transcript_body(), "speakers_expected": 2}
    with httpx.Client(base_url=f"http://{stand_in}") as client:
        client.post("/v2/transcript", json=first)
        client.post("/v2/transcript", json=second)
    recording.close()
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with pytest.raises(CookbookError) as caught:
            httpx.post("https://api.assemblyai.com/v2/transcript", json={**second, "speakers_expected": 4})
    finally:
        recording.close()
    message = str(caught.value)
    closest = message.split("Closest recorded request:", 1)[1]
    assert "differs in body: fields speakers_expected (2 vs 4)" in closest or "speakers_expected (4 vs 2)" in closest
    assert "audio_url" not in closest.split("Recording:")[0]


def test_distance_weighs_method_and_host_over_fields():
    from vcr.request import Request

    base = Request("POST", "https://api.assemblyai.com/v2/transcript", b'{"a": 1, "b": 2}', {})
    one_field = Request("POST", "https://api.assemblyai.com/v2/transcript", b'{"a": 1, "b": 3}', {})
    other_path = Request("POST", "https://api.assemblyai.com/v2/upload", b'{"a": 1, "b": 2}', {})
    other_method = Request("GET", "https://api.assemblyai.com/v2/transcript", b'{"a": 1, "b": 2}', {})
    assert distance(base, base) == 0
    assert 0 < distance(base, one_field) < distance(base, other_path) < distance(base, other_method)


def test_requests_library_is_replayed_too(tmp_path, stand_in):
    cassette, _, _ = _record(tmp_path, stand_in)
    recording = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        requests.post("https://api.assemblyai.com/v2/transcript", json=_transcript_body(), timeout=5)
        assert requests.get("https://api.assemblyai.com/v2/transcript/t1", timeout=5).json()["id"] == "t1"
        with pytest.raises(CookbookError, match="does not hold"):
            requests.get("https://api.assemblyai.com/v2/transcript/t2", timeout=5)
    finally:
        recording.close()


def test_other_loopback_servers_run_for_real_and_are_not_recorded(tmp_path, stand_in):
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    serve_in_background(other)
    try:
        cassette = tmp_path / "local.yaml"
        recording = Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")
        assert httpx.get(f"http://127.0.0.1:{other.server_port}/media").json()["path"] == "/media"
        recording.close()
        assert load_yaml(cassette.read_text())["interactions"] == []
        # In replay the local server is still reached for real.
        recording = Recording(cassette, record=False, scrubber=Scrubber())
        try:
            assert httpx.get(f"http://127.0.0.1:{other.server_port}/again").json()["path"] == "/again"
        finally:
            recording.close()
    finally:
        other.shutdown()


def test_failed_recording_keeps_the_previous_cassette(tmp_path, stand_in):
    cassette, _, _ = _record(tmp_path, stand_in)
    before = cassette.read_text()
    Recording(cassette, record=True, scrubber=Scrubber([KEY], stand_in), source="emulator")  # never closed
    assert cassette.read_text() == before


def test_scrub_text_patterns():
    text = f"key {OPENAI_KEY} {HF_TOKEN} {AWS_KEY_ID}"
    assert scrub_text(text) == f"key {REDACTED} {REDACTED} {REDACTED}"
    assert scrub_text(f"authorization: {KEY}", [KEY]) == f"authorization: {REDACTED}"


def test_presigned_urls_are_scrubbed_and_normalised():
    a = PRESIGNED.format(date="20261125T101500Z", sig="a" * 64)
    b = PRESIGNED.format(date="20261126T090000Z", sig="c" * 64)
    assert "a" * 64 not in scrub_url(a) and "X-Amz-Expires=3600" in scrub_url(a)
    assert normalise_url(a) == normalise_url(b)
    assert normalise_url(a) != normalise_url(a.replace("call.mp3", "other.mp3"))
    # The expiry is chosen by the notebook, and it may change without changing what is transcribed.
    assert normalise_url(a) == normalise_url(a.replace("X-Amz-Expires=3600", "X-Amz-Expires=60"))


def test_loopback_ports_are_ignored_when_matching():
    """A local S3 or media server gets a new port on every run; a public host keeps its port."""
    local = "http://127.0.0.1:{port}/bucket/call.mp3?X-Amz-Signature=abc"
    assert normalise_url(local.format(port=40001)) == normalise_url(local.format(port=51234))
    assert normalise_url("http://localhost:8000/a.mp3") == normalise_url("http://127.0.0.1:9000/a.mp3")
    assert normalise_url(local.format(port=1)) != normalise_url(local.format(port=1).replace("call", "other"))
    public = "https://example.com:{port}/a.mp3"
    assert normalise_url(public.format(port=8443)) != normalise_url(public.format(port=9443))


def test_a_recording_stores_urls_without_run_stamps_or_loopback_ports():
    """Two runs of the same notebook make presigned URLs on different ports at different times; the
    recording stores them the same way (matching ignores both)."""
    from cookbook_utils.recording.filters import stable_url

    a = "http://127.0.0.1:40001/bucket/a.mp3?X-Amz-Date=20261125T101500Z&X-Amz-Expires=3600&X-Amz-Signature=abc"
    b = "http://127.0.0.1:51234/bucket/a.mp3?X-Amz-Date=20261126T090000Z&X-Amz-Expires=3600&X-Amz-Signature=def"
    assert stable_url(a) == stable_url(b)
    assert stable_url(a) == (
        "http://127.0.0.1/bucket/a.mp3?X-Amz-Date=REDACTED&X-Amz-Expires=3600&X-Amz-Signature=REDACTED"
    )
    assert stable_url("https://example.com:8443/a.mp3") == "https://example.com:8443/a.mp3"
    assert scrub_text(f"see {a} now", stable=True) == f"see {stable_url(a)} now"


def _multipart_post(client, audio: bytes, prompt: str):
    """POST a config part then an audio part, streamed, as the SDK's sync and dictation clients do
    (a new random boundary each time)."""
    from assemblyai._multipart import StreamingMultipartEncoder

    encoder = StreamingMultipartEncoder()
    parts = [encoder.config_part({"prompt": prompt}), encoder.audio_header("clip.wav", "audio/wav"), audio]
    headers = {"content-type": encoder.content_type}
    return client.post("/v1/transcribe/live", content=iter([*parts, encoder.closing()]), headers=headers)


def test_a_multipart_request_is_recorded_without_its_audio_or_boundary_and_replays(tmp_path, stand_in):
    cassette = tmp_path / "demo.yaml"
    audio = b"RIFF" + bytes(range(256)) * 40
    scrubber = Scrubber([KEY], None, None, {stand_in: "sync.assemblyai.com"})
    recording = Recording(cassette, record=True, scrubber=scrubber, source="emulator")
    with httpx.Client(base_url=f"http://{stand_in}") as client:
        answer = _multipart_post(client, audio, "Larkspur Books").json()
    recording.close()
    request = load_yaml(cassette.read_text())["interactions"][0]["request"]
    assert request["uri"] == "https://sync.assemblyai.com/v1/transcribe/live"
    assert upload_placeholder(audio).decode() in request["body"] and "Larkspur Books" in request["body"]
    assert "part config (application/json)" in request["body"] and "boundary" not in str(request["headers"])
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://sync.assemblyai.com") as client:
            assert _multipart_post(client, audio, "Larkspur Books").json() == answer, "another boundary, same request"
            with pytest.raises(Exception, match="sync.assemblyai.com"):
                _multipart_post(client, audio[:-1], "Larkspur Books")  # other audio: not this recording
    finally:
        replay.close()


def test_a_recording_keeps_the_headers_that_describe_spoken_audio_and_drops_the_rest():
    headers = {"Content-Type": ["audio/mpeg"], "X-TTS-Audio-Duration-Ms": ["760"], "X-TTS-Voice-Id": ["aai-jane"]}
    response = {"status": {"code": 200}, "headers": {**headers, "X-Request-Id": ["r-1"], "Set-Cookie": ["s=1"]}}
    assert Scrubber().response(response)["headers"] == headers


def test_a_token_the_api_issues_is_recorded_as_redacted_and_other_fields_stay():
    """A temporary token (the Voice Agent's GET /v1/token answer, read through vcrpy) opens a session:
    a recording never keeps one, whatever it looks like."""
    body = b'{"token": "tok-0123", "expires_in_seconds": 60}'
    response = {"status": {"code": 200}, "headers": {}, "body": {"string": body}}
    kept = json.loads(Scrubber().response(response)["body"]["string"])
    assert kept == {"token": "REDACTED", "expires_in_seconds": 60}
    other = {"status": {"code": 200}, "headers": {}, "body": {"string": b'{"id": "t-1", "text": "token"}'}}
    assert json.loads(Scrubber().response(other)["body"]["string"]) == {"id": "t-1", "text": "token"}


class _Audio(BaseHTTPRequestHandler):
    """Answers with 4 kB of bytes that are not text, as text to speech answers with audio."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = bytes(range(256)) * 16
        self.send_response(200)
        self.send_header("content-type", "audio/mpeg")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_audio_a_response_carries_is_kept_beside_the_recording_by_its_hash(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Audio)
    serve_in_background(server)
    stand_in = f"127.0.0.1:{server.server_port}"
    cassette = tmp_path / "demo.yaml"
    try:
        recording = Recording(
            cassette, record=True, scrubber=Scrubber([], None, None, {stand_in: "tts.us.assemblyai.com"})
        )
        with httpx.Client(base_url=f"http://{stand_in}") as client:
            spoken = client.post("/v1/speech", json={"text": "hi"}).content
        recording.close()
    finally:
        server.shutdown()
    body = load_yaml(cassette.read_text())["interactions"][0]["response"]["body"]
    digest = hashlib.sha256(spoken).hexdigest()
    assert body == {"file": f"bodies/{digest}.bin", "sha256": digest, "bytes": len(spoken)}
    assert (tmp_path / "bodies" / f"{digest}.bin").read_bytes() == spoken and len(cassette.read_bytes()) < 2000
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://tts.us.assemblyai.com") as client:
            assert client.post("/v1/speech", json={"text": "hi"}).content == spoken
    finally:
        replay.close()
    (tmp_path / "bodies" / f"{digest}.bin").write_bytes(b"other" * 300)
    with pytest.raises(ValueError, match="is not the body"):
        Recording(cassette, record=False, scrubber=Scrubber())


def test_bodies_no_recording_names_are_pruned(tmp_path):
    from cookbook_utils.recording.cassette import prune_bodies

    (tmp_path / "bodies").mkdir()
    kept, stale = "a" * 64, "b" * 64
    for digest in (kept, stale):
        (tmp_path / "bodies" / f"{digest}.bin").write_bytes(b"x")
    (tmp_path / "demo.recording.yaml").write_text(f"body:\n  file: bodies/{kept}.bin\n")
    assert prune_bodies(tmp_path) == [tmp_path / "bodies" / f"{stale}.bin"]
    assert [p.name for p in (tmp_path / "bodies").iterdir()] == [f"{kept}.bin"]


class _Text(BaseHTTPRequestHandler):
    """Answers with 4 kB of UTF-8 text of the content type the path names: server-sent events (as the
    text-to-speech events route answers, audio in base64) or JSON."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        kind = "text/event-stream; charset=utf-8" if self.path.endswith("/events") else "application/json"
        body = ('event: Audio\ndata: {"audio": "' + "QUJD" * 1000 + '"}\n\n').encode()
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_event_stream_is_kept_beside_the_recording_and_other_text_stays_in_it(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Text)
    serve_in_background(server)
    stand_in = f"127.0.0.1:{server.server_port}"
    cassette = tmp_path / "demo.yaml"
    try:
        recording = Recording(
            cassette, record=True, scrubber=Scrubber([], None, None, {stand_in: "tts.us.assemblyai.com"})
        )
        with httpx.Client(base_url=f"http://{stand_in}") as client:
            streamed = client.post("/v1/speech/events", json={"text": "hi"}).content
            client.post("/v1/other", json={"text": "hi"})
        recording.close()
    finally:
        server.shutdown()
    events, other = [i["response"]["body"] for i in load_yaml(cassette.read_text())["interactions"]]
    digest = hashlib.sha256(streamed).hexdigest()
    assert events == {"file": f"bodies/{digest}.bin", "sha256": digest, "bytes": len(streamed)}
    assert "string" in other, "a JSON body is text a reader reads in the recording: it stays there"
    replay = Recording(cassette, record=False, scrubber=Scrubber())
    try:
        with httpx.Client(base_url="https://tts.us.assemblyai.com") as client:
            assert client.post("/v1/speech/events", json={"text": "hi"}).content == streamed
    finally:
        replay.close()
