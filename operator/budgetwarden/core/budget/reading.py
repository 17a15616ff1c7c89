"""From Prometheus' answers to budget snapshots: the queries per poll and what they mean.

On a backend that takes a lookback per query (Prometheus 3, Thanos Query: the `lookback_delta`
parameter), the poller reads every SLO with `lookback_queries`: each metric selected with its
own max age as the lookback, so a sample that old is never returned. Elsewhere (Prometheus 2,
VictoriaMetrics) it reads every SLO with `BUDGET_QUERY`, then asks at the same instant which of
those samples are older than `max_age` (`stale_query`) and drops them (`fresh`). Either way the
samples left (any object with labels, a Decimal value and a timestamp: the Prometheus adapter's
`Sample`) become a `PollResult` with `poll_result`.

Only the operator's own series are read: a sample counts when its labels are exactly those its
recording rules set (`conventions.BUDGET_SERIES_LABELS`, plus slo_window on a burn rate). A
scraped series always carries its target's job and instance, and a rule over a query that keeps
labels carries those, so neither can move a budget; their extra label names are kept on the
snapshot (`ignored_labels`) so the condition can say why an SLO has no data. Among the rules'
own series an SLO has one per metric and window; two (they can differ only in slo_service, so
another rule writes in this SLO's name) make the whole SLO unknown for this poll
(`duplicates`), never the larger or the newer value.

Staleness is judged on Prometheus' clock only, so a recording rule that stopped evaluating drops
out long before the default 5m lookback would hide it: the lookback counts back from the
evaluation instant, and `stale_query`, evaluated at the time of the first answer, keeps the
series whose stored sample is at least `max_age` old (`time() - timestamp(...)`). The answers'
sample times are Prometheus' evaluation time and are never compared with the operator's clock,
which may differ from it by any amount. The lookback is the cheaper of the two: `timestamp()`
over every series cost Prometheus as much as selecting them (docs/benchmarks.md, poll_cycle).
And the stale series are asked for apart rather than filtered out with `and`: at 10,000 SLOs
that set operation over every series cost more than both selections together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Protocol, TypeVar

from budgetwarden.core.budget.arithmetic import HUNDRED
from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.kernel import conventions as c

_BUDGET_METRICS = (c.METRIC_BUDGET_REMAINING, c.METRIC_BURN_RATE)
# The label names of each metric's recorded series, as its rule writes them.
_OWN_LABELS: Final = {
    c.METRIC_BUDGET_REMAINING: frozenset({"__name__", *c.BUDGET_SERIES_LABELS}),
    c.METRIC_BURN_RATE: frozenset({"__name__", *c.BUDGET_SERIES_LABELS, c.PROM_LABEL_WINDOW}),
}


class Reading(Protocol):
    """One sample as the Prometheus adapter returns it (value None for NaN)."""

    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def value(self) -> Decimal | None: ...
    @property
    def timestamp(self) -> datetime: ...


R = TypeVar("R", bound=Reading)


# Every SLO's budget-left and burn-rate samples, selected by metric name.
BUDGET_QUERY: Final = '{__name__=~"' + "|".join(_BUDGET_METRICS) + '"}'


def lookback_queries(
    max_age: timedelta, budget_max_age: timedelta | None = None
) -> list[tuple[str, timedelta]]:
    """(query, lookback) pairs that select every SLO's samples younger than their max age, for a
    backend that takes a lookback per query: one query when both metrics share an age, else the
    budget left (its rule group evaluates less often) apart from the burn rates."""
    if budget_max_age is None or budget_max_age == max_age:
        return [(BUDGET_QUERY, max_age)]
    return [(c.METRIC_BUDGET_REMAINING, budget_max_age), (c.METRIC_BURN_RATE, max_age)]


def stale_query(max_age: timedelta, budget_max_age: timedelta | None = None) -> str:
    """The series of BUDGET_QUERY whose stored sample is at least max_age old (budget_max_age
    for the budget left, whose rule group evaluates less often), labelled alike."""
    ages = {c.METRIC_BUDGET_REMAINING: budget_max_age or max_age, c.METRIC_BURN_RATE: max_age}
    # timestamp() sees the stored sample time only on a bare selector, and drops the metric
    # name, which label_replace puts back so a stale series has the same labels as its sample.
    parts = [
        f'label_replace(time() - timestamp({m}) >= {_seconds(ages[m])}, "__name__", "{m}", "", "")'
        for m in _BUDGET_METRICS
    ]
    return " or ".join(parts)


def _seconds(age: timedelta) -> int:
    return max(age // timedelta(seconds=1), 1)


def fresh(samples: list[R], stale: Iterable[Reading]) -> list[R]:
    """`samples` without the series `stale` names (matched on every label)."""
    old = {frozenset(item.labels.items()) for item in stale}
    if not old:
        return samples
    return [sample for sample in samples if frozenset(sample.labels.items()) not in old]


@dataclass
class _Found:
    """Every SLO's samples in one answer, by SLO as (namespace, name): values by series ("" is
    the budget, else a window), series seen twice, and label names the rules never set."""

    # A plain dict of Decimals per SLO, and no object per SLO or per series: a poll holds
    # 80,000 values at once, and containers the garbage collector tracks (lists, objects with
    # slots) aged into its oldest generation and made every poll walk the whole heap.
    values: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)
    twice: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    ignored: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, slo: tuple[str, str], series: str, value: Decimal) -> None:
        values = self.values.get(slo)
        if values is None:
            self.values[slo] = {series: value}
        elif series in values:
            self.twice.setdefault(slo, set()).add(series)
        else:
            values[series] = value

    def ignore(self, slo: tuple[str, str], labels: set[str]) -> None:
        self.values.setdefault(slo, {})
        self.ignored.setdefault(slo, set()).update(labels)

    def snapshot(self, slo: tuple[str, str], now: datetime) -> BudgetSnapshot:
        ref = SLORef(*slo)
        ignored = tuple(sorted(self.ignored.get(slo, ())))
        if twice := self.twice.get(slo):
            duplicated = tuple(_series_name(key) for key in sorted(twice))
            return BudgetSnapshot(ref, now, None, duplicates=duplicated, ignored_labels=ignored)
        numbers = dict(sorted(self.values[slo].items()))
        remaining = numbers.pop("", None)
        return BudgetSnapshot(
            slo=ref,
            evaluated_at=now,
            remaining_percent=None if remaining is None else remaining * HUNDRED,
            burn_rates=numbers,
            ignored_labels=ignored,
        )


def poll_result(samples: Iterable[Reading], now: datetime) -> PollResult:
    """Snapshots of every SLO with series of its own rules, or look-alikes that were ignored."""
    # Runs once per sample, 80,000 times a poll for 10,000 SLOs: SLOs are keyed by plain tuples,
    # and the common case (exactly the rules' labels) is tested first and without building sets.
    found = _Found()
    for sample in samples:
        labels = sample.labels
        own = _OWN_LABELS.get(labels.get("__name__", ""))
        if own is None or sample.value is None:
            continue
        namespace, name = labels.get(c.PROM_LABEL_NAMESPACE), labels.get(c.PROM_LABEL_SLO)
        if not namespace or not name:
            continue
        if len(labels) == len(own) and own.issuperset(labels):
            if all(labels.values()):
                found.add((namespace, name), labels.get(c.PROM_LABEL_WINDOW, ""), sample.value)
        elif extra := labels.keys() - own:
            found.ignore((namespace, name), extra)
    ordered = (found.snapshot(slo, now) for slo in sorted(found.values))
    return PollResult(evaluated_at=now, snapshots={snapshot.slo: snapshot for snapshot in ordered})


def _series_name(window: str) -> str:
    """The metric of a series key, with its window for a burn rate."""
    if not window:
        return c.METRIC_BUDGET_REMAINING
    return f'{c.METRIC_BURN_RATE}{{{c.PROM_LABEL_WINDOW}="{window}"}}'


def stable_failure(text: str) -> str:
    """An error message fit for a condition: no object addresses, at most 300 characters."""
    # requests puts "<... object at 0x7f...>" in its errors; it differs on every poll.
    cleaned = re.sub(r" (object )?at 0x[0-9a-fA-F]+", "", text).strip()
    return cleaned if len(cleaned) <= 300 else cleaned[:299] + "…"
