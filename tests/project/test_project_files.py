"""Checks over what the project ships: every notebook has its recording and every recording its
notebook; no notebook or recording holds a secret; notebooks carry the outputs of a real run."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from cookbook_utils import paths
from cookbook_utils.yamlio import load_yaml
from tools.registry import COLAB_BLOCK_FIRST

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = paths.notebooks()
CASSETTES = {p.stem: p for p in (ROOT / "data" / "cassettes").glob("*.yaml")}

#: Shapes of credentials: AssemblyAI keys (32 hex), OpenAI, Hugging Face, AWS ids and signatures. Each
#: with a piece of text (lower case) that every match holds, so that a file without it is not searched.
SECRET_SHAPES = [
    ("authorization", re.compile(r"(?i)authorization[\"']?\s*[:=]\s*[\"']?(?!REDACTED)[0-9a-z_-]{20,}")),
    ("sk-", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    ("hf_", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("akia", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("asia", re.compile(r"\bASIA[0-9A-Z]{16}\b")),
    ("x-amz-signature=", re.compile(r"(?i)x-amz-signature=(?!REDACTED)[0-9a-f]{16,}")),
    ("x-amz-credential=", re.compile(r"(?i)x-amz-credential=(?!REDACTED)[A-Z0-9]{16,}")),
    ("x-amz-security-token=", re.compile(r"(?i)x-amz-security-token=(?!REDACTED)\w{16,}")),
    ("signature=", re.compile(r"[?&]Signature=(?!REDACTED)[A-Za-z0-9%+/=]{20,}")),  # S3 signature version 2
    ("bearer", re.compile(r"(?i)\bbearer\s+(?!REDACTED)[A-Za-z0-9._~+/=-]{16,}")),
    # Streaming: a temporary token in a query or a token answer; the keys tools/record.py makes up.
    ("token=", re.compile(r"[?&]token=(?!REDACTED)[A-Za-z0-9._~+/=-]{24,}")),
    ('"token"', re.compile(r"\"token\":\s*\"(?!REDACTED\")[A-Za-z0-9._~+/=-]{24,}\"")),
    ("emulator-", re.compile(r"\bemulator-[0-9a-f]{32}\b")),
    ("emu-tmp-", re.compile(r"\bemu-tmp-[0-9a-f]{8,}")),
]
STREAMS = sorted((ROOT / "data" / "streams").glob("*.json"))


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    return [ROOT / line for line in out.splitlines() if line]


def find_secrets(text: str) -> list[str]:
    """The substrings of ``text`` that look like credentials."""
    lowered = text.lower()
    return [m.group(0) for piece, pattern in SECRET_SHAPES if piece in lowered for m in pattern.finditer(text)]


def test_secret_shapes_are_detected():
    # The scan itself must be able to fail.
    from tests.package.test_recording import AWS_KEY_ID, KEY, OPENAI_KEY

    assert find_secrets(json.dumps({"authorization": KEY}))
    assert find_secrets("X-Amz-Signature=" + "ab" * 32)
    assert find_secrets("?AWSAccessKeyId=x&Signature=" + "A7Bxp7EOz7WDUnoYeoD8jx47RgU%3D&Expires=1")
    assert find_secrets(f"key {OPENAI_KEY}") and find_secrets(AWS_KEY_ID)
    assert not find_secrets('{"authorization": "REDACTED"} X-Amz-Signature=REDACTED')
    for piece, pattern in SECRET_SHAPES:  # a text is searched only if it holds the piece, which every match holds
        assert piece in pattern.pattern.lower().replace("\\", ""), pattern.pattern


def test_every_notebook_has_a_recording_and_every_recording_a_notebook():
    assert NOTEBOOKS, "no notebooks found"
    assert sorted(NOTEBOOKS) == sorted(CASSETTES), (
        f"notebooks without a recording: {sorted(set(NOTEBOOKS) - set(CASSETTES))}; "
        f"recordings without a notebook: {sorted(set(CASSETTES) - set(NOTEBOOKS))}"
    )


@pytest.mark.parametrize("slug", sorted(CASSETTES))
def test_recording_states_its_provenance(slug):
    data = load_yaml(CASSETTES[slug].read_text())
    provenance = (data.get("metadata") or {}).get("provenance") or {}
    assert provenance.get("notebook") == slug
    assert provenance.get("source") in {"emulator", "api.assemblyai.com"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(provenance.get("recorded_on")))
    for interaction in data["interactions"]:
        assert set(k.lower() for k in interaction["request"]["headers"]) <= {"content-type"}


def test_the_streaming_shapes_catch_tokens():
    assert find_secrets('{"token": "' + "eyJhbGci" * 3 + '"}')  # built here, so this file holds no token
    assert find_secrets("wss://streaming.assemblyai.com/v3/ws?sample_rate=16000&token=" + "abcdef" * 5)
    assert not find_secrets('{"token": "REDACTED", "query": {"token": "REDACTED"}}')


@pytest.mark.parametrize("path", STREAMS, ids=[p.stem for p in STREAMS])
def test_no_streaming_fixture_holds_a_secret_or_a_token(path):
    text = path.read_text()
    assert not find_secrets(text), f"{path.name}: {find_secrets(text)[:3]}"
    for exchange in json.loads(text)["exchanges"]:
        assert exchange.get("query", {}).get("token") in (None, "REDACTED")
        if exchange["kind"] == "token" and exchange["status"] == 200:
            assert exchange["body"]["token"] == "REDACTED"


def test_no_tracked_file_holds_a_secret():
    hits = []
    for path in _tracked_files():
        if path.suffix in {".mp3", ".wav", ".png", ".ogg"} or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(ROOT)}: {secret[:24]}..." for secret in find_secrets(text)]
    assert not hits, "credentials found:\n" + "\n".join(hits)


@pytest.mark.parametrize("slug", sorted(NOTEBOOKS))
def test_notebook_carries_the_outputs_of_a_run(slug):
    cells = json.loads(NOTEBOOKS[slug].read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, "a recipe without code"
    assert all(c.get("execution_count") for c in code), "code cells that were never executed"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "cells were not run once, top to bottom"
    assert "".join(code[0]["source"]).startswith(COLAB_BLOCK_FIRST), "the first code cell is the Colab block"
    setup = "".join(code[1]["source"])
    assert f'cu.setup("{slug}")' in setup, "the setup cell (the second code cell) must call cu.setup with the slug"
