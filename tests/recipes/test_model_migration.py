"""model-migration's own functions, loaded from the notebook: the migration rule for a
``speech_models`` list and a line of code (AssemblyAI's advice: ``["assemblyai-stt-3-7",
"universal-2"]``, or the new model alone when every file is in its languages; Universal-2 is not
upgraded), how the model that ran relates to the list sent, and the whole-recipe function against
the emulator."""

from __future__ import annotations

import warnings

import pytest

from tools import spec
from tools.notebook_code import load_cell, load_definitions

NEW = "assemblyai-stt-3-7"
KEY = "model-migration-test-key"


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions(
        "model-migration",
        ["migrate_speech_models", "migrate_line", "how_chosen", "first_sentence"],
        ("BEFORE", "AFTER", "OLD_PRO_MODELS", "NEW_MODEL", "SPEECH_MODELS_LIST", "SENTENCE_END"),
    )


def test_the_lists_compared_are_the_documented_ones(nb) -> None:
    assert nb["AFTER"] == [NEW, "universal-2"]
    assert nb["NEW_MODEL"] == NEW
    assert set(nb["OLD_PRO_MODELS"]) == {"universal-3-5-pro", "universal-3-pro"}


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
def test_before_is_the_default_of_the_august_spec(nb) -> None:
    params = spec.load("api")["components"]["schemas"]["TranscriptOptionalParams"]["properties"]
    assert nb["BEFORE"] == params["speech_models"]["default"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["universal-3-5-pro", "universal-2"], [NEW, "universal-2"]),
        (["universal-3-pro", "universal-2"], [NEW, "universal-2"]),
        (["universal-3-pro"], [NEW, "universal-2"]),  # the old automatic fallback, made explicit
        (["universal-3-5-pro"], [NEW, "universal-2"]),
        (["universal-3-5-pro", "universal-3-pro", "universal-2"], [NEW, "universal-2"]),
        (["universal-2", "universal-3-5-pro"], ["universal-2", NEW]),  # the reader's order stays
        ([NEW, "universal-2"], [NEW, "universal-2"]),
        (["universal-2"], ["universal-2"]),  # Universal-2 is not upgraded
        ([NEW], [NEW]),  # already migrated, without a fallback: left as chosen
    ],
)
def test_the_pro_models_become_the_new_one_with_universal_2_last(nb, old, new) -> None:
    assert nb["migrate_speech_models"](old) == new


def test_without_the_fallback_the_new_model_stands_alone(nb) -> None:
    migrate = nb["migrate_speech_models"]
    assert migrate(["universal-3-pro"], keep_fallback=False) == [NEW]
    assert migrate(["universal-3-5-pro", "universal-2"], keep_fallback=False) == [NEW, "universal-2"]


def test_migrating_twice_changes_nothing_and_the_input_is_kept(nb) -> None:
    old = ["universal-3-5-pro", "universal-2"]
    once = nb["migrate_speech_models"](old)
    assert nb["migrate_speech_models"](once) == once
    assert old == ["universal-3-5-pro", "universal-2"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'config = aai.TranscriptionConfig(speech_models=["universal-3-5-pro", "universal-2"])',
            f'config = aai.TranscriptionConfig(speech_models=["{NEW}", "universal-2"])',
        ),
        (
            'body = {"audio_url": url, "speech_models": ["universal-3-pro"], "punctuate": True}',
            f'body = {{"audio_url": url, "speech_models": ["{NEW}", "universal-2"], "punctuate": True}}',
        ),
        ("p = {'speech_models': ['universal-3-5-pro']}", f"p = {{'speech_models': ['{NEW}', 'universal-2']}}"),
        ('  speech_models: ["universal-3-pro"],', f'  speech_models: ["{NEW}", "universal-2"],'),
        ("x(speech_models = ['universal-3-5-pro','universal-2'])", f"x(speech_models = ['{NEW}', 'universal-2'])"),
    ],
)
def test_a_line_gets_the_migrated_list_in_its_own_quotes(nb, line, expected) -> None:
    assert nb["migrate_line"](line) == expected


@pytest.mark.parametrize(
    "line",
    [
        'config = aai.TranscriptionConfig(speech_models=["universal-2"])',
        f'config = aai.TranscriptionConfig(speech_models=["{NEW}", "universal-2"])',
        "config = aai.TranscriptionConfig(speech_models=SPEECH_MODELS)",
        'print("universal-3-5-pro is still served")',
        "",
    ],
)
def test_other_lines_are_left_exactly_as_they_are(nb, line) -> None:
    assert nb["migrate_line"](line) == line


def test_every_list_on_a_line_is_migrated(nb) -> None:
    line = 'a(speech_models=["universal-3-pro"]); b(speech_models=["universal-3-5-pro", "universal-2"])'
    assert nb["migrate_line"](line, keep_fallback=False) == (
        f'a(speech_models=["{NEW}"]); b(speech_models=["{NEW}", "universal-2"])'
    )


