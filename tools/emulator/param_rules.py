"""The rules of the transcript parameters added by the API of 2026 (the spec of 2026-08-18 and
../shared/docs/platform-2026-12.md section 2): the prompt and key-term limits, and what needs
``redact_pii``. :func:`problem` gives a request's 400 text, or None.

Which model takes a prompt, and how many key terms, comes from the emulator's one model table
(``tools/emulator/models.py``). The limits are checked at submission, before the language and so
the model that transcribes are known: a key-term list is refused only when it is above the limit
of every listed model (the largest), since it is valid for at least one of them.
"""

from __future__ import annotations

from tools.emulator import models as model_table
from tools.emulator.errors import text

PROMPT_MAX_WORDS = 1500
KEYTERM_MAX_WORDS = 6
#: Parameters the spec says need ``redact_pii: true`` ("otherwise a 400 error is returned").
NEED_REDACT_PII = ("redact_pii_return_unredacted", "redact_static_entities")


def models(params: dict) -> list[str]:
    """The speech models the request lists, or the account default the emulator fills in."""
    return list(params.get("speech_models") or model_table.DEFAULT_SPEECH_MODELS)


def takes_prompt(model: str | None) -> bool:
    """Whether ``model`` applies a prompt (models.py: ``accepts``)."""
    return bool(model) and model_table.accepts(model, "prompt")


def keyterms_limit(model: str) -> int:
    """The most key terms ``model`` takes (0 for a model the table does not serve)."""
    entry = model_table.MODELS.get(model)
    return (entry.keyterms_limit or 0) if entry else 0


def problem(params: dict) -> str | None:
    """The 400 message for the first rule the request breaks, else None."""
    prompt = params.get("prompt")
    if prompt is not None and len(prompt.split()) > PROMPT_MAX_WORDS:
        return text("prompt_too_long", words=len(prompt.split()), limit=PROMPT_MAX_WORDS)
    terms = params.get("keyterms_prompt") or []
    for term in terms:
        if len(term.split()) > KEYTERM_MAX_WORDS:
            return text("keyterm_too_long", term=term, words=len(term.split()), limit=KEYTERM_MAX_WORDS)
    limit = max((keyterms_limit(model) for model in models(params)), default=0)
    if len(terms) > limit:
        return text("too_many_keyterms", count=len(terms), limit=limit, models=models(params))
    for name in NEED_REDACT_PII:
        if params.get(name) and not params.get("redact_pii"):
            return text("needs_redact_pii", name=name)
    return _speaker_identification_problem(params)


def _speaker_identification_problem(params: dict) -> str | None:
    """Speaker identification asked for with the transcript: it needs ``speaker_labels`` (the
    speaker identification page: "You must set speaker_labels: true in your transcription
    request"), and its configuration is checked as ``POST /v1/understanding`` checks it."""
    from tools.emulator import understanding  # it imports the transcripts, which import this module

    request = (params.get("speech_understanding") or {}).get("request") or {}
    config = request.get("speaker_identification") if isinstance(request, dict) else None
    if config is None:
        return None
    if not params.get("speaker_labels"):
        return text("speaker_identification_needs_labels")
    problems = understanding._task_problems("speaker_identification", config)
    return problems[0] if problems else None
