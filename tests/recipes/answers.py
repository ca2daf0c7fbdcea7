"""The recipes' reference answers (data/answers/<slug>/), read by the lesson tests."""

from pathlib import Path

ANSWERS = Path(__file__).resolve().parents[2] / "data" / "answers"


def answer(slug: str, name: str) -> str:
    """The text of reference answer ``name`` of recipe ``slug``."""
    return (ANSWERS / slug / name).read_text()
