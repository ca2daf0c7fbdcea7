"""The pre-recorded speech models: the one table of what each id is, which languages it takes and
which model-scoped parameters it accepts, and the routing rule for a ``speech_models`` list.

Sources: ``../shared/docs/platform-2026-12.md`` sections 1, 2, 12 (P1, P3, P5) and 13 row 11.
Where the facts file marks a point UNVERIFIED, the table takes a documented reading and says so
in the entry's ``note``; ``docs/emulator-features.md`` is generated from this table (through
``features.table()``), so a reading changes here, in one line, and nowhere else. The live probe
(``tools/probe.py``) checks each reading marked ``unverified``.

- ``served``: transcribes; ``languages`` is a set of base codes, or None for Universal-2's 99.
- ``retired``: a model the API once served; a request naming it gets the real 400 (``refusal``).
- ``rejected``: an id the API does not accept in ``speech_models`` (an old name, a typo); its
  400 is the real "must be a non-empty list" text, listing the served models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tools.emulator.errors import EmulatorError, text

Status = Literal["served", "retired", "rejected"]

#: Universal-3.5 Pro's 18 languages (docs: Models and Universal-3.5 Pro pages; the list as the
#: AssemblyAI skill gives it [S9]; a live Hindi request came back universal-3-5-pro, section 13 row 4).
U35_LANGUAGES = frozenset("en es de fr pt it tr nl sv no da fi hi vi ar he ja zh".split())
#: assemblyai-stt-3-7's 32 languages. UNVERIFIED: the official table (P5) was not seen; Vercel
#: counts 32 [S3][S5]. Reading: Universal-3.5 Pro's 18 (a successor does not drop languages), plus
#: ``ur`` (the SDK's Sync docstring adds it to the 18 [S11]), plus the 13 languages that the docs'
#: Universal accuracy table puts highest after those, leaving out Polish and Greek (the facts file's
#: probe P1 uses them as the languages outside stt-3-7). Every shipped clip (en es de fr nl hi zh)
#: is among the 18, so no recording depends on the other 14.
STT37_LANGUAGES = U35_LANGUAGES | frozenset("ur id ru uk ca ko cs ro hu bg hr sk ms th".split())


@dataclass(frozen=True)
class Model:
    """One speech model id: its status, languages and the model-scoped parameters it accepts."""

    id: str
    status: Status
    languages: frozenset[str] | None = frozenset()
    #: Model-scoped request parameters it takes (prompt, temperature, remove_audio_tags, domain...).
    accepts: frozenset[str] = field(default_factory=frozenset)
    keyterms_limit: int | None = None  # most keyterms_prompt entries, None: not accepted
    refusal: str | None = None  # errors.MESSAGES key of the 400 for a retired or rejected id
    source: str = ""
    note: str = ""
    unverified: bool = False  # a documented reading the live probe checks


_PRO = frozenset({"prompt", "temperature", "remove_audio_tags", "domain", "disfluencies"})

#: model id -> its entry. The served ones in the order the "accepted models" text lists them.
MODELS: dict[str, Model] = {
    m.id: m
    for m in [
        Model(
            "assemblyai-stt-3-7",
            "served",
            STT37_LANGUAGES,
            _PRO,
            1000,
            source="[S1][S2] migration guide and model versions page; [S3][S5] Vercel (32 languages, "
            "prompt, temperature, keyterms_prompt, remove_audio_tags)",
            note="flagship since 2026-11-17. UNVERIFIED: its 32 languages (the 18 of Universal-3.5 Pro, ur, "
            "and id ru uk ca ko cs ro hu bg hr sk ms th; Polish and Greek left out, see models.py); it takes "
            "every Universal-3.5 Pro parameter, domain and the 1,000 key terms included (its successor; "
            "no page seen says otherwise)",
            unverified=True,
        ),
        Model(
            "universal-3-5-pro",
            "served",
            U35_LANGUAGES,
            _PRO,
            1000,
            source="[S1][S7][S12]; section 13 row 4 (Hindi, live)",
            note="still served (8 December moves defaults, it retires nothing); 18 languages: "
            + " ".join(sorted(U35_LANGUAGES)),
        ),
        Model(
            "universal-2",
            "served",
            None,
            frozenset({"domain", "disfluencies", "summarization", "auto_chapters"}),
            200,
            source="[S1][S6][S7]",
            note="99 languages, every language the emulator has audio in; no prompt, temperature or "
            "remove_audio_tags; the only model for the deprecated summarization and auto_chapters",
        ),
        Model(
            "universal-3-pro",
            "retired",
            refusal="speech_model_deprecated",
            source="[S6][S7]; the real 400 quoted in [S18]",
            note="refused since 2026-09-02 with the real text",
        ),
        Model(
            "nano",
            "retired",
            refusal="speech_model_unavailable",
            source="[S19] (a 400, 'no longer available'; the rest of the text is the emulator's)",
            note="refused; only the words 'no longer available' are the API's",
        ),
        *(
            Model(
                name,
                "rejected",
                refusal="speech_models_invalid",
                source="[S3] (slam-1 answered with the accepted models); section 13 row 11",
                note="not an accepted id: the real 'must be a non-empty list' text",
            )
            for name in ("best", "universal", "slam-1", "conformer-2")
        ),
    ]
}

#: What the API fills in and echoes when a request leaves ``speech_models`` out. UNVERIFIED (probe):
#: on 2026-12-01 the default is assemblyai-stt-3-7 for accounts made from 2026-11-17, and from
#: 2026-12-08 for the Universal-3.5 Pro-default accounts [S1][S2]; a reader who runs a recipe meets
#: it, so the emulator answers as that account. The list form follows the September probe's echo
#: (``["universal-3-5-pro", "universal-2"]``, section 13 row 5): the flagship, then Universal-2.
DEFAULT_SPEECH_MODELS = ["assemblyai-stt-3-7", "universal-2"]
#: The list the real refusals of ``universal-3-pro`` and of the singular ``speech_model`` recommend,
#: as the newest real text gives it ([S18], 2026-07-31). UNVERIFIED whether it now names stt-3-7.
RECOMMENDED = '["universal-3-5-pro", "universal-2"]'

FALLBACK_RULE = (
    "the first listed model that takes the audio's language transcribes it; the later models of the "
    "list take the languages the earlier ones lack (as documented for lists that name universal-2); a "
    "list with no model for the language ends the transcript in error. UNVERIFIED for lists without "
    "universal-2 (facts P1: the migration guide says the old automatic fallback changed)"
)


def served() -> list[str]:
    """The ids the API transcribes with, in the table's order."""
    return [m.id for m in MODELS.values() if m.status == "served"]


