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
