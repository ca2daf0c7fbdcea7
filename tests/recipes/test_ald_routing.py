"""ald-routing's routing rule on the notebook's own code: the first model of ``SPEECH_MODELS`` whose
documented languages include the file's, whatever its region or spelling.

The expectations come from the platform facts (``../shared/docs/platform-2026-12.md`` sections 1 and
13 row 4), not from the notebook's output: Universal-3.5 Pro has 18 languages, among them nl, hi
and zh; ``assemblyai-stt-3-7`` has 32 whose list is unverified, so the recipe routes to it only
Universal-3.5 Pro's (a reading it states); Universal-2 takes every language.
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from cookbook_utils import config, paths
from cookbook_utils.yamlio import load_yaml
from tools.notebook_code import load_cell, load_definitions

FLAGSHIP, WIDE = "assemblyai-stt-3-7", "universal-2"
#: The 18 languages the docs give Universal-3.5 Pro (facts, section 1).
U35_PRO = set("en es de fr pt it tr nl sv no da fi hi vi ar he ja zh".split())


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "ald-routing", ["speech_models_for"], ("UNIVERSAL_3_5_PRO", "MODEL_LANGUAGES", "DOCUMENTED")
    )


@pytest.fixture()
def models(nb):
    """Set the notebook's SPEECH_MODELS for one test; restored afterwards."""
    saved = nb["SPEECH_MODELS"]

    def use(speech_models: list[str]) -> None:
        nb["SPEECH_MODELS"] = speech_models

    yield use
    nb["SPEECH_MODELS"] = saved


def test_the_notebook_uses_the_cookbooks_model_list(nb) -> None:
    assert nb["SPEECH_MODELS"] == config.SPEECH_MODELS == [FLAGSHIP, WIDE]


def test_the_table_holds_the_documented_languages(nb) -> None:
    table = nb["MODEL_LANGUAGES"]
    assert table["universal-3-5-pro"] == U35_PRO
    assert table[WIDE] is None
    assert nb["DOCUMENTED"] == {FLAGSHIP: 32, "universal-3-5-pro": 18, WIDE: 99}


def test_the_flagship_is_routed_only_what_the_reading_covers(nb) -> None:
    """Its own list is unverified: no language beyond Universal-3.5 Pro's is claimed for it."""
    routed = nb["MODEL_LANGUAGES"][FLAGSHIP]
    assert routed <= U35_PRO
    assert len(routed) <= nb["DOCUMENTED"][FLAGSHIP]


@pytest.mark.parametrize("code", ["en", "en_us", "EN-GB", " es ", "de", "fr", "nl", "hi", "zh", "pt_br", "ja"])
def test_universal_3_5_pros_languages_go_to_the_flagship(nb, code) -> None:
    assert nb["speech_models_for"](code) == [FLAGSHIP]


@pytest.mark.parametrize("code", ["pl", "el", "ko", "yue", "ptx", "e", "sw_ke"])
def test_other_languages_go_to_the_wide_model(nb, code) -> None:
    assert nb["speech_models_for"](code) == [WIDE]


def test_every_shipped_clip_is_routed_to_the_flagship(nb) -> None:
    """The clips' languages (from their scripts) are all among Universal-3.5 Pro's 18."""
    source = nbformat.read(paths.notebook_path("ald-routing"), as_version=4)
    cell = next(c.source for c in source.cells if c.source.startswith("files = ["))
    files = ast.literal_eval(cell.split("=", 1)[1].split("\n\n")[0])
    assert len(files) == 6
    scripts = paths.data_dir() / "scripts"
    for name in files:
        language = load_yaml((scripts / name.replace(".mp3", ".yaml")).read_text())["language_code"]
        assert nb["speech_models_for"](language) == [FLAGSHIP], name


def test_the_rule_follows_the_list_not_a_fixed_model(nb, models) -> None:
    models(["universal-3-5-pro", WIDE])
    assert nb["speech_models_for"]("hi") == ["universal-3-5-pro"]  # live, 2026-09-24 (row 4)
    assert nb["speech_models_for"]("pl") == [WIDE]
    models([WIDE])
    assert nb["speech_models_for"]("zh") == [WIDE]


def test_a_model_missing_from_the_table_is_an_error_not_a_guess(nb, models) -> None:
    models(["assemblyai-stt-4", WIDE])
    with pytest.raises(KeyError, match="assemblyai-stt-4"):
        nb["speech_models_for"]("en")


def test_a_language_no_listed_model_covers_is_an_error(nb, models) -> None:
    models([FLAGSHIP])
    with pytest.raises(ValueError, match="'pl'"):
        nb["speech_models_for"]("pl")


@pytest.mark.parametrize("code", ["en_us", "nl", "hi", "zh", "pl", "ko", "EN-GB"])
def test_the_whole_recipe_routes_as_the_steps_do(nb, code) -> None:
    whole = load_cell("ald-routing", "def transcribe_routed")
    assert whole.SPEECH_MODELS == nb["SPEECH_MODELS"]
    assert whole.LANGUAGES[FLAGSHIP] == nb["MODEL_LANGUAGES"][FLAGSHIP]
    assert whole.route(code) == nb["speech_models_for"](code)


def _whole_recipe(source_changes: dict[str, str], tmp_path):
    """Run the whole recipe alone as a reader's script (tools/whole_recipe.py) against the emulator,
    with ``source_changes`` made to its text first."""
    from tools import spec
    from tools.emulator import Emulator
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

    if not spec.spec_available():
        pytest.skip("../shared/reference/ (the official specs) is absent")
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("ald-routing"), as_version=4))
    for old, new in source_changes.items():
        assert old in source, old
        source = source.replace(old, new)
    with Emulator(api_key="whole-recipe-key", notebook="ald-routing") as emulator:
        script = as_script(source, real_origins(emulator))
        return run_script(script, script_env(emulator), timeout_s=180, cwd=tmp_path)


def test_the_whole_recipe_alone_sends_a_language_its_first_model_lacks_to_the_fallback(tmp_path) -> None:
    """Dutch taken off the first model's list (as for a language it does not document): the file is
    transcribed by Universal-2, the end of SPEECH_MODELS, and the Spanish clip still by the first."""
    listed = " tr nl sv "
    run = _whole_recipe({listed: " tr sv "}, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == f"clip-nl.mp3: {WIDE}\nclip-es.mp3: {FLAGSHIP}\n"


def test_the_whole_recipe_alone_raises_a_transcript_in_error(tmp_path) -> None:
    not_audio = tmp_path / "clip-nl.mp3"
    not_audio.write_text("Goedemorgen, dit is geen opname.\n" * 40)
    run = _whole_recipe({'str(session.audio("clip-nl.mp3"))': repr(str(not_audio))}, tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert (
        "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio." in run.stderr
    )
