"""An S3 bucket for the recipes: the reader's own when the real API is called, a local one otherwise.

The real API downloads presigned URLs itself, so live it needs a real bucket: the one named in
``COOKBOOK_S3_BUCKET``, reached with boto3's standard credential chain (environment variables,
``~/.aws``, SSO, an instance role). In replay mode, and when recording against the local emulator,
the bucket is a local S3 (moto's server on 127.0.0.1): boto3's own upload and signing code runs
against it for real, and nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from ..config import ENV_S3_BUCKET, LOCAL_S3_BUCKET
from ..errors import CookbookError
from . import refuse_when_live


@dataclass
class S3Storage:
    """A boto3 S3 client and the bucket the recipe uses."""

    client: Any
    bucket: str
    where: str
    local: bool
    _server: Any = field(default=None, repr=False)

    def client_environment(self) -> dict[str, str]:
        """The environment variables with which a plain ``boto3.client("s3")`` reaches this bucket's
        local server (boto3 reads ``AWS_ENDPOINT_URL_S3`` itself), and the bucket's name in
        ``COOKBOOK_S3_BUCKET``: what a whole recipe, pasted as a script, reads. Local storage only."""
        if not self.local:
            raise CookbookError("client_environment() describes the local S3 only; yours is in your AWS config")
        return {
            ENV_S3_BUCKET: self.bucket,
            "AWS_ENDPOINT_URL_S3": self.client.meta.endpoint_url,
            # The local server accepts any credentials; these are placeholders, not secrets.
            "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS,
            "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
        }

    def stop(self) -> None:
        """Stop the local S3 server, if this storage started one."""
        if self._server is not None:
            self._server.stop()
            self._server = None


#: What the local server is given: it accepts any credentials, so these are placeholders.
LOCAL_CREDENTIALS = "local-s3"
LOCAL_REGION = "us-east-1"


def _signing_config():
    from botocore.config import Config

    # Signature Version 4, the one every region accepts (the default for presigned URLs is older).
    return Config(signature_version="s3v4")


def local_storage(bucket: str = LOCAL_S3_BUCKET) -> S3Storage:
    """Start moto's S3 server on a free loopback port, with an empty ``bucket`` in it."""
    refuse_when_live("a local S3")
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log in the notebook
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # The local server accepts any credentials; these are placeholders, not secrets.
    session = boto3.session.Session(
        aws_access_key_id=LOCAL_CREDENTIALS, aws_secret_access_key=LOCAL_CREDENTIALS, region_name=LOCAL_REGION
    )
    client = session.client("s3", endpoint_url=f"http://{host}:{port}", config=_signing_config())
    client.create_bucket(Bucket=bucket)
    return S3Storage(client, bucket, "a local S3 server (moto) on this machine", local=True, _server=server)


def aws_storage(bucket: str | None = None) -> S3Storage:
    """A client for the reader's bucket, with credentials from boto3's standard chain."""
    import boto3

    bucket = bucket or os.environ.get(ENV_S3_BUCKET, "").strip()
    if not bucket:
        raise CookbookError(
            f"Set {ENV_S3_BUCKET} to the name of an S3 bucket you can write to (the recipe uploads one audio "
            "file to it), or run the notebook without an AssemblyAI key to replay the recording."
        )
    session = boto3.session.Session()  # region and credentials from the standard AWS configuration
    if session.get_credentials() is None:
        raise CookbookError(
            "No AWS credentials found. boto3 looks in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
            "in ~/.aws/credentials and ~/.aws/config (run `aws configure` or `aws sso login`), and at the "
            "instance role. Never paste keys into the notebook."
        )
    client = session.client("s3", config=_signing_config())
    return S3Storage(client, bucket, f"your S3 bucket {bucket!r}", local=False)


def open_storage(session) -> S3Storage:
    """The bucket for this run: the local S3 where the cookbook's stand-ins serve (replay, and
    recording against the local emulator: ``session.uses_stand_ins``), the reader's own live,
    named in ``COOKBOOK_S3_BUCKET`` (``session.reader_setting`` stops for setup without it)."""
    if session.uses_stand_ins:
        return local_storage()
    bucket = session.reader_setting(
        ENV_S3_BUCKET,
        "the name of an S3 bucket you can write to (the recipe uploads one audio file to it, and "
        "AWS credentials from boto3's standard chain)",
        "my-audio-bucket",
    )
    return aws_storage(bucket)
