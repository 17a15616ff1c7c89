"""What the alert review reads and builds: the period, series of `ALERTS`, loaded rules, fires.

The adapter (adapters/prometheus_history.py) returns `Series` and `LoadedRule`; `intervals`
turns series into `Fire`s. Labels are plain mappings of label name to value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from budgetwarden.core.kernel import conventions as names

ALERTNAME = "alertname"
ALERTSTATE = "alertstate"
SEVERITY_LABEL = "severity"
RUNBOOK_ANNOTATION = "runbook_url"


@dataclass(frozen=True)
class Period:
    """The reviewed time range, [start, end], sampled every `step`."""

    start: datetime
    end: datetime
    step: timedelta

    @property
    def length(self) -> timedelta:
        """How long the period is."""
        return self.end - self.start


@dataclass(frozen=True)
class Series:
    """One `ALERTS` series: its labels, and the steps at which it was firing, in order."""

    labels: Mapping[str, str]
    times: tuple[datetime, ...]


@dataclass(frozen=True)
class LoadedRule:
    """An alerting rule Prometheus has loaded: name, static labels, annotations, group."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    group: str = ""
    interval: timedelta = timedelta(minutes=1)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a series of `ALERTS` with `labels` was raised by this rule."""
        if labels.get(ALERTNAME) != self.name:
            return False
        return all(labels.get(key) == value for key, value in self.labels.items())


@dataclass(frozen=True)
class Fire:
    """One firing of one series: from the first step it fired to the first step it did not.

    `open_start`: it was already firing when the period began (not a transition seen);
    `open_end`: it was still firing when the period ended (not resolved yet).
    """

    labels: Mapping[str, str]
    start: datetime
    end: datetime
    open_start: bool = False
    open_end: bool = False

    @property
    def duration(self) -> timedelta:
        """How long it fired within the period."""
        return self.end - self.start

    @property
    def alertname(self) -> str:
        """The alert's name."""
        return self.labels.get(ALERTNAME, "")


def slo_of(labels: Mapping[str, str]) -> str | None:
    """ "namespace/name" of the SLO an alert belongs to, or None for an alert of no SLO."""
    name = labels.get(names.PROM_LABEL_SLO)
    if not name:
        return None
    namespace = labels.get(names.PROM_LABEL_NAMESPACE)
    return f"{namespace}/{name}" if namespace else name
