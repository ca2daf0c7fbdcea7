"""The audio-duration-check recipe's broken WAV: made by tools/wrong_size_wav.py from the shipped
clip, its header claims three times its data, the tools really disagree on it, and the recipe's
whole-recipe function transcodes it to a file they agree on."""

import shutil
import struct
import types

import pytest

from tools import wrong_size_wav
from tools.notebook_code import load_definitions

TOOLS = ("ffmpeg", "ffprobe", "soxi", "mediainfo")
needs_tools = pytest.mark.skipif(not all(map(shutil.which, TOOLS)), reason=f"needs {', '.join(TOOLS)}")


def test_the_header_claims_three_times_the_data():
    data = wrong_size_wav.TARGET.read_bytes()
    at = data.find(b"data", 12)
    (claimed,) = struct.unpack_from("<I", data, at + 4)
    held = len(data) - (at + 8)
    assert claimed == wrong_size_wav.CLAIMED_FACTOR * held
    (riff,) = struct.unpack_from("<I", data, 4)
    assert riff == at + claimed  # the RIFF size agrees with the lie, as a recorder would write it


@needs_tools
def test_the_shipped_file_is_what_the_tool_makes():
    made = wrong_size_wav.lie_about_size(wrong_size_wav.decode(wrong_size_wav.SOURCE))
    assert made == wrong_size_wav.TARGET.read_bytes(), "re-run python -m tools.wrong_size_wav"


def test_a_file_that_is_not_wav_is_refused():
    with pytest.raises(ValueError, match="RIFF"):
        wrong_size_wav.lie_about_size(b"ID3 not a wav")


@needs_tools
def test_the_recipe_transcodes_the_file_the_tools_disagree_on(tmp_path):
    recipe = types.SimpleNamespace(**load_definitions("audio-duration-check", ["prepare_audio"]))
    chosen, seen = recipe.prepare_audio(wrong_size_wav.TARGET, tmp_path)
    assert seen["sox"] > 2.5 * seen["ffprobe"] and abs(seen["ffprobe"] - seen["mediainfo"]) < 0.01
    assert chosen.parent == tmp_path and chosen.suffix == ".wav"
    again, seen_again = recipe.prepare_audio(chosen, tmp_path)
    assert again == chosen and max(seen_again.values()) - min(seen_again.values()) < 0.01
