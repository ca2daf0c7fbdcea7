"""Speech understanding (``POST /v1/understanding``): translation from reference translations;
the other tasks are not emulated yet, so refused by name."""

from __future__ import annotations

from pathlib import Path

import yaml

from tools.emulator.core import NOT_FOUND, ROOT, EmulatorError, State


def understand(state: State, body: dict) -> dict:
    """Answer the task the request names, or refuse it: the emulator has no reference data for it."""
    request = body["speech_understanding"]["request"]
    if "translation" in request:
        return translation(state, body)
    raise EmulatorError(400, "Speech understanding is not available in the emulator: record this notebook live.")


def _reference(state: State, conversation: str, language: str, register: str) -> list[str]:
    """The reference translation of each turn of a conversation (data/translations/<name>.<lang>.yaml)."""
    path = state.data_dir / "translations" / f"{conversation}.{language}.yaml"
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
    if not path.is_file():
        raise EmulatorError(
            400,
            f"translation.target_languages: the emulator does not emulate translation into '{language}' for this "
            f"audio: it has no reference translation ({shown}). Use a language it has, or record live.",
        )
    turns = yaml.safe_load(path.read_text()).get(register)
    if not turns:
        raise EmulatorError(
            400,
            f"translation.formal: the emulator does not emulate formal={register == 'formal'} for '{language}': "
            f"{shown} has no {register} translation. Use the other register, or record live.",
        )
    return turns


def translation(state: State, body: dict) -> dict:
    """Translate a completed transcript, turn by turn, from reference translations written for the
    conversation (honest translations, not model output): ``translated_texts`` for the whole text,
    and per utterance when ``match_original_utterance`` is set (which needs speaker labels)."""
    options = body["speech_understanding"]["request"]["translation"]
    record = state.transcripts.get(body["transcript_id"])
    if record is None:
        raise EmulatorError(400, NOT_FOUND)
    result, conversation = record["result"], record["conversation"]
    if result["status"] != "completed":
        raise EmulatorError(400, f"Transcript {result['id']} is not completed: its status is {result['status']}")
    if options.get("match_original_utterance") and not result.get("utterances"):
        raise EmulatorError(
            400,
            "translation.match_original_utterance: the transcript has no utterances; the emulator translates "
            "utterances only for a transcript made with speaker_labels=true.",
        )
    register = "formal" if options.get("formal", True) else "informal"
    turn_of = {(w["start"], w["text"]): w["turn"] for w in conversation.words}
    words = result["words"] or []
    references = {lang: _reference(state, conversation.name, lang, register) for lang in options["target_languages"]}

    def translate(span: list[dict]) -> dict[str, str]:
        turns = list(dict.fromkeys(turn_of[(w["start"], w["text"])] for w in span))
        return {lang: " ".join(turns_text[t] for t in turns) for lang, turns_text in references.items()}

    answer = {
        "id": result["id"],
        "speech_understanding": {
            "request": body["speech_understanding"]["request"],
            "response": {"translation": {"status": "completed"}},
        },
        "text": result["text"],
        "translated_texts": translate(words),
        "words": words,
    }
    if options.get("match_original_utterance"):
        answer["utterances"] = [{**u, "translated_texts": translate(u["words"])} for u in result["utterances"]]
    return answer
