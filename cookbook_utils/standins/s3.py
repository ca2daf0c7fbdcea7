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
from urllib.parse import urlsplit

from ..config import ENV_S3_BUCKET, LOCAL_S3_BUCKET
from ..errors import CookbookError
from ..network import is_loopback
from . import refuse_when_live


@dataclass
class S3Storage:
    """A boto3 S3 client and the bucket the recipe uses."""

    client: Any
    bucket: str
    where: str
    local: bool
    _server: Any = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the local S3 server, if this storage started one."""
        if self._server is not None:
            self._server.stop()
            self._server = None


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
        aws_access_key_id="local-s3", aws_secret_access_key="local-s3", region_name="us-east-1"
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
    """The bucket for this run: local when the API that downloads the URL is local or replayed,
    the reader's own when the real API will fetch it."""
    import assemblyai as aai

    if session.replaying or is_loopback(urlsplit(aai.settings.base_url).hostname):
        return local_storage()
    return aws_storage()
