"""The S3 helper against moto's server: boto3's upload and presigning run for real on loopback."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cookbook_utils.errors import CookbookError
from cookbook_utils.recording import REDACTED, normalise_url, scrub_url
from cookbook_utils.standins import s3

ROOT = Path(__file__).resolve().parents[3]
AUDIO = ROOT / "data" / "audio" / "support-call.mp3"


@pytest.fixture(scope="module")
def storage():
    local = s3.local_storage()
    yield local
    local.stop()


def test_presigned_url_serves_the_uploaded_object(storage):
    storage.client.upload_file(str(AUDIO), storage.bucket, "calls/support-call.mp3")
    url = storage.client.generate_presigned_url(
        "get_object", Params={"Bucket": storage.bucket, "Key": "calls/support-call.mp3"}, ExpiresIn=900
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.hostname == "127.0.0.1" and parts.path == f"/{storage.bucket}/calls/support-call.mp3"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    body = requests.get(url, timeout=10).content
    assert hashlib.sha256(body).digest() == hashlib.sha256(AUDIO.read_bytes()).digest()


def test_presigned_urls_hold_no_signature_once_scrubbed_and_match_across_runs(storage):
    params = {"Bucket": storage.bucket, "Key": "calls/support-call.mp3"}
    url = storage.client.generate_presigned_url("get_object", Params=params, ExpiresIn=900)
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    scrubbed = scrub_url(url)
    assert signature not in scrubbed and f"X-Amz-Signature={REDACTED}" in scrubbed
    assert f"X-Amz-Credential={REDACTED}" in scrubbed
    other = s3.local_storage()  # another run: another port, another date, another signature
    try:
        other.client.upload_file(str(AUDIO), other.bucket, "calls/support-call.mp3")
        again = other.client.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    finally:
        other.stop()
    assert again != url and normalise_url(again) == normalise_url(url)
    different = storage.client.generate_presigned_url(
        "get_object", Params={**params, "Key": "calls/other.mp3"}, ExpiresIn=900
    )
    assert normalise_url(different) != normalise_url(url)


def test_missing_object_is_a_404(storage):
    url = storage.client.generate_presigned_url(
        "get_object", Params={"Bucket": storage.bucket, "Key": "calls/missing.mp3"}, ExpiresIn=60
    )
    assert requests.get(url, timeout=10).status_code == 404


def test_live_needs_a_bucket(monkeypatch):
    monkeypatch.delenv("COOKBOOK_S3_BUCKET", raising=False)
    with pytest.raises(CookbookError, match="Set COOKBOOK_S3_BUCKET"):
        s3.aws_storage()


def test_live_needs_credentials_from_the_standard_chain(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("COOKBOOK_S3_BUCKET", "my-bucket")
    with pytest.raises(CookbookError, match="No AWS credentials"):
        s3.aws_storage()


def test_live_uses_the_chain_and_the_named_bucket(monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = from-file\naws_secret_access_key = from-file-too\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    storage = s3.aws_storage("my-bucket")
    assert storage.bucket == "my-bucket" and not storage.local
    assert storage.client.meta.region_name == "eu-west-1"
    assert storage.client._request_signer._credentials.access_key == "from-file"


def test_the_stand_ins_use_the_local_bucket_and_live_asks_for_the_readers(monkeypatch):
    """The real API cannot fetch a loopback URL: the local bucket serves only where the cookbook's
    stand-ins do (``session.uses_stand_ins``); live, the reader's bucket, or a stop for setup."""
    from cookbook_utils.errors import SetupNeeded
    from cookbook_utils.modes import Mode
    from cookbook_utils.session import Session

    def session(mode: Mode, stand_ins: dict) -> Session:
        return Session("s3-presigned-url", mode, "test", (), Path("none.yaml"), {}, stand_ins)

    monkeypatch.delenv("COOKBOOK_S3_BUCKET", raising=False)
    for mode, stand_ins in [(Mode.REPLAY, {}), (Mode.RECORD, {"api.assemblyai.com": "http://127.0.0.1:9"})]:
        storage = s3.open_storage(session(mode, stand_ins))
        try:
            assert storage.local and storage.client.list_buckets()["Buckets"][0]["Name"] == storage.bucket
            env = storage.client_environment()
            assert env["COOKBOOK_S3_BUCKET"] == storage.bucket
            assert env["AWS_ENDPOINT_URL_S3"] == storage.client.meta.endpoint_url
        finally:
            storage.stop()
    with pytest.raises(SetupNeeded, match="Set COOKBOOK_S3_BUCKET to the name of an S3 bucket") as stop:
        s3.open_storage(session(Mode.LIVE, {}))  # even against the emulator: it plays the internet
    assert stop.value.variable == "COOKBOOK_S3_BUCKET"


def test_a_plain_boto3_client_finds_the_local_bucket_from_its_environment(monkeypatch):
    import boto3

    storage = s3.local_storage()
    try:
        for name, value in storage.client_environment().items():
            monkeypatch.setenv(name, value)
        client = boto3.client("s3")
        client.put_object(Bucket=storage.bucket, Key="a.txt", Body=b"hello")
        assert storage.client.get_object(Bucket=storage.bucket, Key="a.txt")["Body"].read() == b"hello"
    finally:
        storage.stop()
