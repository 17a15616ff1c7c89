"""Frozen models of ErrorBudgetPolicy and FreezeException, parsed once from the wire format.

Callers use `parse_policy` and `parse_exception`; both raise `SpecError` naming each bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from budgetwarden.core.spec import (
    LABEL_VALUE_PATTERN,
    Level,
    Model,
    ObjectMeta,
    PositiveFactor,
    parse_resource,
)
from budgetwarden.core.types import Duration, Percent

# A Kubernetes object name (DNS subdomain) and a qualified label key ("app", "example.com/tier").
OBJECT_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
_LabelKey = Annotated[str, StringConstraints(max_length=317, pattern=LABEL_KEY_PATTERN)]
_LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE_PATTERN)]
SelectorLabels = dict[_LabelKey, _LabelValue]


# --- ErrorBudgetPolicy -----------------------------------------------------------------------
class SelectorRequirement(Model):
    """One matchExpressions entry of a Kubernetes label selector."""

    key: _LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[_LabelValue, ...] = Field(default=(), max_length=64)

    @model_validator(mode="after")
    def _values_match_operator(self) -> SelectorRequirement:
        if (self.operator in ("In", "NotIn")) != bool(self.values):
            raise ValueError("values must be set for In and NotIn, and empty otherwise")
        return self


class LabelSelector(Model):
    """A Kubernetes label selector; an empty one selects everything in the namespace."""

    match_labels: SelectorLabels = Field(default_factory=dict, max_length=32)
    match_expressions: tuple[SelectorRequirement, ...] = Field(default=(), max_length=16)


class TargetKind(StrEnum):
    """Workload kinds a freeze can hold."""

    ROLLOUT = "Rollout"
    DEPLOYMENT = "Deployment"


class PolicyTarget(Model):
    """Workloads of one kind, chosen by selector, that a freeze holds."""

    kind: TargetKind
    selector: LabelSelector = Field(default_factory=LabelSelector)


class Levels(Model):
    """Remaining-budget thresholds in percent; each level starts below its number."""

    warning_below: Percent = Decimal("50")
    partial_freeze_below: Percent = Decimal("30")
    full_freeze_below: Percent = Decimal("10")

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        if not 100 >= self.warning_below > self.partial_freeze_below > self.full_freeze_below:
            raise ValueError(
                "thresholds must be ordered: 100 >= warningBelow > partialFreezeBelow > "
                f"fullFreezeBelow; got {self.warning_below} > {self.partial_freeze_below} > "
                f"{self.full_freeze_below}"
            )
        return self


class BurnRateTrigger(Model):
    """Freeze on a sustained fast burn, before the budget itself is low."""

    long_window: Duration
    short_window: Duration
    factor: PositiveFactor
    level: Literal[Level.WARNING, Level.PARTIAL_FREEZE, Level.FULL_FREEZE]

    @model_validator(mode="after")
    def _short_below_long(self) -> BurnRateTrigger:
        if self.short_window >= self.long_window:
            raise ValueError("shortWindow must be shorter than longWindow")
        return self


class Hysteresis(Model):
    """Leave a level only above its threshold plus a margin, and not before a minimum hold."""

    exit_margin_percent: Percent = Decimal("5")
    minimum_hold: Duration = timedelta(minutes=30)

    @field_validator("exit_margin_percent")
    @classmethod
    def _margin_range(cls, margin: Decimal) -> Decimal:
        if margin > 100:
            raise ValueError(f'must be at most 100; got "{margin}"')
        return margin


class SecretKeyRef(Model):
    """A key in a Secret of the policy's namespace."""

    name: str = Field(min_length=1, max_length=253, pattern=OBJECT_NAME_PATTERN)
    key: str = Field(min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN)


class WebhookNotifier(Model):
    """A Slack-compatible incoming webhook; the URL is read from a Secret."""

    url_secret_ref: SecretKeyRef


class Notifier(Model):
    """Where level changes are announced."""

    webhook: WebhookNotifier


class ErrorBudgetPolicySpec(Model):
    """How a team acts on its error budgets."""

    slo_selector: LabelSelector = Field(default_factory=LabelSelector)
    targets: tuple[PolicyTarget, ...] = Field(default=(), max_length=16)
    levels: Levels = Field(default_factory=Levels)
    burn_rate_triggers: tuple[BurnRateTrigger, ...] = Field(default=(), max_length=8)
    hysteresis: Hysteresis = Field(default_factory=Hysteresis)
    enforcement: Literal["Enforce", "Warn", "DryRun"] = "Enforce"
    on_metrics_unavailable: Literal["Hold", "Thaw", "Freeze"] = "Hold"
    in_flight: Literal["Pause", "Abort", "Ignore"] = "Pause"
    notify: tuple[Notifier, ...] = Field(default=(), max_length=8)


class ErrorBudgetPolicy(Model):
    """An ErrorBudgetPolicy resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: ErrorBudgetPolicySpec = Field(default_factory=ErrorBudgetPolicySpec)


# --- FreezeException -------------------------------------------------------------------------
class ExceptionTarget(Model):
    """A workload an exception lets through: by name or by selector, never both."""

    kind: TargetKind
    name: str | None = Field(default=None, max_length=253, pattern=OBJECT_NAME_PATTERN)
    selector: LabelSelector | None = None

    @model_validator(mode="after")
    def _name_or_selector(self) -> ExceptionTarget:
        if (self.name is None) == (self.selector is None):
            raise ValueError("set exactly one of name or selector")
        return self


def _timestamp(value: Any) -> Any:
    # YAML gives a datetime for an unquoted timestamp; reject numbers rather than guess an epoch.
    if not isinstance(value, str | datetime):
        raise ValueError(
            f'must be a timestamp with a time zone such as "2026-12-01T18:00:00Z"; got {value!r}'
        )
    return value


# An RFC 3339 timestamp with a zone; a naive one would be read in whatever zone the reader is in.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp)]


class FreezeExceptionSpec(Model):
    """A time-boxed permission to ship through a freeze, recorded with its approver."""

    targets: tuple[ExceptionTarget, ...] = Field(min_length=1, max_length=16)
    max_level: Literal[Level.PARTIAL_FREEZE, Level.FULL_FREEZE] = Level.PARTIAL_FREEZE
    reason: str = Field(min_length=1, max_length=1024)
    ticket: str = Field(default="", max_length=256)
    expires_at: Timestamp
    approved_by: str | None = Field(default=None, max_length=256)


class FreezeException(Model):
    """A FreezeException resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: FreezeExceptionSpec


def parse_policy(resource: Mapping[str, Any]) -> ErrorBudgetPolicy:
    """Parse an ErrorBudgetPolicy resource; raise SpecError naming each bad field."""
    return parse_resource(ErrorBudgetPolicy, resource)


def parse_exception(resource: Mapping[str, Any]) -> FreezeException:
    """Parse a FreezeException resource; raise SpecError naming each bad field."""
    return parse_resource(FreezeException, resource)
