"""Reading transcript items (words, sentences, utterances) that come either as the SDK's objects
or as plain dicts from the REST API's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def item_field(item: Any, name: str, default: Any = None) -> Any:
    """``item[name]`` for a dict, ``item.name`` for an object; ``default`` when it has none."""
    return item.get(name, default) if isinstance(item, Mapping) else getattr(item, name, default)


def item_as_dict(item: Any) -> dict:
    """A new dict with the item's fields (the SDK's pydantic models are dumped)."""
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "model_dump"):
        return item.model_dump()
    return dict(vars(item))
