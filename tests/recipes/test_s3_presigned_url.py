"""s3-presigned-url: the whole recipe run alone as a reader's script (tools/whole_recipe.py) against the
emulator, with a local S3 (moto) that a plain ``boto3.client("s3")`` finds from its environment
(tests/project/whole_recipe_inputs.py): a presigned URL of an object that is not there fails as the
API says, and the message it shows holds no signature."""

from __future__ import annotations

import nbformat
import pytest

from cookbook_utils import paths
from tests.project.whole_recipe_inputs import s3_bucket
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

SLUG = "s3-presigned-url"
#: The key the whole recipe signs; the failure case signs one with a typo, as a reader's might.
SIGNED = '"Key": key}'

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")


def _run_alone(tmp_path, edit=lambda script: script):
    from tools.emulator import Emulator

    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    with s3_bucket(tmp_path) as extra, Emulator(api_key="whole-recipe-key", notebook=SLUG) as emulator:
        run = run_script(edit(as_script(source, real_origins(emulator))), script_env(emulator, extra), cwd=tmp_path)
    return run, emulator.state


@needs_spec
def test_the_whole_recipe_uploads_signs_and_transcribes_with_its_own_boto3_client(tmp_path) -> None:
    run, state = _run_alone(tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "110 s, 292 words, speakers ['A', 'B']\n"
    [(_, url)] = state.urls_sent
    assert "/cookbook-audio/cookbook/support-call.mp3?" in url and "X-Amz-Signature=" in url


@needs_spec
def test_a_presigned_url_of_a_missing_object_fails_as_the_api_says_without_the_signature(tmp_path) -> None:
    def typo(script: str) -> str:
        assert script.count(SIGNED) == 1
        return script.replace(SIGNED, '"Key": key + ".typo"}')

    run, state = _run_alone(tmp_path, typo)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (
        "Transcription of s3://cookbook-audio/cookbook/support-call.mp3 failed: Download error, unable to "
        "download <the presigned URL> Please make sure the file exists and is accessible from the internet.\n"
    )
    [(_, url)] = state.urls_sent  # the API was sent the signed URL of the missing key ...
    assert "/cookbook/support-call.mp3.typo?" in url
    assert "X-Amz" not in run.stderr  # ... and the message shown holds none of it


def test_the_client_signs_with_sigv4_in_the_buckets_own_region_and_the_type_comes_from_the_file(
    monkeypatch, tmp_path
) -> None:
    """The notebook's s3_client_for, on a local S3 with a bucket in eu-west-2: the URL is signed for
    that region with SigV4; and the whole recipe's upload gives a .wav its own content type."""
    from cookbook_utils.standins.s3 import local_storage
    from tools.notebook_code import load_definitions

    storage = local_storage()
    try:
        for name, value in storage.client_environment().items():
            monkeypatch.setenv(name, value)
        storage.client.create_bucket(Bucket="eu-audio", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        ns = load_definitions(SLUG, ["s3_client_for"])
        client = ns["s3_client_for"]("eu-audio")
        assert client.meta.region_name == "eu-west-2" and client.meta.config.signature_version == "s3v4"
        url = client.generate_presigned_url("get_object", Params={"Bucket": "eu-audio", "Key": "a.mp3"})
        assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "%2Feu-west-2%2Fs3%2F" in url
        assert ns["s3_client_for"]("cookbook-audio").meta.region_name == "us-east-1"  # None from S3
        wav = tmp_path / "call.wav"
        wav.write_bytes(b"RIFF....WAVE")
        whole = load_definitions(SLUG, ["transcribe_via_s3"])  # the steps' and the whole recipe's
        whole["aai"] = type("NoTranscription", (), {"TranscriptionConfig": None})  # stop after the upload
        with pytest.raises(TypeError):
            whole["transcribe_via_s3"]("eu-audio", str(wav), "call.wav")
        assert client.head_object(Bucket="eu-audio", Key="call.wav")["ContentType"] in ("audio/wav", "audio/x-wav")
    finally:
        storage.stop()
