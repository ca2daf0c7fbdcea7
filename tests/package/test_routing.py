import pytest

from cookbook_utils import SPEECH_MODELS, base_language, speech_models_for


@pytest.mark.parametrize("code", ["en", "en_us", "EN-GB", "es", "de", "fr", "it", "pt"])
def test_the_six_languages_go_to_the_newest_model(code):
    assert speech_models_for(code) == [SPEECH_MODELS[0]]


@pytest.mark.parametrize("code", ["nl", "hi", "ja", "zh", "ptx"])
def test_other_languages_go_to_the_wide_model(code):
    assert speech_models_for(code) == [SPEECH_MODELS[1]]


def test_base_language():
    assert base_language(" en_AU ") == "en"
    with pytest.raises(ValueError, match="language code is needed"):
        base_language("")
