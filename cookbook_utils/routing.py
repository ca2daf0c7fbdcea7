"""Choosing speech models by language."""

from __future__ import annotations

from .config import PRO_LANGUAGES, PRO_MODEL, WIDE_MODEL


def base_language(language_code: str) -> str:
    """``"en_us"`` -> ``"en"``: the language without its regional variant."""
    if not language_code or not language_code.strip():
        raise ValueError("a language code is needed, such as 'en', 'es' or 'hi'")
    return language_code.strip().lower().replace("-", "_").split("_")[0]


def speech_models_for(language_code: str) -> list[str]:
    """The model list for a file in this language: the newest model where it covers the language,
    else the 99-language model."""
    return [PRO_MODEL] if base_language(language_code) in PRO_LANGUAGES else [WIDE_MODEL]
