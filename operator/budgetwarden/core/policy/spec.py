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

from budgetwarden.core.kernel.durations import human_duration
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
# Notification channels (spec.notify[]). PagerDuty's EU accounts use events.eu.pagerduty.com.
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
HTTP_URL_PATTERN = r"^https?://[^\s]+$"
HOST_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$"
EMAIL_ADDRESS_PATTERN = r"^[^@\s<>,;]+@[^@\s<>,;]+$"
_EmailAddress = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_ADDRESS_PATTERN)]
# StartTLS upgrades after connecting (port 587), Implicit speaks TLS from the start (port 465),
# Disabled is for a relay on the same host or network.
SMTPSecurity = Literal["StartTLS", "Implicit", "Disabled"]
MIN_REMINDER_EVERY = timedelta(minutes=1)
ONE_CHANNEL = "set exactly one of webhook, pagerDuty or email"
AUTH_NEEDS_TLS = "auth needs tls StartTLS or Implicit: a password is never sent in the clear"
_LabelKey = Annotated[str, StringConstraints(max_length=317, pattern=LABEL_KEY_PATTERN)]
_LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE_PATTERN)]
SelectorLabels = dict[_LabelKey, _LabelValue]
# What lifting a freeze's pause does to a canary at a timed pause step (core/freeze/thaw.py).
PauseStepAtThaw = Literal["Restart", "Hold", "Continue"]
# A change of only container resources (requests, limits) is a mitigation, not a new version.
ResourceChanges = Literal["AllowedAtPartialFreeze", "Blocked"]


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


class PagerDutyNotifier(Model):
    """A PagerDuty Events API v2 integration: triggered when a freeze starts, resolved at thaw."""

    routing_key_secret_ref: SecretKeyRef
    url: str = Field(default=PAGERDUTY_EVENTS_URL, max_length=2048, pattern=HTTP_URL_PATTERN)


class SMTPAuth(Model):
    """The SMTP login; both halves are read from Secrets when a mail is sent."""

    username_secret_ref: SecretKeyRef
    password_secret_ref: SecretKeyRef


class EmailNotifier(Model):
    """Plain-text mail through an SMTP server."""

    host: str = Field(min_length=1, max_length=253, pattern=HOST_PATTERN)
    port: int = Field(default=587, ge=1, le=65535)
    sender: _EmailAddress = Field(alias="from")
    to: tuple[_EmailAddress, ...] = Field(min_length=1, max_length=16)
    tls: SMTPSecurity = "StartTLS"
    auth: SMTPAuth | None = None

    @model_validator(mode="after")
    def _no_password_in_the_clear(self) -> EmailNotifier:
        if self.auth is not None and self.tls == "Disabled":
            raise ValueError(AUTH_NEEDS_TLS)
        return self


class Notifier(Model):
    """Where level changes are announced (one channel each), and how often while a freeze lasts."""

    webhook: WebhookNotifier | None = None
    pager_duty: PagerDutyNotifier | None = None
    email: EmailNotifier | None = None
    # None (the default): no reminders, so upgrading never starts paging or mailing anyone.
    reminder_every: Duration | None = None

    @model_validator(mode="after")
    def _one_channel(self) -> Notifier:
        if sum(channel is not None for channel in (self.webhook, self.pager_duty, self.email)) != 1:
            raise ValueError(ONE_CHANNEL)
        return self

    @field_validator("reminder_every")
    @classmethod
    def _reminder_floor(cls, every: timedelta | None) -> timedelta | None:
        if every is not None and every < MIN_REMINDER_EVERY:
            shown = human_duration(every)
            raise ValueError(
                f'must be at least 1m (a reminder storm is a page storm); got "{shown}"'
            )
        return every


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
    resource_changes: ResourceChanges = "AllowedAtPartialFreeze"
    notify: tuple[Notifier, ...] = Field(default=(), max_length=8)

    def lets_resources_through(self, level: Level) -> bool:
        """A change of only containers' resources passes this policy at `level`: at
        PartialFreeze, unless resourceChanges says Blocked. Admission, enforcement and the
        detection fallback all ask this."""
        return level == Level.PARTIAL_FREEZE and self.resource_changes == "AllowedAtPartialFreeze"


class ErrorBudgetPolicy(Model):
    """An ErrorBudgetPolicy resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: ErrorBudgetPolicySpec = Field(default_factory=ErrorBudgetPolicySpec)


def parse_policy(resource: Mapping[str, Any]) -> ErrorBudgetPolicy:
    """Parse an ErrorBudgetPolicy resource; raise SpecError naming each bad field."""
    return parse_resource(ErrorBudgetPolicy, resource)
