"""What the subtitle recipes' tests share: words as the SDK gives them (a hand-made exchange, and
the transcript a notebook's cassette recorded), and the check that every subtitle file a recipe
writes is read back by a maintained parser (``srt``, ``webvtt-py``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]

#: Two speakers, nine words, and a six-second pause before the last word.
WORDS = [
    SimpleNamespace(text=text, start=start, end=end, speaker=speaker)
    for text, start, end, speaker in [
        ("Welcome", 0, 400, "A"),
        ("back", 420, 700, "A"),
        ("to", 720, 800, "A"),
        ("the", 820, 900, "A"),
        ("show.", 920, 1500, "A"),
        ("Thanks", 2000, 2400, "B"),
        ("for", 2420, 2600, "B"),
        ("having", 2620, 3000, "B"),
        ("me.", 9000, 9400, "B"),
    ]
]


def recorded_words(slug: str) -> list[SimpleNamespace]:
    """The words of the first completed transcript in ``slug``'s cassette, as attributes."""
    cassette = yaml.load((ROOT / "data" / "cassettes" / f"{slug}.yaml").read_text(), Loader=yaml.CSafeLoader)
    for interaction in cassette["interactions"]:
        body = interaction["response"]["body"]["string"]
        if '"completed"' in body and '"words"' in body:
            words = json.loads(body)["words"]
            return [SimpleNamespace(**{k: w[k] for k in ("text", "start", "end", "speaker")}) for w in words]
    raise LookupError(f"{slug}: no completed transcript in the cassette")


def check_written_files(slug: str, expected: set[str], folder: Path, monkeypatch) -> None:
    """Run the notebook in replay in the empty ``folder``, then read back every .srt with ``srt``
    and every .vtt with ``webvtt-py``: each must hold cues with text, in time order, and the
    recipe must have written at least ``expected`` (relative to its output folder)."""
    import srt
    import webvtt
    from nbclient import NotebookClient

    from cookbook_utils import paths
    from tools.kernels import IPCAsyncKernelManager

    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    output = folder / "output" / slug
    written = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.suffix in (".srt", ".vtt")}
    assert expected <= written, f"{slug} did not write {sorted(expected - written)}"
    for name in sorted(written):
        text = (output / name).read_text(encoding="utf-8")
        if name.endswith(".srt"):
            cues = [(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in srt.parse(text)]
        else:
            cues = [(c.start_in_seconds, c.end_in_seconds, c.text) for c in webvtt.from_string(text)]
        assert len(cues) > 5, name
        assert all(text.strip() and start <= end for start, end, text in cues), name
        assert [c[0] for c in cues] == sorted(c[0] for c in cues), f"{name}: cues out of order"
