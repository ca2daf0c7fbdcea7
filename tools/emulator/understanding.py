"""Speech understanding (``POST /v1/understanding``): one function per task, chosen by the task's
name in ``speech_understanding.request``.

- ``speaker_identification``: answered from the scripts' speaker names and roles
  (``data/scripts/<name>.yaml``: ``name``, ``role`` and ``other_roles``), mapped onto the
  transcript's speaker labels.
- ``translation``: answered turn by turn from reference translations written for the conversation
  (``data/translations/<name>.<language>.yaml``, formal and informal registers).
- ``custom_formatting``: refused; the scripts hold no dates, phone numbers or e-mail addresses in
  written forms to reformat, so the emulator cannot give it its documented effect.
- ``summarization`` and ``action_items`` (2026): refused; no reference summaries or action items are
  stored beside the scripts, and the emulator writes no analysis of its own.

``POST /v1/understanding/validate`` (:func:`validate`) checks a request by the same rules without
running it. On a free-credit account both count against the 2-per-60-s limit (``accounts``); an
unknown transcript id is the gateway's 404 ``transcript not found`` (:func:`lookup`).
"""

from __future__ import annotations

import bisect
import copy
import json
from collections.abc import Callable
from pathlib import Path

from cookbook_utils.yamlio import load_yaml
from tools.emulator import transcripts
from tools.emulator.conversations import Conversation
from tools.emulator.errors import EmulatorError, text
from tools.emulator.state import ROOT, State

BODY_KEYS = {"transcript_id", "speech_understanding"}
CONFIG_KEYS = {"speaker_type", "known_values", "speakers"}
MAX_VALUE_CHARS = 35  # "Each value must be 35 characters or less."
REFUSED = {
    "custom_formatting": (
        "custom_formatting is not emulated: the emulator's conversations have no dates, phone numbers or "
        "e-mail addresses in a written form it could reformat. Record this request against the real API."
    ),
    **{
        task: (
            f"{task} is not emulated: no reference {task.replace('_', ' ')} are stored beside the scripts, and "
            "the emulator writes no analysis of its own. Ask the LLM Gateway (reference answers), or record "
            "this request against the real API."
        )
        for task in ("summarization", "action_items")
    },
}


def admit(state: State, key: str) -> None:
    """On a free account, count the request against ``/v1/understanding``'s rate limit (a 429 when full)."""
    if state.account == "free":
        state.limiter.take(key, "understanding", "understanding", "understanding")


def refuse_unemulated(body: object) -> None:
    """Refuse a task the emulator does not emulate by its name, before the body meets the LLM Gateway spec
    of March 2026, which does not know the 2026 tasks (summarization, action_items) and would answer
    "Invalid request body" instead."""
    request = body.get("speech_understanding", {}).get("request") if isinstance(body, dict) else None
    for task in request if isinstance(request, dict) else ():
        if task in REFUSED:
            raise EmulatorError(400, REFUSED[task])


def lookup(state: State, transcript_id: str, region: str | None = None) -> transcripts.TranscriptRecord:
    """The transcript a gateway request names (``transcript_id``), or the gateway's 404 ``transcript not
    found`` (the 2026-09-24 capture, on the chat path; the same reading for ``/v1/understanding``, where
    the facts say "probably", section 13 row 7)."""
    try:
        return transcripts.find(state, transcript_id, region)
    except EmulatorError:
        raise EmulatorError(404, text("gateway_transcript_not_found")) from None


def _transcript(state: State, transcript_id: str) -> tuple[dict, Conversation]:
    """The completed transcript the request names, and its conversation (as the API would find it)."""
    return lookup(state, transcript_id).completed()


def _norm(value: str) -> str:
    return " ".join(value.lower().replace("_", " ").replace("-", " ").split())


def _fits(value: str, truth: str, speaker_type: str) -> bool:
    """Whether a value the request gives names the script's speaker ``truth``: the same words, a
    first name for a full name (or the reverse), or a role's last words (``manager`` for
    ``operations manager``)."""
    value, truth = _norm(value), _norm(truth)
    if value == truth:
        return True
    if speaker_type == "name":
        return value.split()[0] == truth.split()[0]
    return truth.endswith(" " + value) or value.endswith(" " + truth)


