"""Outage pages of one SLO, beside its burn rates: SLOServiceDown and SLOHighErrorRate.

Called by `core.slo.rules`. Burn rates cannot see every outage: when a service whose SLO counts
its own requests goes down, its series vanish, so nothing burns and the budget keeps its last
value; all that was left was the absent-data ticket, ten minutes in. These alerts page on what
an outage looks like instead, with the labels of the page tier (`rules_alerts.outage_page`), so
Alertmanager routes, groups and inhibits them with the burn alerts.

SLOServiceDown (P0; on unless `spec.alerting.serviceDown.disabled`) fires after `for` (2m) of:
- silence in the SLI: no events counted over the last 2m (a ratio's or latency's total has no
  series, or a rate of 0), or no series of an availability gauge at 1; or, when the SLO sets
  `spec.alerting.serviceDown.upSelector`, instead:
- no target of that selector up (all 0, or none left), for services whose traffic may stop on
  its own (a batch API at night), where silence is not an outage;
only when the same signal showed the service serving within the last hour. That clause keeps a
service without traffic for a while (a quiet test environment, a retired one) from paging.
While the alert is pending or firing, its own ALERTS series stands in for the clause, so the
page lasts as long as the outage instead of resolving an hour in.

SLOHighErrorRate (P1; only with `spec.alerting.errorRate`) fires when the 5m error ratio (the
recorded 5m error rate over the recorded total rate) stays above `threshold` for `for`: the
seed's HighErrorRate (5 % for 2m), as an SLO opts in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.priorities import AlertPriorities, Priority
from budgetwarden.core.slo.promql import format_decimal, parse_selector, render_selector
from budgetwarden.core.slo.rules_alerts import Rule, outage_page
from budgetwarden.core.slo.rules_recording import error_budget, indicator_queries, slo_selector
from budgetwarden.core.slo.spec import SLO, ErrorRateAlert, ServiceDownAlert
from budgetwarden.core.slo.windows import BASE_RATE_WINDOW, MIN_SCRAPES_PER_WINDOW

# Silence is judged over this window: four scrapes at 30s, so one missed scrape is not silence,
# and with `for: 2m` a service whose series vanish pages about 3 to 4 minutes into the outage.
SILENCE_WINDOW = timedelta(minutes=2)
# Silence counts as an outage only after the service served within this window.
SERVED_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class _Signal:
    """One way to see the service down: PromQL for the silence, for having served, and words."""

    silent: str
    served: str
    words: str


def outage_rules(slo: SLO, scrape_interval: timedelta, priorities: AlertPriorities) -> list[Rule]:
    """SLOServiceDown unless disabled, and SLOHighErrorRate when the SLO asks for it."""
    rules = []
    down = slo.spec.alerting.service_down
    if not down.disabled:
        window = max(SILENCE_WINDOW, scrape_interval * MIN_SCRAPES_PER_WINDOW)
        rules.append(_service_down(slo, down, window, priorities.service_down))
    error_rate = slo.spec.alerting.error_rate
    if error_rate is not None and not error_rate.disabled:
        rules.append(_high_error_rate(slo, error_rate, priorities.high_error_rate))
    return rules


def outage_warnings(slo: SLO) -> list[Problem]:
    """A warning when errorRate.threshold would page on an error rate the objective allows."""
    error_rate = slo.spec.alerting.error_rate
    budget = error_budget(slo) * 100
    if error_rate is None or error_rate.disabled or error_rate.threshold > budget:
        return []
    threshold, budget_text = format_decimal(error_rate.threshold), format_decimal(budget)
    return [
        Problem(
            "spec.alerting.errorRate.threshold",
            f"{threshold}% is at or below the error budget of {budget_text}% (objective "
            f"{format_decimal(slo.spec.objective)}%), so it pages on an error rate the SLO "
            f"allows; set it above {budget_text}",
        )
    ]


def _service_down(slo: SLO, spec: ServiceDownAlert, window: timedelta, priority: Priority) -> Rule:
    if spec.up_selector is not None:
        signal = _up_signal(spec.up_selector, "no target of {up} is up")
    else:
        signal = _sli_signal(slo, window)
    latch = (
        f'ALERTS{{alertname="{names.ALERT_SERVICE_DOWN}",'
        f'{names.PROM_LABEL_SLO}="{slo.metadata.name}",'
        f'{names.PROM_LABEL_NAMESPACE}="{slo.metadata.namespace}"}}'
    )
    hold = format_duration(spec.hold)
    return outage_page(
        slo,
        names.ALERT_SERVICE_DOWN,
        spec,
        priority,
        expr=f"{signal.silent}\nand on ()\n(\n  {signal.served}\n  or\n  {latch}\n)",
        hold=spec.hold,
        summary="is down: it stopped serving",
        description=(
            f"for {hold}, {signal.words}, after the service served within the last "
            f"{format_duration(SERVED_WITHIN)}. Burn-rate alerts page late on an outage, and "
            f"never on one that takes the service's metrics with it."
        ),
    )


def _sli_signal(slo: SLO, window: timedelta) -> _Signal:
    indicator = slo.spec.indicator
    if indicator.availability is not None:
        return _up_signal(indicator.availability.up, "no series of {up} is at 1")
    total = indicator_queries(slo).total(window)
    recorded = slo_selector(slo, names.METRIC_TOTAL_RATE)
    return _Signal(
        silent=f"({total} or vector(0)) == 0",
        served=f"max_over_time({recorded}[{format_duration(SERVED_WITHIN)}]) > 0",
        words=(
            f"the SLI counted no events over the last {format_duration(window)} (its series "
            f"are gone, or their rate is 0)"
        ),
    )


def _up_signal(selector: str, words: str) -> _Signal:
    up = render_selector(parse_selector(selector))
    return _Signal(
        silent=f"(max({up}) or vector(0)) == 0",
        served=f"max(max_over_time({up}[{format_duration(SERVED_WITHIN)}])) > 0",
        words=words.format(up=up),
    )


def _high_error_rate(slo: SLO, spec: ErrorRateAlert, priority: Priority) -> Rule:
    # The error ratio from the recorded 5m rates, not the 5m burn rate times the budget: $value
    # is then the ratio itself, exactly, for the description's percentage.
    errors = slo_selector(slo, names.METRIC_ERRORS_RATE)
    total = slo_selector(slo, names.METRIC_TOTAL_RATE)
    threshold, window = format_decimal(spec.threshold), format_duration(BASE_RATE_WINDOW)
    bad = _bad_events(slo)
    return outage_page(
        slo,
        names.ALERT_HIGH_ERROR_RATE,
        spec,
        priority,
        expr=f"{errors} / ({total} > 0) > {format_decimal(spec.threshold / 100)}",
        hold=spec.hold,
        summary=f"has more than {threshold}% of {bad}",
        description=(
            f"{{{{ $value | humanizePercentage }}}} of {bad} over the last {window}, above the "
            f"{threshold}% threshold of spec.alerting.errorRate for at least "
            f"{format_duration(spec.hold)}."
        ),
    )


def _bad_events(slo: SLO) -> str:
    """What a bad event of this SLO is, in words for the alert's text."""
    indicator = slo.spec.indicator
    if indicator.latency is not None:
        return f"requests slower than {format_duration(indicator.latency.threshold)}"
    if indicator.availability is not None:
        return "gauge samples at 0"
    return "events failing"
