"""The labelled retrieval set (data/retrieval/interview-questions.yaml) that benchmarks/embeddings.py
scores: every label must point at exactly one sentence a customer says in its interview."""

from pathlib import Path

from cookbook_utils.yamlio import load_yaml
from tools.emulator import conversations

ROOT = Path(__file__).resolve().parents[2]
LABELLED = load_yaml((ROOT / "data" / "retrieval" / "interview-questions.yaml").read_text())


def _sentences(name):
    """The interview's sentences, each with its speaker as the script labels them (B: the customer)."""
    conversation = conversations.Conversation.load(ROOT / "data" / "scripts" / f"{name}.timing.json")
    words = conversations.transcript_words(conversation, {"speaker_labels": True})
    script_label = {
        api: script for script, api in conversations.speaker_map(conversation, conversation.words, {}).items()
    }
    return [{**s, "speaker": script_label[s["speaker"]]} for s in conversations.sentences(words)]


def test_the_set_covers_every_interview():
    questions = LABELLED["questions"]
    assert 15 <= len(questions) <= 25
    assert {q["transcript"] for q in questions} == set(LABELLED["transcripts"])
    assert len({q["question"] for q in questions}) == len(questions), "a question is listed twice"


def test_each_answer_is_one_sentence_of_the_customer():
    for question in LABELLED["questions"]:
        sentences = _sentences(question["transcript"])
        holding = [s for s in sentences if question["answer"] in s["text"]]
        assert len(holding) == 1, f"{question['answer']!r} is in {len(holding)} sentences of {question['transcript']}"
        assert holding[0]["speaker"] == "B", f"{question['answer']!r} is not said by the customer"