def _values(config: dict) -> list[str] | None:
    """The names or roles the request offers (None when it offers none)."""
    speaker_type = config["speaker_type"]
    if "known_values" in config and "speakers" in config:
        raise EmulatorError(400, "Use known_values or speakers, not both.")
    if "speakers" in config:
        values = []
        for index, speaker in enumerate(config["speakers"]):
            if not isinstance(speaker.get(speaker_type), str):
                raise EmulatorError(
                    400, f"speakers[{index}] needs a '{speaker_type}' string when speaker_type is '{speaker_type}'."
                )
            values.append(speaker[speaker_type])
    elif "known_values" in config:
        values = list(config["known_values"])
    elif speaker_type == "role":
        raise EmulatorError(400, "known_values (or speakers) is required when speaker_type is 'role'.")
    else:
        return None
    if not values or not all(v.strip() for v in values):
        raise EmulatorError(400, f"The list of speaker {speaker_type}s is empty or holds an empty value.")
    too_long = [v for v in values if len(v) > MAX_VALUE_CHARS]
    if too_long:
        raise EmulatorError(400, f"Each value must be {MAX_VALUE_CHARS} characters or less: {too_long[0]!r}.")
    return values


def other_roles(data_dir: Path, conversation: Conversation) -> dict[str, list[str]]:
    """Speaker label -> the roles the speaker also fits besides ``role`` (``other_roles`` in the
    script, e.g. ``interviewer`` for a product researcher), with a part's own labels."""
    timing = json.loads((data_dir / "scripts" / f"{conversation.name}.timing.json").read_text())
    part_of = timing.get("part_of")
    script = data_dir / "scripts" / f"{part_of['name'] if part_of else conversation.name}.yaml"
    if not script.is_file():
        return {}
    speakers = load_yaml(script.read_text())["speakers"]
    labels = part_of["speakers"] if part_of else {label: label for label in speakers}
    return {label: list(speakers[whole].get("other_roles") or ()) for label, whole in labels.items()}


def _mapping(
    config: dict,
    labels: list[str],
    conversation: Conversation,
    text: str,
    also: dict[str, list[str]],
    speakers: dict[str, str],
) -> dict[str, str]:
    """Speaker label -> identified name or role, from the script's ground truth (``speakers``: the
    script speaker each label stands for; the API's letters are not the script's)."""
    speaker_type = config["speaker_type"]
    script = {label: speakers.get(label, label) for label in labels}
    truth = {
        label: conversation.speakers[script[label]][speaker_type]
        for label in labels
        if script[label] in conversation.speakers
    }
    known = {
        label: [value, *(also.get(script[label], []) if speaker_type == "role" else [])]
        for label, value in truth.items()
    }
    values = _values(config)
    if values is None:
        # No names given: a speaker is identified when the conversation says their name.
        spoken = set(text.lower().replace(",", " ").replace(".", " ").split())
        return {label: name for label, name in truth.items() if name.split()[0].lower() in spoken}
    mapping: dict[str, str] = {}
    unmatched = []
    for value in values:
        fitting = [label for label, values in known.items() if any(_fits(value, v, speaker_type) for v in values)]
        if not fitting:
            unmatched.append(value)
        elif len(fitting) > 1:
            raise EmulatorError(
                400, f"{value!r} fits more than one speaker of this recording ({', '.join(fitting)}): be more specific."
            )
        else:
            mapping[fitting[0]] = value
    if unmatched:
        fields = "name" if speaker_type == "name" else "role, other_roles"
        raise EmulatorError(
            400,
            f"The emulator identifies speakers from its conversation scripts, and {unmatched} "
            f"{'matches' if len(unmatched) == 1 else 'match'} no {speaker_type} of a speaker in "
            f"data/scripts/{conversation.name.split('-part')[0]}.yaml ({fields}). Give the {speaker_type}s the "
            "script uses; "
            "the real service would guess from the conversation instead.",
        )
    return mapping


