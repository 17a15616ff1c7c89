"""What one poll of Prometheus learned about the error budgets: the input of the policy engine.

The poller builds a `PollResult` per poll (a `BudgetSnapshot` for every SLO that has series, or
the reason Prometheus could not answer); handlers pick the snapshots of the SLOs a policy
selects with `PollResult.select` and pass them to `policy.decide`.

Two kinds of missing data are kept apart on purpose:
- Prometheus unreachable or a query failed (`PollResult.failure` set): nobody has data, every
  policy falls back to its `onMetricsUnavailable`.
- Prometheus answered but an SLO has no series (a new SLO, a renamed metric, a stale target),
  or more than one for a metric and window (`BudgetSnapshot.duplicates`): that SLO alone is
  Unknown (`BudgetSnapshot.remaining_percent is None`).
Staleness needs no rule here: Prometheus returns no sample for a series not updated within its
lookback delta, so stale data arrives as "no series".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from budgetwarden.core.kernel.durations import format_duration


@dataclass(frozen=True, order=True, slots=True)
class SLORef:
    """An SLO by namespace and name; orders by namespace, then name."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """One SLO's error budget at one evaluation time, as Prometheus reported it.

    `remaining_percent` is None when the SLO has no budget series. `burn_rates` maps a window
    written the way Prometheus writes it (`format_duration`: "5m", "1h", "3d") to the burn rate
    over that window; a window without a series is simply absent.

    `duplicates` names the series Prometheus returned more than once for this SLO (the metric,
    with its window for a burn rate): then nothing of the SLO is read this poll, so
    `remaining_percent` is None and `burn_rates` empty. `ignored_labels` are the labels of series
    that named this SLO but carried labels its rules never set (a scrape target's job and
    instance, a grouping label): they were not read.
    """

    slo: SLORef
    evaluated_at: datetime
    remaining_percent: Decimal | None
    burn_rates: Mapping[str, Decimal] = field(default_factory=dict)
    duplicates: tuple[str, ...] = ()
    ignored_labels: tuple[str, ...] = ()

    def burn_rate(self, window: timedelta) -> Decimal | None:
        """The burn rate over `window`, or None without a series for it."""
        return self.burn_rates.get(format_duration(window))

    @classmethod
    def no_series(cls, slo: SLORef, evaluated_at: datetime) -> BudgetSnapshot:
        """A snapshot for an SLO Prometheus has no series for."""
        return cls(slo=slo, evaluated_at=evaluated_at, remaining_percent=None)


@dataclass(frozen=True)
class PollResult:
    """Everything one poll learned: snapshots of the SLOs with series, or why there are none.

    `failure` is None when Prometheus answered every query; otherwise it says what went wrong
    (for the MetricsAvailable condition) and `snapshots` is empty.
    """

    evaluated_at: datetime
    snapshots: Mapping[SLORef, BudgetSnapshot] = field(default_factory=dict)
    failure: str | None = None

    @property
    def metrics_available(self) -> bool:
        """True when Prometheus answered, even if some SLOs have no series."""
        return self.failure is None

    @classmethod
    def unavailable(cls, evaluated_at: datetime, failure: str) -> PollResult:
        """A poll in which Prometheus could not be asked or did not answer."""
        return cls(evaluated_at=evaluated_at, snapshots={}, failure=failure)

    def select(self, slos: Iterable[SLORef]) -> tuple[BudgetSnapshot, ...]:
        """Snapshots of the given SLOs in order; an SLO without series gets a no-series one."""
        return tuple(
            self.snapshots.get(slo) or BudgetSnapshot.no_series(slo, self.evaluated_at)
            for slo in slos
        )
