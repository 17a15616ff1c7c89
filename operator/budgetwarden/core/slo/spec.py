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
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.model import Model, ObjectMeta, parse_resource
from budgetwarden.core.kernel.quantities import Duration, Percent, PositiveFactor
from budgetwarden.core.slo.priorities import PRIORITY_LABEL, priority_problem
from budgetwarden.core.slo.rule_object import LABEL_KEY_PATTERN, RuleObject

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
PROM_LABEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
URL_PATTERN = r"^https?://"
ALERT_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a Prometheus metric name, no colons
MIN_OBJECTIVE = Decimal("1")
MIN_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(days=90)
DEFAULT_OUTAGE_HOLD = timedelta(minutes=2)  # the seed's HighErrorRate waits 2 minutes
MAX_OUTAGE_HOLD = timedelta(hours=1)


Query = str  # a PromQL expression, may contain Sloth's {{.window}} template
Labels = dict[str, str]


def _known_priority(labels: dict[str, str]) -> dict[str, str]:
    # Alertmanager routes on `priority`: an unknown value would miss every priority route.
    if (value := labels.get(PRIORITY_LABEL)) is not None and (problem := priority_problem(value)):
        raise ValueError(f"{PRIORITY_LABEL} {problem}")
    return labels


# Labels and annotations put on generated alerts: keys must be Prometheus label names.
_PromName = Annotated[str, StringConstraints(max_length=128, pattern=PROM_LABEL_NAME_PATTERN)]
AlertLabels = Annotated[
    dict[_PromName, Annotated[str, StringConstraints(max_length=256)]],
    AfterValidator(_known_priority),
]
AlertAnnotations = dict[_PromName, Annotated[str, StringConstraints(max_length=4096)]]


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


class AlertSwitch(Model):
    """An alert that is on unless `disabled`: the budget-low and absent-data alerts."""

    disabled: bool = False


def alert_label_name(key: str) -> str:
    """The Prometheus label name a Kubernetes label key becomes: `app.kubernetes.io/team` ->
    `app_kubernetes_io_team`; a leading digit gets a `_` before it."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    return f"_{name}" if name[:1].isdigit() else name


def _distinct_label_names(keys: tuple[str, ...]) -> tuple[str, ...]:
    # Two keys that become one alert label would overwrite each other without a word.
    seen: dict[str, str] = {}
    for key in keys:
        name = alert_label_name(key)
        if seen.get(name) == key:
            raise ValueError(f'names "{key}" twice')
        if name in seen:
            raise ValueError(f'"{seen[name]}" and "{key}" both become the alert label {name}')
        seen[name] = key
    return keys


# Keys of the SLO's metadata.labels copied onto its alerts (spec.alerting.copyLabels).
_CopiedKey = Annotated[str, StringConstraints(max_length=317, pattern=LABEL_KEY_PATTERN)]
CopyLabels = Annotated[tuple[_CopiedKey, ...], AfterValidator(_distinct_label_names)]


def _hold_range(hold: timedelta) -> timedelta:
    # An outage page that waits longer than an hour has stopped being one.
    if hold > MAX_OUTAGE_HOLD:
        raise ValueError(f'must be at most 1h; got "{format_duration(hold)}"')
    return hold


# How long an outage condition must hold before it pages: Prometheus' `for:`.
OutageHold = Annotated[Duration, AfterValidator(_hold_range)]


class ServiceDownAlert(AlertTier):
    """SLOServiceDown, the P0 page when the service stops serving; on unless `disabled`.

    It fires when the SLI counts no events (its series are gone or its rate is 0) or, with
    `upSelector`, instead when no target of that selector is up, for `for`, after the service
    served within the last hour (core/slo/rules_outage.py).
    """

    up_selector: str | None = Field(default=None, min_length=1, max_length=1024)
    hold: OutageHold = Field(default=DEFAULT_OUTAGE_HOLD, alias="for")


class ErrorRateAlert(AlertTier):
    """SLOHighErrorRate, an opt-in page when over `threshold` percent of events are bad (5m)."""

    threshold: Percent
    hold: OutageHold = Field(default=DEFAULT_OUTAGE_HOLD, alias="for")

    @field_validator("threshold")
    @classmethod
    def _threshold_range(cls, threshold: Decimal) -> Decimal:
        if not 0 < threshold < 100:
            raise ValueError(
                f'must be above 0 and below 100 (a percent of events); got "{threshold}"'
            )
        return threshold


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


class AlertRunbook(Model):
    """The runbook of one generated alert, in place of runbookURL and the tiers' annotations."""

    alert: str = Field(max_length=63, pattern=ALERT_NAME_PATTERN)
    url: str = Field(max_length=2048, pattern=URL_PATTERN)


class Alerting(Model):
    """How the generated alerts look and when they fire."""

    runbook_url: str | None = Field(
        default=None, alias="runbookURL", max_length=2048, pattern=URL_PATTERN
    )
    runbooks: tuple[AlertRunbook, ...] = Field(default=(), max_length=16)
    labels: AlertLabels = Field(default_factory=dict, max_length=32)
    page: AlertTier = Field(default_factory=AlertTier)
    ticket: AlertTier = Field(default_factory=AlertTier)
    burn_rate_windows: tuple[BurnRateWindow, ...] = Field(default=(), max_length=8)
    service_down: ServiceDownAlert = Field(default_factory=ServiceDownAlert)
    error_rate: ErrorRateAlert | None = None
    budget_low: AlertSwitch = Field(default_factory=AlertSwitch)
    metrics_absent: AlertSwitch = Field(default_factory=AlertSwitch)
    copy_labels: CopyLabels = Field(default=(), max_length=16)

    @field_validator("runbooks")
    @classmethod
    def _one_runbook_per_alert(cls, runbooks: tuple[AlertRunbook, ...]) -> tuple[AlertRunbook, ...]:
        # The CRD keys the list by alert; offline validation refuses what the API server does.
        seen = [entry.alert for entry in runbooks]
        if twice := sorted({alert for alert in seen if seen.count(alert) > 1}):
            raise ValueError(f"names each alert once; {', '.join(twice)} more than once")
        return runbooks

    def runbook_of(self, alert: str) -> str | None:
        """The runbook spec.alerting.runbooks gives `alert`, if any."""
        return next((entry.url for entry in self.runbooks if entry.alert == alert), None)


class SLOSpec(Model):
    """What a team promises: a service, an objective over a rolling window, an indicator."""

    service: str = Field(min_length=1, max_length=63, pattern=LABEL_VALUE_PATTERN)
    description: str = Field(default="", max_length=1024)
    objective: Percent
    window: Duration
    indicator: Indicator
    alerting: Alerting = Field(default_factory=Alerting)
    prometheus_rule: RuleObject = Field(default_factory=RuleObject)

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


class SLO(Model):
    """An SLO resource."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: SLOSpec


def parse_slo(resource: Mapping[str, Any]) -> SLO:
    """Parse an SLO resource; raise SpecError naming each bad field."""
    return parse_resource(SLO, resource)
