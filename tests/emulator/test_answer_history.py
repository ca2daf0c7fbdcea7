"""Reference answers chosen by whether the request carries a conversation (``history`` in
answers.yaml): the same question asked with and without the earlier turns gets its own answer."""

from pathlib import Path

import pytest
import yaml

from cookbook_utils.yamlio import load_yaml
from tools.emulator.answers import choose
from tools.emulator.errors import EmulatorError

QUESTION = "And by when should that happen?"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "answers" / "nb"
    folder.mkdir(parents=True)
    (folder / "when.md").write_text("Within five working days.")
    (folder / "alone.md").write_text("It is not clear what 'that' refers to.")
    (folder / "other.md").write_text("Something else.")
    manifest = {
        "when": {"file": "when.md", "transcripts": [], "prompt_contains": [QUESTION], "history": True},
        "alone": {"file": "alone.md", "transcripts": [], "prompt_contains": [QUESTION], "history": False},
        "other": {"file": "other.md", "transcripts": [], "prompt_contains": ["What went wrong"]},
    }
    (folder / "answers.yaml").write_text(yaml.safe_dump(manifest))
    return tmp_path


def test_the_same_question_with_and_without_history_gets_its_own_answer(data_dir) -> None:
    assert choose(data_dir, "nb", 3, QUESTION, history=True).key == "when"
    assert choose(data_dir, "nb", 4, QUESTION, history=False).key == "alone"


def test_an_entry_without_history_fits_either_way(data_dir) -> None:
    assert choose(data_dir, "nb", 1, "What went wrong?", history=False).key == "other"
    assert choose(data_dir, "nb", 5, "What went wrong?", history=True).key == "other"


def test_without_history_both_entries_would_fit_and_the_request_is_refused(data_dir) -> None:
    manifest = load_yaml((data_dir / "answers" / "nb" / "answers.yaml").read_text())
    for entry in manifest.values():
        entry.pop("history", None)
    (data_dir / "answers" / "nb" / "answers.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(EmulatorError, match="several reference answers"):
        choose(data_dir, "nb", 3, QUESTION, history=True)
