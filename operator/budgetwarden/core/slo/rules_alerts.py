"""Alerting rules of one SLO: burn-rate pages and tickets, budget-low alerts, absent data, and
the shape of the outage pages `rules_outage` writes (`outage_page`).

Called by `core.slo.rules`. The burn-rate alerts read the recorded burn rates: a tier fires when,
for any of its window pairs, both the long and the short window burn faster than the pair's factor
(the SRE Workbook's multiwindow, multi-burn-rate alerts). They have no `for:`: the short window
already stops them firing on a blip and makes them resolve quickly, and a `for:` would only delay a
page. One alert per tier and SLO: `max without (slo_window)` drops the window so that an alert does
not restart when the other pair of its tier takes over.

Labels, later entries winning: the alert's defaults, the SLO's metadata.labels named in
spec.alerting.copyLabels, spec.alerting.labels, the tier's labels, then the labels budgetwarden
owns (slo_*). The defaults are the tier's `severity`, the alert's
`priority` (P0–P3, from `priorities`: what Alertmanager routes on), and `namespace` and
`service`, the label names a ServiceDown-class alert on a scraped target carries, so that
Alertmanager can group and inhibit both by the same labels. Budget-low and absent-data alerts
are not burn tiers but route like tickets: they take the ticket tier's labels (not its
annotations, and they stay when the ticket tier is disabled); spec.alerting.budgetLow and
metricsAbsent turn them off. When spec.description is set, every description ends with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import Level, Levels
from budgetwarden.core.slo.priorities import PRIORITY_LABEL, AlertPriorities, Priority
from budgetwarden.core.slo.promql import format_decimal
from budgetwarden.core.slo.rules_recording import (
    error_budget,
    indicator_queries,
    series_labels,
    slo_selector,
)
from budgetwarden.core.slo.spec import SLO, AlertTier, BurnRateWindow, alert_label_name

Rule = dict[str, Any]
ABSENT_FOR = timedelta(minutes=10)
# What scraped series (and so a ServiceDown-class alert) are labelled with under
# prometheus-operator; an SLO's labels may replace them to match their other alerts.
ALERT_NAMESPACE_LABEL = "namespace"
ALERT_SERVICE_LABEL = "service"
# Labels budgetwarden sets; the same keys in spec.alerting labels are dropped (with a warning).
RESERVED_LABELS = frozenset(
    (
        names.PROM_LABEL_SLO,
        names.PROM_LABEL_NAMESPACE,
        names.PROM_LABEL_SERVICE,
        names.PROM_LABEL_WINDOW,
        names.PROM_LABEL_TIER,
        names.PROM_LABEL_BUDGET_LEVEL,
    )
)
_TIERS = (
    (names.TIER_PAGE, names.ALERT_PAGE, names.DEFAULT_PAGE_SEVERITY, "fast"),
    (names.TIER_TICKET, names.ALERT_TICKET, names.DEFAULT_TICKET_SEVERITY, "too fast to last"),
)


def alert_rules(
    slo: SLO,
    windows: tuple[BurnRateWindow, ...],
    priorities: AlertPriorities,
) -> list[Rule]:
    """Page and ticket burn-rate alerts, and absent data (budget low: `budget_low_rules`)."""
    rules = []
    burn_priorities = {
        names.TIER_PAGE: priorities.fast_burn,
        names.TIER_TICKET: priorities.slow_burn,
    }
    for tier, alert, severity, speed in _TIERS:
        spec = _tier(slo, tier)
        rows = tuple(row for row in windows if row.tier == tier)
        if rows and not spec.disabled:
            defaults = _Defaults(severity, burn_priorities[tier])
            rules.append(_burn_alert(slo, alert, tier, defaults, speed, rows))
    if not slo.spec.alerting.metrics_absent.disabled:
        rules.append(_absent(slo, priorities.metrics_absent))
    return rules


def budget_low_rules(slo: SLO, levels: Levels, priorities: AlertPriorities) -> list[Rule]:
    """The SLOErrorBudgetLow alert, unless spec.alerting.budgetLow is disabled. It goes in the
    budget group, after the budget it compares: evaluated with it, it sees each new value at once
    and costs Prometheus nothing between two of its evaluations."""
    if slo.spec.alerting.budget_low.disabled:
        return []
    # Each level's band runs from its threshold down to the next one's.
    bands = (
        (Level.WARNING, levels.warning_below, levels.partial_freeze_below),
        (Level.PARTIAL_FREEZE, levels.partial_freeze_below, levels.full_freeze_below),
        (Level.FULL_FREEZE, levels.full_freeze_below, None),
    )
    per_level = {
        level: _budget_low(slo, level, (below, down_to), priorities.budget_low(level))
        for level, below, down_to in bands
    }
    thresholds = {level: below for level, below, _ in bands}
    remaining = slo_selector(slo, names.METRIC_BUDGET_REMAINING)
    return [
        {
            "alert": names.ALERT_BUDGET_LOW,
            "expr": f"{remaining} < {format_decimal(levels.warning_below / 100)}",
            "labels": _by_level(per_level, "labels", thresholds),
            "annotations": _by_level(per_level, "annotations", thresholds),
        }
    ]


def _by_level(
    per_level: dict[Level, Rule], part: str, thresholds: dict[Level, Decimal]
) -> dict[str, str]:
    """The labels or annotations of the levels' alerts as those of one rule. The rule fires
    below the highest threshold; what differs by level (slo_budget_level, the priority, words of
    the text) is a template choosing by the budget left, `$value`, which Prometheus, Thanos'
    ruler and vmalert expand in labels as in annotations. So a budget below the last threshold
    raises one alert, not three, whatever Alertmanager's inhibition rules say, and crossing into
    another level changes the alert's labels: a new alert, as a rule per level would raise. One
    comparison of one series: a loaded rule costs Prometheus memory for each parsed node, and
    three branches writing their labels with label_replace held 3 to 5 KiB more per SLO."""
    first = next(iter(per_level.values()))
    return {
        key: _chosen_by_budget(
            {level: rule[part][key] for level, rule in per_level.items()}, thresholds
        )
        for key in first[part]
    }


def _chosen_by_budget(texts: dict[Level, str], thresholds: dict[Level, Decimal]) -> str:
    """One text for every level: the text itself when the levels share it, otherwise the words
    they share around a template that picks the level's own words by the budget left,
    lowest level first (`less than {{ if lt $value 0.1 }}10%{{ else if ... }}50%{{ end }} of`)."""
    values = list(texts.values())
    if len(set(values)) == 1:
        return values[0]
    head = _whole_words(_shared_start(values))
    tail = _whole_words(_shared_start([value[len(head) :][::-1] for value in values]))[::-1]
    if any(part.count("{{") != part.count("}}") for part in (head, tail)):
        head = tail = ""  # a cut inside a template action: choose between the whole texts
    bands: list[tuple[Decimal, str]] = []  # (threshold, words), lowest first
    for level in sorted(texts, key=lambda level: thresholds[level]):
        words = texts[level][len(head) : len(texts[level]) - len(tail)]
        if bands and bands[-1][1] == words:
            bands.pop()  # the level above says the same: its test covers this band too
        bands.append((thresholds[level], words))
    *chosen, (_, last) = bands
    keywords = ["if"] + ["else if"] * (len(chosen) - 1)
    picks = [
        f"{{{{ {keyword} lt $value {_template_number(threshold / 100)} }}}}{words}"
        for keyword, (threshold, words) in zip(keywords, chosen, strict=True)
    ]
    return head + "".join(picks) + f"{{{{ else }}}}{last}{{{{ end }}}}" + tail


def _template_number(value: Decimal) -> str:
    """A number Go's templates read as a float, as `$value` is: `lt` refuses to compare a
    float with an integer, so 0 is written 0.0."""
    text = format_decimal(value)
    return text if "." in text else f"{text}.0"


def _shared_start(texts: list[str]) -> str:
    """The characters every text starts with: those the first and last in sort order share."""
    low, high = min(texts), max(texts)
    differ = (at for at, (a, b) in enumerate(zip(low, high, strict=False)) if a != b)
    return low[: next(differ, len(low))]


def _whole_words(shared: str) -> str:
    """`shared` up to its last space: a text cut between words, so no number loses a digit."""
    return shared[: shared.rfind(" ") + 1]


@dataclass(frozen=True)
class _Defaults:
    """The labels an alert starts with, before the SLO's own labels."""

    severity: str
    priority: Priority


