"""chinese-script-conversion's whole recipe, run alone as a reader's script (tools/whole_recipe.py)
against the emulator: given a file that is not audio, the transcript ends in error and the recipe
raises with the API's message instead of converting an empty text (the status check of Step 1)."""

from __future__ import annotations

import nbformat
import pytest

from cookbook_utils import paths
from tools import spec
from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

SLUG = "chinese-script-conversion"


def test_a_transcript_in_error_is_raised_with_its_message(tmp_path):
    from tools.emulator import Emulator

    not_audio = tmp_path / "tea-shop-zh.mp3"
    not_audio.write_text("欢迎光临！您想买什么茶？\n" * 40, encoding="utf-8")
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path(SLUG), as_version=4))
    assert 'str(session.audio("tea-shop-zh.mp3"))' in source
    source = source.replace('str(session.audio("tea-shop-zh.mp3"))', repr(str(not_audio)))
    with Emulator(api_key="whole-recipe-key", notebook=SLUG) as emulator:
        run = run_script(as_script(source, real_origins(emulator)), script_env(emulator), timeout_s=120, cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert (
        "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio." in run.stderr
    )


@pytest.mark.parametrize(
    ("original", "config", "share"),
    [
        ("我的内存不够", "s2twp", 3 / 6),  # 内存 -> 記憶體: two characters become three
        ("U盘坏了", "s2twp", 3 / 4),  # U盘 -> 隨身碟, 坏 -> 壞
        ("出租车在外面等我", "s2twp", 3 / 8),  # 出租车 -> 計程車, the same length
        ("这里", "s2tw", 2 / 2),
        ("谢谢", "s2t", 2 / 2),
        ("好的", "s2t", 0.0),
    ],
)
def test_the_charts_share_of_changed_characters_survives_length_changing_conversions(original, config, share):
    import opencc

    from tools.notebook_code import load_definitions

    changed_share = load_definitions(SLUG, ["changed_share"])["changed_share"]
    assert changed_share(original, opencc.OpenCC(config).convert(original)) == pytest.approx(share)
