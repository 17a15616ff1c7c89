"""The alert review of one period: per alert, per SLO, runbooks, and incidents.

`review` is called by the CLI (cli/report.py) with the series of `ALERTS` and the rules
Prometheus has loaded. Each series belongs to the loaded rule whose name and static labels it
carries (the most specific one), and its fires are counted per budget level the series carry
(the one SLOErrorBudgetLow rule of an SLO raises the alert of each level); series of no loaded
rule (a rule since removed, renamed or relabelled) are grouped by name and SLO and shown as not
loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.report import thresholds as limits
from budgetwarden.core.report.incidents import Incidents, Score, score
from budgetwarden.core.report.intervals import fires, flapping, most_starts_within, percentile
from budgetwarden.core.report.model import (
    ALERTNAME,
    SEVERITY_LABEL,
    Fire,
    LoadedRule,
    Period,
    Series,
    slo_of,
)
from budgetwarden.core.report.runbooks import runbook_problem
from budgetwarden.core.slo.priorities import PRIORITY_LABEL

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class AlertRow:
    """One alert (a loaded rule, or the series of a rule no longer loaded) and its fires."""

    alertname: str
    slo: str | None
    detail: str
    loaded: bool
    fires: tuple[Fire, ...]

    @property
    def starts(self) -> list[datetime]:
        """When it started firing: transitions seen within the period."""
        return [f.start for f in self.fires if not f.open_start]

    @property
    def firing(self) -> timedelta:
        """Time spent firing within the period, summed over its series."""
        return sum((f.duration for f in self.fires), timedelta())

    @property
    def pages(self) -> int:
        """How many of its starts were pages (`is_page`)."""
        return sum(1 for f in self.fires if not f.open_start and is_page(f.labels))

    @property
    def name(self) -> str:
        """The alert as the report names it: SLOErrorBudgetLow[Warning], and (not loaded)."""
        text = f"{self.alertname}[{self.detail}]" if self.detail else self.alertname
        return text if self.loaded else f"{text} (not loaded)"

    @property
    def resolve_times(self) -> list[timedelta]:
        """Durations of the fires whose start and end both fall within the period."""
        return [f.duration for f in self.fires if not (f.open_start or f.open_end)]

    @property
    def median(self) -> timedelta | None:
        """Median time to resolve."""
        return percentile(self.resolve_times, 50)

    @property
    def p90(self) -> timedelta | None:
        """90th percentile of the time to resolve."""
        return percentile(self.resolve_times, 90)

    @property
    def most_in_hour(self) -> int:
        """The most starts within any FLAP_WINDOW."""
        return most_starts_within(self.starts, limits.FLAP_WINDOW)

    @property
    def flapping(self) -> bool:
        """At least FLAP_FIRES starts within any FLAP_WINDOW."""
        return flapping(self.starts)


@dataclass(frozen=True)
class SloPages:
    """Pages of one SLO over the period, and per week against the limit."""

    slo: str
    pages: int
    per_week: Decimal

    @property
    def over(self) -> bool:
        """More pages a week than thresholds.PAGES_PER_SLO_WEEK."""
        return self.per_week > limits.PAGES_PER_SLO_WEEK


@dataclass(frozen=True)
class RunbookIssue:
    """A loaded rule without a usable runbook."""

    alertname: str
    slo: str | None
    detail: str
    problem: str


@dataclass(frozen=True)
class AlertReview:
    """Everything the report prints."""

    period: Period
    alerts: tuple[AlertRow, ...]
    slos: tuple[SloPages, ...]
    busiest_shift: int
    runbooks: tuple[RunbookIssue, ...]
    scores: tuple[Score, ...] | None
    incidents: Incidents | None

    @property
    def fired(self) -> tuple[AlertRow, ...]:
        """Alerts that fired at some time in the period."""
        return tuple(a for a in self.alerts if a.fires)

    @property
    def never_fired(self) -> tuple[AlertRow, ...]:
        """Loaded rules that did not fire at any time in the period."""
        return tuple(a for a in self.alerts if a.loaded and not a.fires)


def is_page(labels: Mapping[str, str]) -> bool:
    """Priority P0 or P1; without a priority label, a paging severity (thresholds.py)."""
    priority = labels.get(PRIORITY_LABEL)
    if priority is not None:
        return priority in limits.PAGE_PRIORITIES
    return labels.get(SEVERITY_LABEL, "") in limits.PAGE_SEVERITIES


def detail_of(labels: Mapping[str, str]) -> str:
    """What tells apart alerts of one name and SLO: the budget level of budget-low alerts."""
    return labels.get(names.PROM_LABEL_BUDGET_LEVEL, "")


def review(
    period: Period,
    series: Sequence[Series],
    rules: Sequence[LoadedRule],
    incidents: Incidents | None = None,
) -> AlertReview:
    """The review of `period` from the series of `ALERTS` and the loaded alerting rules."""
    alerts = _alerts(period, series, rules)
    every_fire = [f for a in alerts for f in a.fires]
    page_starts = [f.start for f in every_fire if is_page(f.labels) and not f.open_start]
    scores = None
    if incidents is not None:
        scores = tuple(score(every_fire, incidents, period, {a.alertname for a in alerts}))
    return AlertReview(
        period=period,
        alerts=alerts,
        slos=_slo_pages(period, alerts),
        busiest_shift=most_starts_within(page_starts, limits.SHIFT),
        runbooks=_runbook_issues(rules),
        scores=scores,
        incidents=incidents,
    )


def _alerts(
    period: Period, series: Sequence[Series], rules: Sequence[LoadedRule]
) -> tuple[AlertRow, ...]:
    # A rule's fires by the detail their series carry: one budget-low rule raises the alert of
    # every level, each with its level in its labels, and each level is reviewed apart.
    by_rule: dict[int, dict[str, list[Fire]]] = {i: {} for i in range(len(rules))}
    by_name: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        by_name.setdefault(rule.name, []).append(index)
    unloaded: dict[tuple[str, str | None, str], list[Fire]] = {}
    for one in series:
        candidates = by_name.get(one.labels.get(ALERTNAME, ""), [])
        owner = _owner(one.labels, rules, candidates)
        found = fires(one, period)
        if owner is not None and found:
            by_rule[owner].setdefault(detail_of(one.labels), []).extend(found)
        elif owner is None:
            key = (one.labels.get(ALERTNAME, ""), slo_of(one.labels), detail_of(one.labels))
            unloaded.setdefault(key, []).extend(found)
    rows = [
        AlertRow(rule.name, slo_of(rule.labels), detail, True, _sorted(found))
        for i, rule in enumerate(rules)
        for detail, found in (by_rule[i] or {detail_of(rule.labels): []}).items()
    ]
    rows += [AlertRow(*key, False, _sorted(found)) for key, found in unloaded.items()]
    return tuple(sorted(rows, key=lambda r: (r.alertname, r.slo or "", r.detail, not r.loaded)))


def _sorted(found: list[Fire]) -> tuple[Fire, ...]:
    return tuple(sorted(found, key=lambda f: f.start))


def _owner(
    labels: Mapping[str, str], rules: Sequence[LoadedRule], candidates: Sequence[int]
) -> int | None:
    """The index (among `candidates`, the rules of its name) of the most specific rule that
    raised a series with `labels`."""
    matching = [i for i in candidates if rules[i].matches(labels)]
    return max(matching, key=lambda i: len(rules[i].labels), default=None)


def _slo_pages(period: Period, alerts: Sequence[AlertRow]) -> tuple[SloPages, ...]:
    pages: dict[str, int] = {a.slo: 0 for a in alerts if a.slo is not None}
    for alert in alerts:
        for fire in alert.fires:
            if alert.slo is not None and is_page(fire.labels) and not fire.open_start:
                pages[alert.slo] += 1
    micro = timedelta(microseconds=1)
    weeks = Decimal(period.length // micro) / Decimal(WEEK // micro)
    return tuple(
        SloPages(slo, count, (Decimal(count) / weeks).quantize(Decimal("0.1")))
        for slo, count in sorted(pages.items())
    )


def _runbook_issues(rules: Sequence[LoadedRule]) -> tuple[RunbookIssue, ...]:
    issues = [
        RunbookIssue(rule.name, slo_of(rule.labels), detail_of(rule.labels), problem)
        for rule in rules
        if (problem := runbook_problem(rule.annotations)) is not None
    ]
    return tuple(sorted(issues, key=lambda i: (i.alertname, i.slo or "", i.detail)))