def _tier(slo: SLO, tier: str) -> AlertTier:
    return slo.spec.alerting.page if tier == names.TIER_PAGE else slo.spec.alerting.ticket


def _burn_alert(
    slo: SLO,
    alert: str,
    tier: str,
    defaults: _Defaults,
    speed: str,
    rows: tuple[BurnRateWindow, ...],
) -> Rule:
    clauses = [_clause(slo, row) for row in rows]
    conditions = ", or above ".join(_condition(slo, row) for row in rows)
    window = format_duration(slo.spec.window)
    summary_speed = f"{speed} the {window} window" if tier == names.TIER_TICKET else speed
    annotations = _annotations(
        slo,
        alert,
        summary=f"is burning its error budget {summary_speed}",
        description=(
            f"{_facts(slo)} is burning its error budget {{{{ $value | humanize }}}} times as "
            f"fast as it can sustain. This alert fires when the burn rate is above {conditions}."
        ),
    )
    return {
        "alert": alert,
        "expr": "\nor\n".join(clauses),
        "labels": _labels(slo, tier, defaults, _tier(slo, tier)),
        "annotations": annotations | _tier(slo, tier).annotations,
    }


def _clause(slo: SLO, row: BurnRateWindow) -> str:
    factor = format_decimal(row.factor)
    window = names.PROM_LABEL_WINDOW
    long = f"max without ({window}) ({slo_selector(slo, names.METRIC_BURN_RATE, row.long_window)}"
    short = f"max without ({window}) ({slo_selector(slo, names.METRIC_BURN_RATE, row.short_window)}"
    return f"(\n  {long} > {factor})\n  and\n  {short} > {factor})\n)"


