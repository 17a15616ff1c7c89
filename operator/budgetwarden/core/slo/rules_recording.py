"""Recording rules of one SLO: the indicator as PromQL per window, the SLI and budget groups.

Called by `core.slo.rules`, which validates the SLO first. Every series carries slo_name,
slo_namespace and slo_service; one metric name per quantity with the window in slo_window, so
the poller reads every SLO and window with one query per quantity.

Per SLO with the default windows that is 14 series: the 5m error and total rates, a burn rate
for each of 7 windows, the period error ratio, the budget left and 3 constants (objective,
error budget, window length). Sloth's rules for the same SLO record 15.

Choices, and why:
- Ratio indicators evaluate the user's queries over each window (as Sloth does), so a burn-rate
  window is right from the first minute of a new SLO instead of waiting for recorded history.
- Each window records its burn rate straight from the indicator, and no error ratio: the error
  ratio is the burn rate times `error_budget:ratio`, so recording both would double the head
  series and the rules Prometheus evaluates for the one number alerts and the poller read.
- The 5m burn rate divides the two 5m rates recorded before it in the same group rather than
  evaluating the user's queries once more (`_base_burn_rate` says why that is safe). vmalert
  writes records to storage asynchronously, so a later rule of the group may read this
  evaluation's errors beside the last one's total; for it (`RuleOptions.chained_records`
  False, which `generate --format vmrule` sets) every SLI rule reads the user's series.
- Missing error series count as zero errors: counters such as `code=~"5.."` do not exist until
  the first error, and "no errors yet" is not "no data". A window's errors are `errors or
  vector(0)`, which the division by `(total > 0)` still turns into no data without traffic, so a
  window reads its raw series once for errors and once for total, as in Sloth's rules, and
  nothing else: both sides are label-free (`promql_series`), so the zero matches the total. The
  5m error rate falls back on the 5m total recorded first in the group (`or_zero`), so it exists
  exactly when the total does and SLOMetricsAbsent needs to watch only one of them.
- Divisions are by `(total > 0)`: with no traffic a ratio has no series instead of NaN, so
  nothing downstream mistakes 0/0 for a value; missing data stays missing (Unknown).
- The period error ratio sums the recorded 5m rates over the window and divides the sums, so
  it is weighted by traffic. Averaging the 5m ratios (Sloth's optimized rule) lets a quiet hour
  weigh as much as a busy one (slok/sloth#241, #354). The budget left divides it by the budget
  directly: a period burn-rate series between them would be one more series nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.promql import (
    format_decimal,
    needs_parentheses,
    parse_selector,
    render_selector,
    render_window,
)
from budgetwarden.core.slo.spec import SLO, LatencyIndicator
from budgetwarden.core.slo.windows import BASE_RATE_WINDOW

Rule = dict[str, Any]
Render = Callable[[timedelta], str]


@dataclass(frozen=True)
class IndicatorQueries:
    """The indicator over any window: PromQL for its errors and its total events."""

    errors: Render
    total: Render
    # True for a ratio's error query: its series may not exist yet (no error so far), and the
    # rules then read zero errors instead of no data (`or_zero`).
    errors_may_be_missing: bool = False

    def burn_rate(self, window: timedelta, budget: str) -> str:
        """Errors over total in `window`, per unit of error budget; no series without traffic,
        zero errors when the error query has no series."""
        errors = self.errors(window)
        if self.errors_may_be_missing:
            errors += " or vector(0)"  # label-free like the total, so the division matches it
        # `/` is left-associative: the error ratio first, then divided by the budget.
        return f"({errors})\n/\n({self.total(window)} > 0)\n/\n{budget}"


def indicator_queries(slo: SLO) -> IndicatorQueries:
    """Errors and total of the SLO's indicator, as PromQL templated by window."""
    indicator = slo.spec.indicator
    if indicator.latency is not None:
        return _latency(indicator.latency)
    if indicator.availability is not None:
        up = render_selector(parse_selector(indicator.availability.up))
        # Each sample of the gauge is one event: a 0 is a bad one, a 1 a good one.
        return _from_good(
            lambda w: f"sum(count_over_time({up}[{format_duration(w)}]))",
            lambda w: f"sum(sum_over_time({up}[{format_duration(w)}]))",
        )
    ratio = indicator.ratio
    if ratio is None:  # unreachable for a parsed SLO (exactly one indicator); narrows the type
        raise SpecError.single("spec.indicator", "set one of ratio, latency or availability")
    total = _operand(ratio.total)
    if ratio.good is not None:
        return _from_good(total, _operand(ratio.good))
    return IndicatorQueries(_operand(ratio.errors or ""), total, errors_may_be_missing=True)


def _operand(query: str) -> Render:
    """The user's query per window, in parentheses when it has a top-level operator."""
    if needs_parentheses(query):
        return lambda w: f"({render_window(query, w)})"
    return lambda w: render_window(query, w)


def _from_good(total: Render, good: Render) -> IndicatorQueries:
    return IndicatorQueries(errors=lambda w: f"{total(w)} - {good(w)}", total=total)