def identify_speakers(
    result: dict,
    conversation: Conversation,
    config: dict,
    also: dict[str, list[str]] | None = None,
    speakers: dict[str, str] | None = None,
) -> dict:
    """Speaker identification on a completed transcript ``result`` of ``conversation``: the task's
    mapping and the utterances and words with names or roles in place of labels. Shared by the
    understanding endpoint and, for a transcript request with ``speech_understanding``, by
    ``transcripts``. ``also``: :func:`other_roles`; ``speakers``: the script speaker of each label
    (``TranscriptRecord.speakers``)."""
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise EmulatorError(400, f"The emulator does not emulate {', '.join(unknown)} in speaker_identification.")
    if not result.get("utterances"):
        raise EmulatorError(
            400,
            "Speaker identification needs a transcript made with speaker_labels: true (Speaker Diarization); "
            f"transcript {result['id']} has no speaker labels.",
        )
    labels = sorted({u["speaker"] for u in result["utterances"]})
    mapping = _mapping(config, labels, conversation, result["text"] or "", also or {}, speakers or {})
    utterances = copy.deepcopy(result["utterances"])
    for utterance in utterances:
        utterance["speaker"] = mapping.get(utterance["speaker"], utterance["speaker"])
        for word in utterance["words"]:
            word["speaker"] = mapping.get(word["speaker"], word["speaker"])
    return {
        "speech_understanding": {
            "request": {"speaker_identification": config},
            "response": {"speaker_identification": {"mapping": mapping, "status": "success"}},
        },
        "utterances": utterances,
        "words": [word for utterance in utterances for word in utterance["words"]],
    }


def speaker_identification(state: State, transcript_id: str, config: dict) -> dict:
    """Speaker labels replaced by names or roles in the transcript's utterances and words."""
    record = lookup(state, transcript_id)
    result, conversation = record.completed()
    also = other_roles(state.data_dir, conversation)
    return identify_speakers(result, conversation, config, also, record.speakers)


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
    turns = load_yaml(path.read_text()).get(register)
    if not turns:
        raise EmulatorError(
            400,
            f"translation.formal: the emulator does not emulate formal={register == 'formal'} for '{language}': "
            f"{shown} has no {register} translation. Use the other register, or record live.",
        )
    return turns


#: The translation options the spec documents, each emulated (``formal`` picks the register).
TRANSLATION_KEYS = {"target_languages", "formal", "match_original_utterance"}


def translation(state: State, transcript_id: str, options: dict) -> dict:
    """Translate a completed transcript, turn by turn, from reference translations written for the
    conversation (honest translations, not model output): ``translated_texts`` for the whole text,
    and per utterance when ``match_original_utterance`` is set (which needs speaker labels)."""
    unknown = sorted(set(options) - TRANSLATION_KEYS)
    if unknown:
        raise EmulatorError(
            400,
            f"The emulator does not emulate {', '.join(unknown)} in translation: it knows "
            f"{', '.join(sorted(TRANSLATION_KEYS))}. Leave {'it' if len(unknown) == 1 else 'them'} out.",
        )
    result, conversation = _transcript(state, transcript_id)
    if options.get("match_original_utterance") and not result.get("utterances"):
        raise EmulatorError(
            400,
            "translation.match_original_utterance: the transcript has no utterances; the emulator translates "
            "utterances only for a transcript made with speaker_labels=true.",
        )
    register = "formal" if options.get("formal", True) else "informal"
    starts = [w["start"] for w in conversation.words]

    def turn_of(word: dict) -> int:
        """The script turn a transcript word belongs to, by time: its written form may differ from
        the script's (digits, a misheard name split in two), its start does not move."""
        index = max(0, bisect.bisect_right(starts, word["start"]) - 1)
        return conversation.words[index]["turn"]

    words = result["words"] or []
    references = {lang: _reference(state, conversation.name, lang, register) for lang in options["target_languages"]}

    def translate(span: list[dict]) -> dict[str, str]:
        turns = list(dict.fromkeys(turn_of(w) for w in span))
        return {lang: " ".join(turns_text[t] for t in turns) for lang, turns_text in references.items()}

    answer = {
        "id": result["id"],
        "speech_understanding": {
            "request": {"translation": options},
            "response": {"translation": {"status": "completed"}},
        },
        "text": result["text"],
        "translated_texts": translate(words),
        "words": words,
    }
    if options.get("match_original_utterance"):
        answer["utterances"] = [{**u, "translated_texts": translate(u["words"])} for u in result["utterances"]]
    return answer


