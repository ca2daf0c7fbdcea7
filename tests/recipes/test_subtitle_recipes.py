"""The subtitle recipes: the builders their notebooks show agree with cookbook_utils.subtitles on the
same words, and every subtitle file a recipe writes is read back by a maintained parser."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from cookbook_utils import subtitles as st

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks" / "subtitles"


def _words(name: str = "podcast-clip") -> list[SimpleNamespace]:
    """The conversation's words as the SDK gives them (attributes), with speaker labels."""
    timing = json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())
    return [
        SimpleNamespace(text=w["text"], start=w["start"], end=w["end"], speaker=w["speaker"]) for w in timing["words"]
    ]


def _lesson(slug: str, names: set[str]) -> dict:
    """The notebook's function definitions and the named constants, executed on their own."""
    nb = nbformat.read(NOTEBOOKS / f"{slug}.ipynb", as_version=4)
    kept: list[ast.stmt] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                kept.append(node)
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) in names for t in node.targets):
                kept.append(node)
    namespace: dict = {}
    exec(compile(ast.Module(body=kept, type_ignores=[]), slug, "exec"), namespace)  # noqa: S102
    missing = names - set(namespace)
    assert not missing, f"{slug} no longer defines {sorted(missing)}"
    return namespace


@pytest.mark.parametrize(("count", "cap"), [(6, 3000), (3, None), (10, 3000), (10, None)])
def test_word_count_builder_matches_the_helper(count, cap):
    lesson = _lesson("subtitles-by-word-count", {"srt_time", "build_cues", "to_srt"})
    words = _words()
    shown = lesson["to_srt"](lesson["build_cues"](words, count, cap))
    assert shown == st.to_srt(st.cues_by_word_count(words, count, cap))


@pytest.mark.parametrize("ms", [0, 1, 999.5, 59_999, 3_600_000, 3_723_004.4, 360_000_000])
def test_word_count_timestamps_match_the_helper(ms):
    lesson = _lesson("subtitles-by-word-count", {"srt_time"})
    assert lesson["srt_time"](ms) == st.srt_timestamp(ms)


def test_speaker_builders_match_the_helper():
    names = {"speaker_cues", "srt_time", "vtt_time", "to_coloured_srt", "to_voiced_vtt", "colours", "names"}
    lesson = _lesson("speaker-subtitles", names)
    words = _words()
    cues = lesson["speaker_cues"](words)
    helper = st.cues_by_chars(words, 42)
    assert lesson["to_coloured_srt"](cues) == st.to_srt(helper, colours=lesson["colours"])
    assert lesson["to_voiced_vtt"](cues) == st.to_vtt(helper, colours=lesson["colours"], names=lesson["names"])
    with pytest.raises(ValueError, match="speaker_labels=True"):
        lesson["speaker_cues"]([SimpleNamespace(text="x", start=0, end=1, speaker=None)])


#: What each recipe writes (relative to its output folder), at least.
EXPECTED = {
    "subtitles-srt-vtt": {"podcast-clip.srt", "podcast-clip.vtt", "whole-recipe/podcast-clip.srt"},
    "subtitles-by-word-count": {"podcast-clip.6-words.srt", "podcast-clip.4-words.srt"},
    "speaker-subtitles": {"podcast-clip.speakers.srt", "podcast-clip.speakers.vtt", "whole-recipe/podcast-clip.vtt"},
    "translate-subtitles": {"podcast-clip.es.srt", "podcast-clip.whole-recipe.es.srt"},
}


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_subtitle_file_a_recipe_writes_parses(slug, tmp_path, monkeypatch):
    """Run the notebook in replay in an empty folder, then read back every .srt with ``srt`` and
    every .vtt with ``webvtt-py``: each must hold cues with text, in time order."""
    import srt
    import webvtt
    from nbclient import NotebookClient

    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    nb = nbformat.read(NOTEBOOKS / f"{slug}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    folder = tmp_path / "output" / slug
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix in (".srt", ".vtt")}
    assert EXPECTED[slug] <= written, f"{slug} did not write {sorted(EXPECTED[slug] - written)}"
    for name in sorted(written):
        text = (folder / name).read_text(encoding="utf-8")
        if name.endswith(".srt"):
            cues = [(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in srt.parse(text)]
        else:
            cues = [(c.start_in_seconds, c.end_in_seconds, c.text) for c in webvtt.from_string(text)]
        assert len(cues) > 5, name
        assert all(text.strip() and start <= end for start, end, text in cues), name
        assert [c[0] for c in cues] == sorted(c[0] for c in cues), f"{name}: cues out of order"
