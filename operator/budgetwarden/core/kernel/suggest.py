"""What a misspelled field was probably meant to be, for `model.parse_resource`'s messages.

An unknown field (`spec.objectiv`) is looked up among the fields the model allows at that place
(`spec`), by their wire names, and the closest one is offered: `unknown field; did you mean
"objective"?`. The "is required" line pydantic adds for the field that was meant is then
redundant; `redundant_missing` names it so that it can be dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel

# How alike two names must be (difflib's ratio) for one to be offered for the other.
CUTOFF = 0.6
# Up to this many allowed fields are listed when none is close.
LISTED = 8


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds: itself, or inside Optional, list, dict, Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _field(model: type[BaseModel], part: str) -> Any:
    """The field of `model` named `part` on the wire (its alias) or in Python."""
    for name, info in model.model_fields.items():
        if part in (info.alias, name):
            return info
    return None


def allowed_fields(model: type[BaseModel], loc: Iterable[int | str]) -> list[str]:
    """The wire names of the fields allowed at `loc` (the path of the unknown field's parent)."""
    models = [model]
    for part in loc:
        if not isinstance(part, str):
            continue  # a list index: the item has the list's model
        fields = [info for m in models if (info := _field(m, part)) is not None]
        if fields:
            models = [m for info in fields for m in _models_in(info.annotation)]
        # otherwise a mapping's key or pydantic's union tag: the models stay
    names = {info.alias or name for m in models for name, info in m.model_fields.items()}
    return sorted(names)


def unknown_field_message(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """`unknown field`, with the field probably meant or, failing that, the allowed ones."""
    allowed = allowed_fields(model, loc[:-1])
    meant = closest(str(loc[-1]), allowed)
    if meant is not None:
        return f'unknown field; did you mean "{meant}"?'
    if allowed and len(allowed) <= LISTED:
        return f"unknown field; allowed here: {', '.join(allowed)}"
    return "unknown field"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most probably a misspelling of, if any is close enough."""
    choices = list(choices)
    by_case = {choice.lower(): choice for choice in choices}
    if word.lower() in by_case:
        return by_case[word.lower()]
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=CUTOFF)
    return matches[0] if matches else None


def redundant_missing(
    model: type[BaseModel], unknown: Iterable[tuple[int | str, ...]]
) -> set[tuple[int | str, ...]]:
    """The locations of required fields whose misspelling is among the `unknown` ones."""
    found = set()
    for loc in unknown:
        meant = closest(str(loc[-1]), allowed_fields(model, loc[:-1]))
        if meant is not None:
            found.add((*loc[:-1], meant))
    return found
