"""From one poll to SLO status: status.errorBudget and the MetricsAvailable and BudgetExhausted
conditions.

The poller (runtime/poller.py) reads every SLO's snapshot (core/budget/reading.py) and for
every SLO asks `slo_status_patch` for the merge patch that brings its status up to date (policy
status lives in core/policy/status.py).

When is status "changed"? The values are written at the precision status shows them (one
decimal; remaining rounded down, burn rates rounded up, so neither looks better than measured),
and a patch is sent only when a shown value or a condition differs. Two fields move on every
poll and are not compared: `evaluatedAt` (when the shown values were read) and `exhaustionETA`
(which counts only when it moves by more than `ETA_TOLERANCE_SHARE` of the time left, at least
`ETA_MIN_TOLERANCE`). Both are refreshed whenever a patch goes out, and at the latest after
`refresh_after`, so a steady SLO costs one status write per `refresh_after`, not one per poll.

Who writes first? The SLO handler: the poller leaves an SLO's status alone until the handler
has recorded the SLO's current generation (`handler_recorded`). Both write with the
resourceVersion they read, so a poller write landing between the handler's read and its write
made the handler's write conflict, and kopf ran the whole handler again; at start-up with
thousands of SLOs queued that happened to nearly every one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.budget.arithmetic import HUNDRED, allowed_downtime, time_to_exhaustion
from budgetwarden.core.budget.reading import stable_failure
from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.budget.status_model import ErrorBudgetStatus, SLOStatus
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, Status, conditions_hold
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.status import status_patch
from budgetwarden.core.kernel.wire import shown_percent, shown_rate
from budgetwarden.core.slo.spec import SLO
from budgetwarden.core.slo.windows import burn_rate_windows

ETA_MIN_TOLERANCE = timedelta(minutes=1)
ETA_TOLERANCE_SHARE = 20  # an ETA moving by less than 1/20 of the time left is the same ETA
DEFAULT_REFRESH_AFTER = timedelta(minutes=10)


# --- SLO status ------------------------------------------------------------------------------
def total_text(objective: Decimal, window: timedelta) -> str:
    """The whole budget as downtime over the window: "43m12s" for 99.9% of 30d."""
    downtime = allowed_downtime(objective, window)
    return format_duration(downtime) if downtime >= timedelta(milliseconds=1) else "<1ms"


def fast_burn_window(slo: SLO) -> str:
    """The long window of the first page pair ("1h" for 30d): fastBurnRate and the ETA use it."""
    rows = burn_rate_windows(slo.spec.window, slo.spec.alerting.burn_rate_windows)
    pages = [row for row in rows if row.tier == c.TIER_PAGE] or list(rows)
    return format_duration(pages[0].long_window)


@dataclass(frozen=True, slots=True)
class BudgetTerms:
    """What an SLO's status is computed from: its name, objective, window and fast-burn window,
    and the whole budget as status shows it, worked out once rather than on every poll.

    The registry keeps these for the poller rather than the parsed SLO, a tree of about twenty
    pydantic models that takes some twenty times the memory (bench/operator_memory.py)."""

    ref: SLORef
    objective: Decimal
    window: timedelta
    fast_window: str  # fast_burn_window: the window fastBurnRate and the ETA read
    total: str  # total_text(objective, window)

    @classmethod
    def of(cls, slo: SLO | BudgetTerms) -> BudgetTerms:
        """The terms of a parsed SLO (terms read as themselves)."""
        if isinstance(slo, BudgetTerms):
            return slo
        ref = SLORef(slo.metadata.namespace, slo.metadata.name)
        objective, window = slo.spec.objective, slo.spec.window
        return cls(ref, objective, window, fast_burn_window(slo), total_text(objective, window))


def error_budget(slo: SLO | BudgetTerms, snapshot: BudgetSnapshot, now: datetime) -> dict[str, Any]:
    """status.errorBudget for a poll that found this snapshot (numbers absent when unknown)."""
    return budget_status(slo, snapshot, now).wire()


def budget_status(
    slo: SLO | BudgetTerms, snapshot: BudgetSnapshot, now: datetime
) -> ErrorBudgetStatus:
    """What status.errorBudget shows for this snapshot, at the precision it shows it."""
    terms = BudgetTerms.of(slo)
    remaining = snapshot.remaining_percent
    shown = None if remaining is None else shown_percent(remaining)
    fast = snapshot.burn_rates.get(terms.fast_window)
    left = None
    if remaining is not None and fast is not None:
        left = time_to_exhaustion(remaining / HUNDRED, fast, terms.window)
    return ErrorBudgetStatus(
        total=terms.total,
        remaining_percent=shown,
        consumed_percent=None if shown is None else HUNDRED - shown,
        burn_rates=tuple([(w, shown_rate(r)) for w, r in snapshot.burn_rates.items()]),
        fast_burn_rate=None if fast is None else shown_rate(fast),
        exhaustion_eta=None if left is None else now + left,
        evaluated_at=now,
    )


def slo_conditions(
    snapshot: BudgetSnapshot | None, failure: str | None, max_age: timedelta
) -> list[Condition]:
    """MetricsAvailable and BudgetExhausted for one SLO after a poll."""
    remaining = None if snapshot is None else snapshot.remaining_percent
    if failure is not None or remaining is None:
        reason, why, unknown = _why_unknown(snapshot, failure, max_age)
        return [
            Condition(c.CONDITION_METRICS_AVAILABLE, "False", reason, why),
            Condition(c.CONDITION_BUDGET_EXHAUSTED, "Unknown", reason, unknown),
        ]
    return list(_SPENT if remaining <= 0 else _LEFT)


# The conditions of an SLO whose budget was read: the same for every SLO, built once.
_FOUND = Condition(
    c.CONDITION_METRICS_AVAILABLE, "True", c.REASON_SERIES_FOUND,
    "Prometheus has this SLO's series.",
)  # fmt: skip


def _budget_read(exhausted: Status, reason: str, message: str) -> tuple[Condition, Condition]:
    """The two conditions of an SLO whose budget was read, BudgetExhausted as given."""
    return _FOUND, Condition(c.CONDITION_BUDGET_EXHAUSTED, exhausted, reason, message)


_SPENT = _budget_read(
    "True", c.REASON_BUDGET_SPENT,
    "The error budget is spent: the objective is not met over the window.",
)  # fmt: skip
_LEFT = _budget_read(
    "False", c.REASON_BUDGET_LEFT,
    "Some error budget is left; errorBudget.remainingPercent says how much.",
)  # fmt: skip


def _why_unknown(
    snapshot: BudgetSnapshot | None, failure: str | None, max_age: timedelta
) -> tuple[str, str, str]:
    """An unknown budget's reason, MetricsAvailable message and BudgetExhausted message."""
    if failure is not None:
        return (
            c.REASON_PROMETHEUS_UNAVAILABLE,
            f"Prometheus could not be read: {stable_failure(failure)}.",
            "The budget is unknown while Prometheus cannot be read; status keeps the last values.",
        )
    if snapshot is not None and snapshot.duplicates:
        twice = (
            f"Prometheus has more than one {', '.join(snapshot.duplicates)} series for this SLO "
            "with exactly the labels of its recording rules (they differ in slo_service): another "
            "rule writes series in this SLO's name, so none of its series is read."
        )
        unknown = (
            "The budget is unknown while its series are duplicated; it counts neither as spent "
            "nor as healthy."
        )
        return c.REASON_DUPLICATE_SERIES, twice, unknown
    missing = (
        f"Prometheus has no {c.METRIC_BUDGET_REMAINING} series for this SLO newer than "
        f"{format_duration(max_age)}: its recording rules are not loaded yet, have seen no "
        "traffic, or stopped."
    )
    unknown = "The budget is unknown without its series; it counts neither as spent nor as healthy."
    return c.REASON_NO_SERIES, missing + _ignored(snapshot), unknown


