"""The lesson code of ai-coach, run outside the notebook on good and malformed model output
(the good answers are the recipe's reference answers in data/answers/)."""

import json

import pytest

from tests.recipes.answers import answer
from tests.recipes.whole_recipe_alone import answers_changed, run_replaced
from tools import spec
from tools.notebook_code import load_definitions

#: What each speaker said, in part: enough to hold the reference answer's quotes.
SAID = {
    "A": "I'll take the chunked upload fix myself. I'll have it in review by Wednesday evening.",
    "B": "Sure. I'll email them this afternoon and report back by Thursday.",
    "C": "And I'll update the test plan so the large queue case is covered in every release from now on.",
    "D": "Then let's decide now. We move the release by one week, to the 21st. Does anyone object?",
}


@pytest.fixture(scope="module")
def coach_nb():
    return load_definitions("ai-coach", ["parse_coaching"])


def test_coach_reference_answer_covers_every_speaker(coach_nb):
    coaching = coach_nb["parse_coaching"](answer("ai-coach", "1.json"), SAID)
    assert [p.name for p in coaching.participants] == ["Priya", "Daniel", "Sofia", "Marcus"]


@pytest.mark.parametrize(
    "mutate, labels, message",
    [
        (lambda d: d["participants"][0].update(score=9), "ABCD", "score"),
        (lambda d: d["participants"][1].update(suggestions=[]), "ABCD", "suggestions"),
        (lambda d: d["participants"].pop(), "ABCD", "the meeting had"),
        (lambda d: None, "ABC", "the meeting had"),
        (lambda d: d["participants"][0].update(evidence="We should push the date."), "ABCD", "not something they said"),
        (lambda d: d["participants"][1].update(evidence=""), "ABCD", "not something they said"),
    ],
)
def test_coach_bad_feedback_is_rejected(coach_nb, mutate, labels, message):
    data = json.loads(answer("ai-coach", "1.json"))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        coach_nb["parse_coaching"](json.dumps(data), {label: SAID[label] for label in labels})
    with pytest.raises(ValueError, match="does not fit"):
        coach_nb["parse_coaching"]("{'participants': []}", {label: SAID[label] for label in labels})


# The whole recipe in one cell, run alone as a pasted script, meets the failures the steps handle.

needs_spec = pytest.mark.skipif(not spec.spec_available(), reason="the emulator needs ../shared/reference")


@needs_spec
def test_the_whole_recipe_refuses_cut_off_feedback():
    alone = run_replaced("ai-coach", {"max_tokens=1500": "max_tokens=80"})
    assert alone.run.returncode != 0
    assert "ValueError: the feedback was cut off: raise max_tokens" in alone.run.stderr


@needs_spec
def test_the_whole_recipe_refuses_feedback_that_leaves_a_speaker_out(tmp_path):
    def drop_last(text: str) -> str:
        data = json.loads(text)
        data["participants"].pop()
        return json.dumps(data)

    alone = run_replaced("ai-coach", data_dir=answers_changed(tmp_path, "ai-coach", "1.json", drop_last))
    assert alone.run.returncode != 0
    assert "ValueError: feedback for speakers ['D', 'A', 'C'], but the meeting had" in alone.run.stderr


@needs_spec
def test_the_whole_recipe_refuses_evidence_the_speaker_never_said(tmp_path):
    def paraphrase(text: str) -> str:
        data = json.loads(text)
        data["participants"][0]["evidence"] = "We should push the date."
        return json.dumps(data)

    alone = run_replaced("ai-coach", data_dir=answers_changed(tmp_path, "ai-coach", "1.json", paraphrase))
    assert alone.run.returncode != 0
    assert "ValueError: D's evidence is not something they said" in alone.run.stderr