@pytest.mark.parametrize(
    ("sent", "used", "expected"),
    [
        ([NEW, "universal-2"], NEW, "first choice"),
        ([NEW, "universal-2"], "universal-2", "fallback"),
        (["universal-3-5-pro", "universal-2"], NEW, "not in the list"),  # a retired model's replacement
        (None, NEW, "the account's default"),
        ([], "universal-3-5-pro", "the account's default"),
        ([NEW], None, "no model reported"),
    ],
)
def test_how_the_model_that_ran_relates_to_the_list(nb, sent, used, expected) -> None:
    assert nb["how_chosen"](sent, used) == expected


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("short", "short"),
        (
            "Thank you for calling Larkspur Books, this is Maya. How can I help?",
            "Thank you for calling Larkspur Books, this is Maya.",
        ),
        ("The total is 42.50 today. Thanks.", "The total is 42.50 today."),  # a decimal point is no full stop
        ("欢迎光临！您想买什么茶？", "欢迎光临！"),  # no space after a CJK full stop
        ("欢迎 光临！ 您 想 买 什么 茶？", "欢迎 光临！"),
        ("नमस्ते, मैं सिटी क्लिनिक से बोल रही हूँ। आप कैसे हैं?", "नमस्ते, मैं सिटी क्लिनिक से बोल रही हूँ।"),
    ],
)
def test_the_table_shows_each_texts_first_sentence_whole(nb, text, first) -> None:
    assert nb["first_sentence"](text) == first


class _Answer:
    """What ``aai.Transcriber().transcribe`` returns, as far as the recipe reads it."""

    def __init__(self, used: str | None, status: str = "completed", error: str | None = None) -> None:
        import assemblyai as aai

        self.status = aai.TranscriptStatus(status)
        self.error = error
        self.json_response = {"speech_model_used": used}


def _fake_transcriber(recipe, monkeypatch, answer: _Answer) -> list:
    configs = []

    class Transcriber:
        def __init__(self, config) -> None:
            configs.append(config)

        def transcribe(self, audio: str) -> _Answer:
            return answer

    monkeypatch.setattr(recipe.aai, "Transcriber", Transcriber)
    return configs


def test_the_whole_recipe_warns_when_another_model_did_the_work(monkeypatch) -> None:
    recipe = load_cell("model-migration", "def transcribe_pinned")
    assert recipe.SPEECH_MODELS == [NEW, "universal-2"]
    configs = _fake_transcriber(recipe, monkeypatch, _Answer("universal-2"))
    with pytest.warns(UserWarning, match=f"call.mp3: transcribed by universal-2, not {NEW}"):
        recipe.transcribe_pinned("call.mp3")
    assert configs[0].speech_models == [NEW, "universal-2"]


def test_the_whole_recipe_raises_on_a_failed_transcript(monkeypatch) -> None:
    recipe = load_cell("model-migration", "def transcribe_pinned")
    _fake_transcriber(recipe, monkeypatch, _Answer(None, "error", "Download error"))
    with pytest.raises(RuntimeError, match="Transcription failed: Download error"):
        recipe.transcribe_pinned("https://example.com/missing.mp3")


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
def test_the_whole_recipe_names_its_models_and_reads_the_model_used() -> None:
    import assemblyai as aai

    from cookbook_utils import paths
    from tools.emulator import Emulator

    recipe = load_cell("model-migration", "def transcribe_pinned")
    saved = (aai.settings.api_key, aai.settings.base_url, aai.settings.polling_interval)
    with Emulator(api_key=KEY) as emulator:
        aai.settings.api_key, aai.settings.base_url, aai.settings.polling_interval = KEY, emulator.base_url, 0.05
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", UserWarning)  # the first model ran: no warning
                transcript = recipe.transcribe_pinned(str(paths.audio_file("clip-hi.mp3")))
            pinned = recipe.transcribe_pinned(str(paths.audio_file("clip-es.mp3")), ["universal-3-5-pro"])
        finally:
            aai.settings.api_key, aai.settings.base_url, aai.settings.polling_interval = saved
        assert emulator.violations == []
    assert transcript.json_response["speech_models"] == [NEW, "universal-2"]
    assert transcript.json_response["speech_model_used"] == NEW
    assert pinned.json_response["speech_model_used"] == "universal-3-5-pro"


@pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")
def test_the_whole_recipe_alone_raises_on_a_failed_transcript(tmp_path) -> None:
    """The whole recipe as a reader's script (tools/whole_recipe.py), on a file that is not audio."""
    import nbformat

    from cookbook_utils import paths
    from tools.emulator import Emulator
    from tools.whole_recipe import as_script, real_origins, run_script, script_env, whole_recipe_cell

    not_audio = tmp_path / "clip.mp3"
    not_audio.write_text("not a recording\n")
    _, source = whole_recipe_cell(nbformat.read(paths.notebook_path("model-migration"), as_version=4))
    with Emulator(api_key=KEY, notebook="model-migration") as emulator:
        script = as_script(source, real_origins(emulator))
        script = script.replace(repr(str(paths.audio_file("clip-hi.mp3"))), repr(str(not_audio)))
        run = run_script(script, script_env(emulator), cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == ""
    assert "RuntimeError: Transcription failed: Transcoding failed. File does not appear to contain audio" in run.stderr