def languages(model_id: str) -> frozenset[str] | None:
    """The base language codes ``model_id`` transcribes (None: Universal-2's 99); empty if not served."""
    model = MODELS.get(model_id)
    return model.languages if model and model.status == "served" else frozenset()


def takes(model_id: str, language: str) -> bool:
    """Whether ``model_id`` transcribes ``language`` (a base code or a code such as ``en_us``)."""
    codes = languages(model_id)
    return codes is None or language.split("_")[0].lower() in codes


def accepts(model_id: str, parameter: str) -> bool:
    """Whether ``model_id`` takes a model-scoped ``parameter`` (``prompt``, ``domain``...)."""
    model = MODELS.get(model_id)
    if model is None:
        return False
    if parameter == "keyterms_prompt":
        return model.keyterms_limit is not None
    return parameter in model.accepts


def choose(speech_models: list[str], language: str) -> str | None:
    """The model that transcribes ``language`` from a ``speech_models`` list (:data:`FALLBACK_RULE`),
    or None when no listed model takes it."""
    return next((model for model in speech_models if takes(model, language)), None)


def _accepted_list() -> str:
    return ", ".join(f'"{model}"' for model in served())


def refusal_text(model_id: str) -> str | None:
    """The real 400 text for a retired or rejected id (or an unknown one); None for a served id."""
    model = MODELS.get(model_id)
    if model is not None and model.status == "served":
        return None
    key = model.refusal if model is not None else "speech_models_invalid"
    return text(key, model=model_id, accepted=_accepted_list(), recommended=RECOMMENDED)


def check_request(body: Any) -> None:
    """Refuse, before the body is checked against the spec (whose enum would answer "Invalid request
    body" first), what the API refuses with texts of its own: a body without ``audio_url``, the
    singular ``speech_model``, and a ``speech_models`` list that is empty or names an id it does not
    serve."""
    if not isinstance(body, dict) or not body.get("audio_url"):
        raise EmulatorError(400, text("audio_url_not_found"))
    if body.get("speech_model") is not None:
        raise EmulatorError(400, text("speech_model_singular", recommended=RECOMMENDED))
    speech_models = body.get("speech_models")
    if speech_models is None:
        return
    if not isinstance(speech_models, list) or not speech_models:
        raise EmulatorError(400, text("speech_models_invalid", accepted=_accepted_list()))
    for model in speech_models:
        refused = (
            refusal_text(model) if isinstance(model, str) else text("speech_models_invalid", accepted=_accepted_list())
        )
        if refused:
            raise EmulatorError(400, refused)


def table_rows() -> list[str]:
    """The model table as Markdown rows (docs/emulator-features.md)."""
    rows = [
        "| model id | status | languages | accepts | source and reading |",
        "| --- | --- | --- | --- | --- |",
    ]
    for model in MODELS.values():
        if model.status != "served":
            langs, takes_ = "-", "-"
        else:
            langs = "99 (every language)" if model.languages is None else f"{len(model.languages)}"
            params = sorted(model.accepts)
            if model.keyterms_limit:
                params.append(f"keyterms_prompt (up to {model.keyterms_limit})")
            takes_ = ", ".join(params)
        refused = f" 400: `{refusal_text(model.id)}`" if model.status != "served" else ""
        note = f"{model.note}.{refused} Source: {model.source}".replace("|", "/")
        rows.append(f"| `{model.id}` | {model.status} | {langs} | {takes_} | {note} |")
    return rows


#: The readings the live probe (tools/probe.py) should check, each: what the emulator assumes.
UNVERIFIED_READINGS: dict[str, str] = {
    "stt37_languages": "assemblyai-stt-3-7 takes the 32 languages of STT37_LANGUAGES (P5); Polish and Greek "
    "are not among them",
    "stt37_parameters": "assemblyai-stt-3-7 takes every Universal-3.5 Pro parameter (domain, 1,000 key terms)",
    "fallback": "a speech_models list routes a language to its first model that takes it, and a list with "
    "no such model ends in error (P1)",
    "default_speech_models": f"a request without speech_models is echoed {DEFAULT_SPEECH_MODELS} and runs "
    "assemblyai-stt-3-7 on an account made from 2026-11-17 (or any U3.5 Pro-default account from 2026-12-08)",
    "recommended_list": f"the universal-3-pro and singular speech_model refusals recommend {RECOMMENDED} (P3)",
    "nano_text": 'speech_models ["nano"] answers 400 with "no longer available" in its text (P3)',
}
