"""ald-routing's routing rule on the notebook's own function: the six languages Universal-3.5 Pro
covers go to it, whatever their region or spelling; every other language goes to Universal-2."""

from __future__ import annotations

import pytest

from tools.notebook_code import load_definitions


@pytest.fixture(scope="module")
def nb() -> dict:
    return load_definitions("ald-routing", ["speech_models_for"], ("PRO_LANGUAGES",))


def test_the_rule_is_written_for_six_languages(nb) -> None:
    assert nb["PRO_LANGUAGES"] == {"en", "es", "de", "fr", "it", "pt"}
    assert nb["SPEECH_MODELS"] == ["universal-3-5-pro", "universal-2"]


@pytest.mark.parametrize("code", ["en", "en_us", "EN-GB", " es ", "de", "fr", "it", "pt", "pt_br", "en_AU"])
def test_the_six_languages_go_to_the_newest_model(nb, code) -> None:
    assert nb["speech_models_for"](code) == ["universal-3-5-pro"]


@pytest.mark.parametrize("code", ["nl", "hi", "ja", "zh", "ptx", "e", "nl_be"])
def test_other_languages_go_to_the_wide_model(nb, code) -> None:
    assert nb["speech_models_for"](code) == ["universal-2"]
