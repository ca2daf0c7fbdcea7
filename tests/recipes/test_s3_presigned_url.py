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
