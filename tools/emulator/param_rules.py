"""The rules of the transcript parameters added by the API of 2026 (the spec of 2026-08-18 and
../shared/docs/platform-2026-12.md section 2): the prompt and key-term limits, which models take a
prompt, and what needs ``redact_pii``. :func:`problem` gives a request's 400 text, or None.

Which model takes what comes from one table, :data:`TAKES` (until the emulator's model table,
``emu-models``, replaces it). The limits are checked at submission, before the language and so the
model that transcribes are known: a key-term list is refused only when it is above the limit of
every listed model (the largest), since it is valid for at least one of them.
"""

from __future__ import annotations

from tools.emulator.errors import text

#: The spec's default speech_models (used when a request leaves them out).
DEFAULT_MODELS = ("universal-3-5-pro", "universal-2")
#: model -> (takes a prompt, the most key terms it takes). The spec: prompt "only supported for the
#: Universal-3.5 Pro model", key terms "up to 200 (for Universal-2) or 1000 (for Universal-3.5 Pro)";
#: assemblyai-stt-3-7 takes prompt and keyterms_prompt like Universal-3.5 Pro (platform-2026-12.md
#: section 2, [S3]: its 1000 is that reading, UNVERIFIED).
TAKES: dict[str, tuple[bool, int]] = {
    "assemblyai-stt-3-7": (True, 1000),
    "universal-3-5-pro": (True, 1000),
    "universal-2": (False, 200),
}
PROMPT_MAX_WORDS = 1500
KEYTERM_MAX_WORDS = 6
#: Parameters the spec says need ``redact_pii: true`` ("otherwise a 400 error is returned").
NEED_REDACT_PII = ("redact_pii_return_unredacted", "redact_static_entities")


def models(params: dict) -> list[str]:
    """The speech models the request lists, or the spec's default."""
    return list(params.get("speech_models") or DEFAULT_MODELS)


def takes_prompt(model: str | None) -> bool:
    """Whether ``model`` applies a prompt (a model the table does not know does not)."""
    return bool(model) and TAKES.get(model, (False, 0))[0]


def problem(params: dict) -> str | None:
    """The 400 message for the first rule the request breaks, else None."""
    prompt = params.get("prompt")
    if prompt is not None and len(prompt.split()) > PROMPT_MAX_WORDS:
        return text("prompt_too_long", words=len(prompt.split()), limit=PROMPT_MAX_WORDS)
    terms = params.get("keyterms_prompt") or []
    for term in terms:
        if len(term.split()) > KEYTERM_MAX_WORDS:
            return text("keyterm_too_long", term=term, words=len(term.split()), limit=KEYTERM_MAX_WORDS)
    limit = max((TAKES.get(model, (False, 200))[1] for model in models(params)), default=200)
    if len(terms) > limit:
        return text("too_many_keyterms", count=len(terms), limit=limit, models=models(params))
    for name in NEED_REDACT_PII:
        if params.get(name) and not params.get("redact_pii"):
            return text("needs_redact_pii", name=name)
    return None
