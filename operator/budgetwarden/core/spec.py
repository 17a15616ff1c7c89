"""Frozen models of the SLO resource and the pieces all resources share.

`parse_slo` (here) and `parse_policy` / `parse_exception` (in `policy_spec`) take a resource
as a mapping (what kopf or yaml.safe_load gives) and return a model or raise `SpecError` naming
every bad field in its wire form (`spec.indicator.ratio.errors`). A contract test keeps these
models and `crds/` in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from budgetwarden.core.durations import format_duration
from budgetwarden.core.errors import Problem, SpecError
from budgetwarden.core.types import Duration, Factor, Percent

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
PROM_LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
URL_PATTERN = r"^https?://"
MIN_OBJECTIVE = Decimal("1")
MIN_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(days=90)


class Model(BaseModel):
    """Base of every spec model: immutable, camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class Level(StrEnum):
    """Freeze levels, mildest first; Unknown means the data needed to decide is missing."""

    NORMAL = "Normal"
    WARNING = "Warning"
    PARTIAL_FREEZE = "PartialFreeze"
    FULL_FREEZE = "FullFreeze"
    UNKNOWN = "Unknown"


Query = str  # a PromQL expression, may contain Sloth's {{.window}} template
Labels = dict[str, str]
# Labels and annotations put on generated alerts: keys must be Prometheus label names.
_PromName = Annotated[str, StringConstraints(max_length=128, pattern=PROM_LABEL_NAME_PATTERN)]
AlertLabels = dict[_PromName, Annotated[str, StringConstraints(max_length=256)]]
AlertAnnotations = dict[_PromName, Annotated[str, StringConstraints(max_length=4096)]]


def _positive(factor: Decimal) -> Decimal:
    if factor <= 0:
        raise ValueError(f'must be greater than 0; got "{factor}"')
    return factor


# A burn-rate factor above zero: "0" would fire on any error at all.
PositiveFactor = Annotated[Factor, AfterValidator(_positive)]


# --- SLO -------------------------------------------------------------------------------------
class RatioIndicator(Model):
    """errors/total or good/total; queries use `{{.window}}` where the range goes."""

    errors: Query | None = Field(default=None, min_length=1, max_length=4096)
    good: Query | None = Field(default=None, min_length=1, max_length=4096)
    total: Query = Field(min_length=1, max_length=4096)

    @model_validator(mode="after")
    def _one_of_errors_or_good(self) -> RatioIndicator:
        if (self.errors is None) == (self.good is None):
            raise ValueError("set exactly one of errors or good")
        return self


class LatencyIndicator(Model):
    """Requests faster than `threshold`, read from a histogram's buckets."""

    histogram: Query = Field(min_length=1, max_length=1024)
    threshold: Duration


class AvailabilityIndicator(Model):
    """An up-style gauge: 1 when healthy, 0 when not; each sample counts once."""

    up: Query = Field(min_length=1, max_length=1024)


class Indicator(Model):
    """Exactly one kind of indicator."""

    ratio: RatioIndicator | None = None
    latency: LatencyIndicator | None = None
    availability: AvailabilityIndicator | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Indicator:
        chosen = [k for k in ("ratio", "latency", "availability") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("set exactly one of ratio, latency or availability")
        return self


class AlertTier(Model):
    """Labels and annotations added to one tier of burn-rate alerts; `disabled` drops it."""

    labels: AlertLabels = Field(default_factory=dict, max_length=32)
    annotations: AlertAnnotations = Field(default_factory=dict, max_length=32)
    disabled: bool = False


class BurnRateWindow(Model):
    """One multi-window alert condition: both windows burn faster than `factor`."""

    tier: Literal["page", "ticket"]
    long_window: Duration
    short_window: Duration
    factor: PositiveFactor

    @model_validator(mode="after")
    def _short_below_long(self) -> BurnRateWindow:
        if self.short_window >= self.long_window:
            raise ValueError("shortWindow must be shorter than longWindow")
        return self


class Alerting(Model):
    """How the generated alerts look and when they fire."""

    runbook_url: str | None = Field(
        default=None, alias="runbookURL", max_length=2048, pattern=URL_PATTERN
    )
    labels: AlertLabels = Field(default_factory=dict, max_length=32)
    page: AlertTier = Field(default_factory=AlertTier)
    ticket: AlertTier = Field(default_factory=AlertTier)
    burn_rate_windows: tuple[BurnRateWindow, ...] = Field(default=(), max_length=8)


class SLOSpec(Model):
    """What a team promises: a service, an objective over a rolling window, an indicator."""

    service: str = Field(min_length=1, max_length=63, pattern=LABEL_VALUE_PATTERN)
    description: str = Field(default="", max_length=1024)
    objective: Percent
    window: Duration
    indicator: Indicator
    alerting: Alerting = Field(default_factory=Alerting)

    @field_validator("objective")
    @classmethod
    def _objective_range(cls, objective: Decimal) -> Decimal:
        if objective >= 100:
            raise ValueError(
                f'must be below 100 (a 100% objective leaves no error budget); got "{objective}"'
            )
        if objective < MIN_OBJECTIVE:
            raise ValueError(
                f'is a percent, not a fraction; got "{objective}", '
                f'did you mean "{(objective * 100).normalize()}"?'
            )
        return objective

    @field_validator("window")
    @classmethod
    def _window_range(cls, window: timedelta) -> timedelta:
        if not MIN_WINDOW <= window <= MAX_WINDOW:
            raise ValueError(f'must be between 1h and 90d; got "{format_duration(window)}"')
        return window


class ObjectMeta(Model):
    """The part of metadata budgetwarden reads; everything else is ignored, not rejected."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    name: str = Field(min_length=1, max_length=63, pattern=NAME_PATTERN)
    namespace: str = Field(default="default", min_length=1, max_length=63, pattern=NAME_PATTERN)
    labels: Labels = Field(default_factory=dict)
    generation: int = 0
    uid: str = ""


class SLO(Model):
    """An SLO resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: SLOSpec


# --- Parsing ---------------------------------------------------------------------------------
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
    "string_pattern_mismatch": "must match {pattern}; got {got}",
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
    message = template.format(got=_shown(error.get("input")), **ctx)
    return f"key {message}" if error["loc"][-1:] == ("[key]",) else message


def _problems(error: ValidationError) -> list[Problem]:
    errors = error.errors()
    # A list whose item failed also reports "too short" (the item was dropped); say it once.
    lists_with_failed_items = {
        e["loc"][:i] for e in errors for i, part in enumerate(e["loc"]) if isinstance(part, int)
    }
    return [
        Problem(_field_path(e["loc"]), _message(e))
        for e in errors
        if not (e["type"] == "too_short" and e["loc"] in lists_with_failed_items)
    ]


def parse_resource(model: type[ResourceT], resource: Mapping[str, Any]) -> ResourceT:
    """Validate a resource mapping into `model`; raise SpecError naming each bad field."""
    try:
        return model.model_validate(resource)
    except ValidationError as error:
        raise SpecError(_problems(error)) from error


def parse_slo(resource: Mapping[str, Any]) -> SLO:
    """Parse an SLO resource; raise SpecError naming each bad field."""
    return parse_resource(SLO, resource)
