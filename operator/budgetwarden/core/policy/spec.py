"""Frozen models of ErrorBudgetPolicy and FreezeException, parsed once from the wire format.

Callers use `parse_policy` and `parse_exception`; both raise `SpecError` naming each bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from budgetwarden.core.kernel.levels import Level, Levels
from budgetwarden.core.kernel.model import LABEL_VALUE_PATTERN, Model, ObjectMeta, parse_resource
from budgetwarden.core.kernel.quantities import Duration, Percent, PositiveFactor

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
# What lifting a freeze's pause does to a canary at a timed pause step (core/freeze/thaw.py).
PauseStepAtThaw = Literal["Restart", "Hold", "Continue"]


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
    pause_step_at_thaw: PauseStepAtThaw = "Restart"
    notify: tuple[Notifier, ...] = Field(default=(), max_length=8)


class ErrorBudgetPolicy(Model):
    """An ErrorBudgetPolicy resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: ErrorBudgetPolicySpec = Field(default_factory=ErrorBudgetPolicySpec)


def parse_policy(resource: Mapping[str, Any]) -> ErrorBudgetPolicy:
    """Parse an ErrorBudgetPolicy resource; raise SpecError naming each bad field."""
    return parse_resource(ErrorBudgetPolicy, resource)
