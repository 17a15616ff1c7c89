"""From one Prometheus answer to budget snapshots: the one query per poll and what it means.

The poller runs `budget_query` once per poll for every SLO, and turns the samples (any object
with labels, a Decimal value and a timestamp: the Prometheus adapter's `Sample`) into a
`PollResult` with `poll_result`.

Staleness, twice: the query keeps only samples whose own timestamp is younger than `max_age`
(`time() - timestamp(...)` is evaluated by Prometheus on the stored sample, so a recording rule
that stopped evaluating drops out long before Prometheus's 5m lookback would hide it), and
`poll_result` drops samples whose reported time is older than `max_age` (a caching query
frontend answering with an old result). Either way a stale SLO reads as "no series": Unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from budgetwarden.core.budget.arithmetic import HUNDRED
from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.kernel import conventions as c

_BUDGET_METRICS = (c.METRIC_BUDGET_REMAINING, c.METRIC_BURN_RATE)


class Reading(Protocol):
    """One sample as the Prometheus adapter returns it (value None for NaN)."""

    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def value(self) -> Decimal | None: ...
    @property
    def timestamp(self) -> datetime: ...


def budget_query(max_age: timedelta) -> str:
    """The one query per poll: all SLOs' budget-left and burn-rate samples younger than max_age."""
    seconds = max(max_age // timedelta(seconds=1), 1)
    # One `and` per metric: timestamp() sees the stored sample time only on a bare selector.
    parts = [f"({m} and (time() - timestamp({m}) < {seconds}))" for m in _BUDGET_METRICS]
    return " or ".join(parts)


def poll_result(samples: Iterable[Reading], now: datetime, max_age: timedelta) -> PollResult:
    """Snapshots of every SLO with fresh series; the newest sample wins when series repeat."""
    remaining: dict[SLORef, tuple[datetime, Decimal]] = {}
    burns: dict[SLORef, dict[str, tuple[datetime, Decimal]]] = {}
    for sample in samples:
        ref = _slo_ref(sample.labels)
        if ref is None or sample.value is None or now - sample.timestamp > max_age:
            continue
        entry = (sample.timestamp, sample.value)
        name = sample.labels.get("__name__")
        if name == c.METRIC_BUDGET_REMAINING:
            remaining[ref] = max(remaining.get(ref, entry), entry)
        elif name == c.METRIC_BURN_RATE and (window := sample.labels.get(c.PROM_LABEL_WINDOW)):
            rates = burns.setdefault(ref, {})
            rates[window] = max(rates.get(window, entry), entry)
    snapshots = {
        ref: BudgetSnapshot(
            slo=ref,
            evaluated_at=now,
            remaining_percent=remaining[ref][1] * HUNDRED if ref in remaining else None,
            burn_rates={w: value for w, (_, value) in sorted(burns.get(ref, {}).items())},
        )
        for ref in sorted(remaining.keys() | burns.keys())
    }
    return PollResult(evaluated_at=now, snapshots=snapshots)


def _slo_ref(labels: Mapping[str, str]) -> SLORef | None:
    namespace, name = labels.get(c.PROM_LABEL_NAMESPACE), labels.get(c.PROM_LABEL_SLO)
    return SLORef(namespace, name) if namespace and name else None


def stable_failure(text: str) -> str:
    """An error message fit for a condition: no object addresses, at most 300 characters."""
    # requests puts "<... object at 0x7f...>" in its errors; it differs on every poll.
    cleaned = re.sub(r" (object )?at 0x[0-9a-fA-F]+", "", text).strip()
    return cleaned if len(cleaned) <= 300 else cleaned[:299] + "…"
