"""Frozen models of the SLO resource and the pieces all resources share.

`parse_slo` (here) and `parse_policy` / `parse_exception` (in `policy_spec`) take a resource
as a mapping (what kopf or yaml.safe_load gives) and return a model or raise `SpecError` naming
every bad field in its wire form (`spec.indicator.ratio.errors`). A contract test keeps these
models and `crds/` in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from budgetwarden.core.errors import Problem, SpecError
from budgetwarden.core.types import Duration, Factor, Percent

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
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
            raise ValueError(
                f"set exactly one of ratio, latency or availability; got {len(chosen)}"
            )
        return self


class AlertTier(Model):
    """Labels and annotations added to one tier of burn-rate alerts; `disabled` drops it."""

    labels: Labels = Field(default_factory=dict, max_length=32)
    annotations: Labels = Field(default_factory=dict, max_length=32)
    disabled: bool = False


class BurnRateWindow(Model):
    """One multi-window alert condition: both windows burn faster than `factor`."""

    tier: Literal["page", "ticket"]
    long_window: Duration
    short_window: Duration
    factor: Factor

    @model_validator(mode="after")
    def _short_below_long(self) -> BurnRateWindow:
        if self.short_window >= self.long_window:
            raise ValueError("shortWindow must be shorter than longWindow")
        return self


class Alerting(Model):
    """How the generated alerts look and when they fire."""

    runbook_url: str | None = Field(default=None, alias="runbookURL", max_length=2048)
    labels: Labels = Field(default_factory=dict, max_length=32)
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
            raise ValueError("must be between 1h and 90d")
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
    """("spec", "targets", 0, "kind") -> "spec.targets[0].kind"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-", "tagged-union")):
            path += f".{part}" if path else part
    return path


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "is required"
    return message


def parse_resource(model: type[ResourceT], resource: Mapping[str, Any]) -> ResourceT:
    try:
        return model.model_validate(resource)
    except ValidationError as error:
        problems = [Problem(_field_path(e["loc"]), _message(e)) for e in error.errors()]
        raise SpecError(problems) from error


def parse_slo(resource: Mapping[str, Any]) -> SLO:
    """Parse an SLO resource; raise SpecError naming each bad field."""
    return parse_resource(SLO, resource)
