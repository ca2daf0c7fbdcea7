"""The recorder end to end: a small notebook in a throwaway project is recorded against the
emulator, then replayed, and its stored outputs are those of the replay."""

import json

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

CELLS = [
    'import assemblyai as aai\nimport cookbook_utils as cu\n\nsession = cu.setup("tiny")',
    "aai.settings.polling_interval = min(aai.settings.polling_interval, 0.05)\n"
    "config = aai.TranscriptionConfig(speech_models=list(session.speech_models), speaker_labels=True)\n"
    'transcript = aai.Transcriber(config=config).transcribe("https://example.com/audio/support-call.mp3")\n'
    "print(transcript.status.value, len(transcript.utterances))",
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "cassettes").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "demo" / "tiny.ipynb")
    monkeypatch.setenv("COOKBOOK_ROOT", str(tmp_path))
    paths.project_root.cache_clear()
    yield tmp_path
    paths.project_root.cache_clear()


@pytest.mark.end_to_end
def test_record_against_the_emulator_then_replay(project, monkeypatch):
    from tools import record

    monkeypatch.setattr(record.secrets, "token_hex", lambda n: "f" * (2 * n))
    assert record.main(["--emulator", "tiny"]) == 0

    cassette = (project / "data" / "cassettes" / "tiny.yaml").read_text()
    assert "emulator-" + "f" * 32 not in cassette, "the emulator's key reached the recording"
    assert "127.0.0.1" not in cassette and "https://api.assemblyai.com/v2/transcript" in cassette
    assert "source: emulator" in cassette

    stored = nbformat.read(project / "notebooks" / "demo" / "tiny.ipynb", as_version=4)
    outputs = ["".join(o.get("text", "")) for c in stored.cells for o in c.outputs]
    assert outputs[0].startswith("Mode: replay. No API key is in use"), outputs
    assert outputs[1] == "completed 19\n"
    assert [c.execution_count for c in stored.cells] == [1, 2]
    assert not any(
        p.name.endswith((".previous.yaml", ".rejected.yaml")) for p in (project / "data" / "cassettes").iterdir()
    )


@pytest.mark.end_to_end
def test_a_failed_replay_keeps_the_previous_recording(project, monkeypatch):
    from tools import record

    previous = project / "data" / "cassettes" / "tiny.yaml"
    previous.write_text(json.dumps({"interactions": [], "version": 1}))
    # A notebook whose replay differs from its recording run: it sends a new request each time.
    nb = nbformat.read(project / "notebooks" / "demo" / "tiny.ipynb", as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace(
        '"https://example.com/audio/support-call.mp3"',
        "f\"https://example.com/{__import__('uuid').uuid4()}/support-call.mp3\"",
    )
    nbformat.write(nb, project / "notebooks" / "demo" / "tiny.ipynb")
    with pytest.raises(Exception, match="does not hold"):
        record.main(["--emulator", "tiny"])
    assert previous.read_text() == json.dumps({"interactions": [], "version": 1})
    assert (project / "data" / "cassettes" / "tiny.rejected.yaml").exists()


@pytest.mark.end_to_end
def test_recording_twice_gives_identical_files(project, monkeypatch):
    """Against the emulator, a second recording writes the same bytes: ids do not depend on ports or
    dates, no port reaches an output, and printed text is stored as one output however it arrived."""
    from tools import record

    nb = nbformat.read(project / "notebooks" / "demo" / "tiny.ipynb", as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import sys\nfor n in range(3):\n    print('line', n, flush=True)\n    sys.stdout.flush()\n"
            "print(transcript.id[:8] if transcript.id else None)"
        )
    )
    nbformat.write(nb, project / "notebooks" / "demo" / "tiny.ipynb")
    files = [project / "data" / "cassettes" / "tiny.yaml", project / "notebooks" / "demo" / "tiny.ipynb"]
    recorded = []
    for _ in range(2):
        assert record.main(["--emulator", "tiny"]) == 0
        recorded.append([f.read_bytes() for f in files])
    assert recorded[0] == recorded[1]
    stored = nbformat.read(files[1], as_version=4)
    assert [o.output_type for o in stored.cells[2].outputs] == ["stream"]
    assert "127.0.0.1" not in recorded[0][0].decode() and "127.0.0.1" not in recorded[0][1].decode()


def test_merge_streams_joins_consecutive_outputs_of_one_name():
    from tools.record import merge_streams

    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warn\n"),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
    ]
    merged = merge_streams(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    assert [(o.name, o.text) for o in merged] == [("stdout", "a\nb\n"), ("stderr", "warn\n"), ("stdout", "c\n")]


def test_recording_against_the_emulator_polls_fast_and_live_keeps_the_sdk_interval(monkeypatch):
    import assemblyai as aai

    from cookbook_utils import session

    for name in ("api_key", "base_url", "llm_gateway_base_url", "polling_interval"):
        monkeypatch.setattr(aai.settings, name, getattr(aai.settings, name))  # restored after the test
    session._configure_sdk("k", "http://127.0.0.1:9999", replay=False)
    assert aai.settings.polling_interval == session.LOCAL_POLLING_INTERVAL_S
    session._configure_sdk("k", "https://api.assemblyai.com", replay=False)
    assert aai.settings.polling_interval == session._sdk_default_polling_interval() >= 1
    session._configure_sdk("k", "https://api.assemblyai.com", replay=True)
    assert aai.settings.polling_interval == 0