def _latency(latency: LatencyIndicator) -> IndicatorQueries:
    """Requests slower than the threshold, from a classic histogram's buckets.

    The total is the `le="+Inf"` bucket rather than the `_count` series: both count every
    request, but the bucket comes from the very series the user named (same labels, same
    relabelling, same scrape), so good can never exceed total. Prometheus 3 writes integer
    bucket bounds as "1.0" where older versions keep the exporter's "1", so an integer threshold
    matches both spellings.
    """
    selector = parse_selector(latency.histogram)
    seconds = Decimal(latency.threshold // timedelta(microseconds=1)) / Decimal(1_000_000)
    bound = format_decimal(seconds)
    le = ("le", "=", bound) if "." in bound else ("le", "=~", f"{bound}|{bound}\\.0")
    total = render_selector(selector, (("le", "=", "+Inf"),))
    good = render_selector(selector, (le,))
    return _from_good(
        lambda w: f"sum(rate({total}[{format_duration(w)}]))",
        lambda w: f"sum(rate({good}[{format_duration(w)}]))",
    )


def series_labels(slo: SLO) -> dict[str, str]:
    """The labels every generated series and alert carries."""
    return {
        names.PROM_LABEL_SLO: slo.metadata.name,
        names.PROM_LABEL_NAMESPACE: slo.metadata.namespace,
        names.PROM_LABEL_SERVICE: slo.spec.service,
    }


def slo_selector(slo: SLO, metric: str, window: timedelta | None = None) -> str:
    """A selector for one of this SLO's recorded series, optionally at one slo_window."""
    matchers = [
        f'{names.PROM_LABEL_SLO}="{slo.metadata.name}"',
        f'{names.PROM_LABEL_NAMESPACE}="{slo.metadata.namespace}"',
    ]
    if window is not None:
        matchers.append(f'{names.PROM_LABEL_WINDOW}="{format_duration(window)}"')
    return f"{metric}{{{','.join(matchers)}}}"


def error_budget(slo: SLO) -> Decimal:
    """The share of events allowed to fail: 1 − objective, as a ratio."""
    return 1 - slo.spec.objective / 100


def sli_rules(slo: SLO, windows: tuple[timedelta, ...], chained: bool = True) -> list[Rule]:
    """The 5m total and error rates, then the burn rate over each window. `chained`: the 5m
    error rate and burn rate read the 5m rates recorded before them in the group; else each
    rule reads only the user's series (for vmalert, whose records reach storage after the
    group's later rules may have read it)."""
    queries = indicator_queries(slo)
    labels = series_labels(slo)
    budget = format_decimal(error_budget(slo))
    recorded = slo_selector(slo, names.METRIC_TOTAL_RATE)
    total = recorded if chained else queries.total(BASE_RATE_WINDOW)
    errors = queries.errors(BASE_RATE_WINDOW)
    rules = [
        _record(names.METRIC_TOTAL_RATE, queries.total(BASE_RATE_WINDOW), labels),
        # any traffic in 5m, even none, makes "no error series" zero errors
        _record(names.METRIC_ERRORS_RATE, or_zero(queries, errors, total), labels),
    ]
    for window in windows:
        if window == BASE_RATE_WINDOW and chained:
            burn = _base_burn_rate(slo, budget)
        else:
            burn = queries.burn_rate(window, budget)
        window_labels = labels | {names.PROM_LABEL_WINDOW: format_duration(window)}
        rules.append(_record(names.METRIC_BURN_RATE, burn, window_labels))
    return rules


def or_zero(queries: IndicatorQueries, value: str, traffic: str) -> str:
    """`value`, or zero when the errors have no series and `traffic` has one.

    Used for the 5m error rate, with the 5m total recorded just before it: one recorded series,
    not the SLO's total again (unless the rules are not chained). `on()` makes it apply only
    when `value` has no series at all. `or` binds loosest, so `value` needs no parentheses.
    """
    if not queries.errors_may_be_missing:
        return value
    return f"{value}\nor on ()\n0 * {traffic}"


def _base_burn_rate(slo: SLO, budget: str) -> str:
    """The 5m burn rate from the 5m rates recorded earlier in the same group."""
    # Rules of one group are evaluated in order, and each sees what the rules before it recorded
    # at the same evaluation time (Prometheus' opt-in concurrent evaluation still runs a rule
    # after the rules whose output it reads). So dividing the recorded rates gives the value the
    # indicator would, and saves reading the user's raw series a second time (errors, and total
    # twice for a ratio) per SLO and evaluation.
    errors = slo_selector(slo, names.METRIC_ERRORS_RATE)
    total = slo_selector(slo, names.METRIC_TOTAL_RATE)
    return f"{errors}\n/\n({total} > 0)\n/\n{budget}"


def budget_rules(slo: SLO) -> list[Rule]:
    """Traffic-weighted period error ratio, the budget left, and the constants."""
    labels = series_labels(slo)
    window = format_duration(slo.spec.window)
    errors = slo_selector(slo, names.METRIC_ERRORS_RATE)
    total = slo_selector(slo, names.METRIC_TOTAL_RATE)
    period_ratio = f"sum_over_time({errors}[{window}])\n/\n(sum_over_time({total}[{window}]) > 0)"
    budget = error_budget(slo)
    constants = (
        (names.METRIC_OBJECTIVE, slo.spec.objective / 100),
        (names.METRIC_ERROR_BUDGET, budget),
        (names.METRIC_WINDOW_SECONDS, Decimal(slo.spec.window // timedelta(seconds=1))),
    )
    spent = f"{slo_selector(slo, names.METRIC_PERIOD_ERROR_RATIO)} / {format_decimal(budget)}"
    return [
        _record(names.METRIC_PERIOD_ERROR_RATIO, period_ratio, labels),
        # Below zero once more than the whole budget is spent; the poller shows it as is.
        _record(names.METRIC_BUDGET_REMAINING, f"1 - {spent}", labels),
        *(_record(name, f"vector({format_decimal(value)})", labels) for name, value in constants),
    ]


def _record(metric: str, expr: str, labels: dict[str, str]) -> Rule:
    return {"record": metric, "expr": expr, "labels": dict(labels)}