def _condition(slo: SLO, row: BurnRateWindow) -> str:
    micro = timedelta(microseconds=1)
    share = Decimal(row.long_window // micro) / Decimal(slo.spec.window // micro)
    consumed = row.factor * share * 100
    long, short = format_duration(row.long_window), format_duration(row.short_window)
    spent = format_decimal(consumed.quantize(Decimal("0.01")))
    factor = format_decimal(row.factor)
    return f"{factor} over both {long} and {short} ({spent}% of the budget in {long})"


def _budget_low(
    slo: SLO, level: Level, band: tuple[Decimal, Decimal | None], priority: Priority
) -> Rule:
    """The labels and annotations of one level's alert: budget left below its threshold and at
    or above the next one's."""
    percent, down_to = band
    shown = format_decimal(percent)
    handover = ""
    if down_to is not None:
        handover = f"; below {format_decimal(down_to)}% the next level's alert takes over"
    labels = _ticket_labels(slo, priority)
    return {
        "labels": dict(sorted((labels | {names.PROM_LABEL_BUDGET_LEVEL: level.value}).items())),
        "annotations": _annotations(
            slo,
            names.ALERT_BUDGET_LOW,
            summary=f"has less than {shown}% of its error budget left",
            description=(
                f"{_facts(slo)} has {{{{ $value | humanizePercentage }}}} of its error budget "
                f"left, below the {shown}% threshold of the {level.value} level{handover}."
            ),
        ),
    }


def _absent(slo: SLO, priority: Priority) -> Rule:
    # One of the two 5m rates exists only with the other, so one absent() watches both: a
    # missing error counter falls back on the total (or_zero), and errors computed as total
    # minus good need the total.
    watched = (
        names.METRIC_TOTAL_RATE
        if indicator_queries(slo).errors_may_be_missing
        else names.METRIC_ERRORS_RATE
    )
    minutes = format_duration(ABSENT_FOR)
    labels = _ticket_labels(slo, priority)
    return {
        "alert": names.ALERT_ABSENT,
        "expr": f"absent({slo_selector(slo, watched)})",
        "for": minutes,
        "labels": labels,
        "annotations": _annotations(
            slo,
            names.ALERT_ABSENT,
            summary="has no data",
            description=(
                f"{_facts(slo)} has had no recorded error or total rate for {minutes}, so its "
                f"burn-rate alerts cannot fire and its error budget is unknown. {_hint(slo)}"
            ),
        ),
    }


def _hint(slo: SLO) -> str:
    indicator = slo.spec.indicator
    if indicator.latency is not None:
        return (
            f"Check that the histogram has series and a bucket at the threshold "
            f"({format_duration(indicator.latency.threshold)}); a threshold between two bucket "
            f"bounds matches no series."
        )
    if indicator.availability is not None:
        return "Check that the selector of spec.indicator.availability.up matches series."
    return "Check that the queries of spec.indicator.ratio return series."


def _facts(slo: SLO) -> str:
    objective = format_decimal(slo.spec.objective)
    budget = format_decimal(error_budget(slo) * 100)
    window = format_duration(slo.spec.window)
    ref = f"{slo.metadata.namespace}/{slo.metadata.name}"
    return f"SLO {ref} ({objective}% over {window}, error budget {budget}%)"


def _ticket_labels(slo: SLO, priority: Priority) -> dict[str, str]:
    defaults = _Defaults(names.DEFAULT_TICKET_SEVERITY, priority)
    return _labels(slo, names.TIER_TICKET, defaults, slo.spec.alerting.ticket)


def _labels(slo: SLO, tier: str, defaults: _Defaults, spec: AlertTier) -> dict[str, str]:
    labels = {
        "severity": defaults.severity,
        PRIORITY_LABEL: defaults.priority,
        ALERT_NAMESPACE_LABEL: slo.metadata.namespace,
        ALERT_SERVICE_LABEL: slo.spec.service,
    }
    users = copied_labels(slo) | slo.spec.alerting.labels | spec.labels
    labels |= {k: v for k, v in users.items() if k not in RESERVED_LABELS}
    labels |= series_labels(slo) | {names.PROM_LABEL_TIER: tier}
    return dict(sorted(labels.items()))


def copied_labels(slo: SLO) -> dict[str, str]:
    """The SLO's metadata.labels named in spec.alerting.copyLabels, under Prometheus label
    names; a key the SLO does not carry is skipped."""
    present = slo.metadata.labels
    keys = slo.spec.alerting.copy_labels
    return {alert_label_name(key): present[key] for key in keys if key in present}


def _annotations(slo: SLO, alert: str, summary: str, description: str) -> dict[str, str]:
    runbook = slo.spec.alerting.runbook_url or names.alert_runbook_url(alert)
    ref = f"{slo.metadata.namespace}/{slo.metadata.name}"
    # spec.description is the promise in the team's words: the one line a responder needs first.
    promise = f" Promise: {slo.spec.description}" if slo.spec.description else ""
    return {
        "runbook_url": runbook,
        "summary": f"{slo.spec.service}: SLO {ref} {summary}",
        "description": description + promise,
    }


def outage_page(
    slo: SLO,
    alert: str,
    spec: AlertTier,
    priority: Priority,
    *,
    expr: str,
    hold: timedelta,
    summary: str,
    description: str,
) -> Rule:
    """A page beside the burn tiers (core/slo/rules_outage.py): the page tier's severity and
    slo_tier, `priority`, then the SLO's labels and `spec`'s labels and annotations over them.
    The description follows the SLO's facts."""
    defaults = _Defaults(names.DEFAULT_PAGE_SEVERITY, priority)
    text = f"{_facts(slo)}: {description}"
    return {
        "alert": alert,
        "expr": expr,
        "for": format_duration(hold),
        "labels": _labels(slo, names.TIER_PAGE, defaults, spec),
        "annotations": _annotations(slo, alert, summary, text) | spec.annotations,
    }