#: Task name -> its handler (state, transcript id, the task's configuration) -> response body.
HANDLERS: dict[str, Callable[[State, str, dict], dict]] = {
    "speaker_identification": speaker_identification,
    "translation": translation,
}


def understand(state: State, body: dict) -> dict:
    """``POST /v1/understanding``: one task per request, answered by its handler."""
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise EmulatorError(400, f"The emulator does not emulate {', '.join(unknown)} in an understanding request.")
    request = body["speech_understanding"]["request"]
    tasks = sorted(request)
    if len(tasks) != 1:
        raise EmulatorError(
            400, f"Send one understanding task per request (this one has {tasks}): the emulator answers them apart."
        )
    task = tasks[0]
    if task in REFUSED:
        raise EmulatorError(400, REFUSED[task])
    handler = HANDLERS.get(task)
    if handler is None:
        raise EmulatorError(400, f"The emulator does not emulate the understanding task {task!r}.")
    response = handler(state, body["transcript_id"], request[task])
    return {"request_id": state.next_id("understanding", body["transcript_id"], task), **response}


#: The tasks ``/v1/understanding`` knows (the March spec's three and the 2026 two, facts section 6).
KNOWN_TASKS = ("translation", "speaker_identification", "custom_formatting", "summarization", "action_items")


def _task_problems(task: str, config: object) -> list[str]:
    """What is wrong with one task's configuration, by the rules :func:`understand` applies."""
    if task not in KNOWN_TASKS:
        return [f"unknown speech understanding task {task!r}: the tasks are {', '.join(KNOWN_TASKS)}"]
    if task in REFUSED:
        return [REFUSED[task]]
    if not isinstance(config, dict):
        return [f"{task} must be an object"]
    if task == "translation":
        languages = config.get("target_languages")
        if not (isinstance(languages, list) and languages and all(isinstance(x, str) and x for x in languages)):
            return ["translation.target_languages must be a non-empty list of language codes"]
        return []
    problems = [f"speaker_identification: {name} is not emulated" for name in sorted(set(config) - CONFIG_KEYS)]
    if config.get("speaker_type") not in ("name", "role"):
        problems.append("speaker_identification.speaker_type must be 'name' or 'role'")
    else:
        try:
            _values(config)
        except EmulatorError as error:
            problems.append(f"speaker_identification: {error}")
    return problems


def validate(state: State, body: dict) -> dict:
    """``POST /v1/understanding/validate``: the request checked as :func:`understand` would check it,
    without running it (SDK 1.8.2 ``understanding.validate``). Valid: 200 ``{request_id}`` (the
    documented reading: any 200 is success and the SDK reads no body; UNVERIFIED, in the probe).
    Invalid: a 400 listing every problem in ``metadata.errors``. A ``transcript_id``, optional here,
    must name a transcript (else the gateway's 404). Tasks the emulator does not emulate are refused
    by name, since it cannot say whether the service would take their settings."""
    problems = [f"{key} is not emulated in an understanding request" for key in sorted(set(body) - BODY_KEYS)]
    request = body["speech_understanding"]["request"]
    for task in sorted(request):
        problems += _task_problems(task, request[task])
    if body.get("transcript_id") is not None:
        lookup(state, body["transcript_id"])
    if problems:
        raise EmulatorError(400, text("gateway_invalid_body"), causes=problems)
    return {"request_id": state.next_id("understanding-validate", body.get("transcript_id"))}