def _ignored(snapshot: BudgetSnapshot | None) -> str:
    """What the NoSeries message adds when look-alike series were not read."""
    labels = () if snapshot is None else snapshot.ignored_labels
    if not labels:
        return ""
    shown = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
    return (
        f" Series naming this SLO were ignored because they also carry {shown}, which its "
        "recording rules never set: they come from a scrape target or another rule."
    )


@dataclass(frozen=True)
class SLOPoll:
    """What one poll means for one SLO: its snapshot, or the failure that left none."""

    snapshot: BudgetSnapshot | None
    failure: str | None
    now: datetime
    max_age: timedelta
    refresh_after: timedelta = DEFAULT_REFRESH_AFTER
    generation: int = 0


def handler_recorded(status: SLOStatus, generation: int) -> bool:
    """Whether the SLO handler has recorded `generation` (status.observedGeneration, which only
    it writes): until then the poller writes nothing to the SLO's status."""
    return status.observed_generation >= generation


def slo_status_patch(
    current: Mapping[str, Any] | None,
    slo: SLO | BudgetTerms,
    poll: SLOPoll,
    read: SLOStatus | None = None,
) -> dict[str, Any] | None:
    """The merge patch for status.errorBudget and the poll's conditions; None when unchanged.
    `read` is `current` already read (the registry keeps it), else it is read here."""
    terms = BudgetTerms.of(slo)
    if read is None:
        read = SLOStatus.read(current)
    old = read.error_budget or ErrorBudgetStatus()
    if poll.failure is None:
        snapshot = poll.snapshot or BudgetSnapshot.no_series(terms.ref, poll.now)
        budget = budget_status(terms, snapshot, poll.now)
    else:  # keep the last values read; only the total follows the spec
        budget = replace(old, total=terms.total)
    conditions = slo_conditions(poll.snapshot, poll.failure, poll.max_age)
    held = conditions_hold(read.conditions, conditions, generation=poll.generation)
    if held and not _budget_changed(old, budget, poll):
        return None
    return status_patch(
        current,
        generation=poll.generation,
        conditions=conditions,
        fields={"errorBudget": budget.wire()},
        now=poll.now,
        observe_generation=False,  # the SLO handler's field
    )


def _budget_changed(old: ErrorBudgetStatus, new: ErrorBudgetStatus, poll: SLOPoll) -> bool:
    """True when a shown value differs, the ETA moved enough, or the refresh is due."""
    if new.shown != old.shown:
        return True
    if _eta_moved(old.exhaustion_eta, new.exhaustion_eta, poll.now):
        return True
    read = old.evaluated_at
    return poll.failure is None and (read is None or poll.now - read >= poll.refresh_after)


def _eta_moved(old: datetime | None, new: datetime | None, now: datetime) -> bool:
    if old is None or new is None:
        return old != new
    tolerance = max(ETA_MIN_TOLERANCE, abs(old - now) // ETA_TOLERANCE_SHARE)
    return abs(new - old) > tolerance
