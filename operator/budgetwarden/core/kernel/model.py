"""The base of every resource model, the metadata budgetwarden reads, and parsing with messages.

Every spec model (SLO, ErrorBudgetPolicy, FreezeException) derives from `Model` and is parsed by
`parse_resource`, which turns pydantic's errors into one `Problem` per bad field, each naming the
field in its wire form (`spec.targets[0].kind`) and saying what is allowed, then what was given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.patterns import pattern_words
from budgetwarden.core.kernel.suggest import redundant_missing, unknown_field_message

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
Labels = dict[str, str]


class Model(BaseModel):
    """Base of every spec model: immutable, camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class ObjectMeta(Model):
    """The part of metadata budgetwarden reads; everything else is ignored, not rejected."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    name: str = Field(min_length=1, max_length=63, pattern=NAME_PATTERN)
    namespace: str = Field(default="default", min_length=1, max_length=63, pattern=NAME_PATTERN)
    labels: Labels = Field(default_factory=dict)
    generation: int = 0
    uid: str = ""


ResourceT = TypeVar("ResourceT", bound=BaseModel)


def _field_path(loc: tuple[int | str, ...]) -> str:
    """("spec", "targets", 0, "kind") -> "spec.targets[0].kind"; () -> "resource"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]" and not part.startswith(("function-", "tagged-union")):
            path += f".{part}" if path else part
    return path or "resource"


def _shown(value: Any) -> str:
    """A user's value as a message quotes it: strings in double quotes, containers by kind."""
    if isinstance(value, str):
        return f'"{value[:80]}"'
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, Mapping | list | tuple):
        return "a mapping" if isinstance(value, Mapping) else "a list"
    return repr(value)


_TIMESTAMP = 'must be a timestamp with a time zone such as "2026-12-01T18:00:00Z"; got {got}'
# pydantic's wording, rewritten the way this project phrases every problem: what is allowed,
# then what was given.
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "literal_error": "must be {expected}; got {got}",
    "enum": "must be {expected}; got {got}",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters long",
    "string_pattern_mismatch": "{pattern_words}; got {got}",
    "string_type": "must be a string; got {got}",
    "too_short": "must have at least {min_length} {items}",
    "too_long": "must have at most {max_length} {items}",
    "bool_parsing": "must be true or false; got {got}",
    "bool_type": "must be true or false; got {got}",
    "model_type": "must be a mapping of fields; got {got}",
    "model_attributes_type": "must be a mapping of fields; got {got}",
    "dict_type": "must be a mapping; got {got}",
    "tuple_type": "must be a list; got {got}",
    "timezone_aware": _TIMESTAMP,
    "datetime_parsing": _TIMESTAMP,
    "datetime_from_date_parsing": _TIMESTAMP,
    "datetime_type": _TIMESTAMP,
}


def _message(error: Mapping[str, Any]) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    ctx = dict(error.get("ctx") or {})
    # Literal[Level.X] prints members as <Level.X: 'X'>; users wrote and should read 'X'.
    expected = re.sub(r"<\w+\.\w+: ('[^']*')>", r"\1", str(ctx.get("expected", "")))
    ctx["expected"] = expected.replace("'", "")
    ctx["items"] = "entries" if ctx.get("field_type") == "Dictionary" else "items"
    if ctx.get("min_length") == 1:
        ctx["items"] = ctx["items"].replace("entries", "entry").removesuffix("s")
    ctx["pattern_words"] = pattern_words(str(ctx.get("pattern", "")))
    message = template.format(got=_shown(error.get("input")), **ctx)
    return f"key {message}" if error["loc"][-1:] == ("[key]",) else message


def _problems(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    errors = error.errors()
    # A list whose item failed also reports "too short" (the item was dropped); say it once.
    lists_with_failed_items = {
        e["loc"][:i] for e in errors for i, part in enumerate(e["loc"]) if isinstance(part, int)
    }
    unknown = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]
    # A misspelled required field is one mistake: the unknown field says what was meant.
    misspelled = redundant_missing(model, unknown)
    return [
        Problem(_field_path(e["loc"]), _explained(e, model))
        for e in errors
        if not (e["type"] == "too_short" and e["loc"] in lists_with_failed_items)
        and not (e["type"] == "missing" and e["loc"] in misspelled)
    ]


def _explained(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        return unknown_field_message(model, tuple(error["loc"]))
    return _message(error)


def parse_resource(model: type[ResourceT], resource: Mapping[str, Any]) -> ResourceT:
    """Validate a resource mapping into `model`; raise SpecError naming each bad field."""
    try:
        return model.model_validate(resource)
    except ValidationError as error:
        raise SpecError(_problems(error, model)) from error
