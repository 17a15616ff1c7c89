"""From one Prometheus poll to SLO status: the query, the snapshots, status.errorBudget, conditions.

The poller (handlers/poller.py) runs `budget_query` once per poll, turns the samples into a
`PollResult` with `poll_result`, and for every SLO asks `slo_status_patch` for the merge patch
that brings its status up to date (policy status lives in core/policy/status.py).

Staleness, twice: the query keeps only samples whose own timestamp is younger than `max_age`
(`time() - timestamp(...)` is evaluated by Prometheus on the stored sample, so a recording rule
that stopped evaluating drops out long before Prometheus's 5m lookback would hide it), and
`poll_result` drops samples whose reported time is older than `max_age` (a caching query
frontend answering with an old result). Either way a stale SLO reads as "no series": Unknown.

When is status "changed"? The values are written at the precision status shows them (one
decimal; remaining rounded down, burn rates rounded up, so neither looks better than measured),
and a patch is sent only when a shown value or a condition differs. Two fields move on every
poll and are not compared: `evaluatedAt` (when the shown values were read) and `exhaustionETA`
(which counts only when it moves by more than `ETA_TOLERANCE_SHARE` of the time left, at least
`ETA_MIN_TOLERANCE`). Both are refreshed whenever a patch goes out, and at the latest after
`refresh_after`, so a steady SLO costs one status write per `refresh_after`, not one per poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.budget.arithmetic import HUNDRED, allowed_downtime, time_to_exhaustion
from budgetwarden.core.budget.reading import stable_failure
from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, set_conditions
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.wire import (
    format_time,
    merge_diff,
    parse_time,
    percent_text,
    rate_text,
)
from budgetwarden.core.slo.spec import SLO
from budgetwarden.core.slo.windows import burn_rate_windows

ETA_MIN_TOLERANCE = timedelta(minutes=1)
ETA_TOLERANCE_SHARE = 20  # an ETA moving by less than 1/20 of the time left is the same ETA
DEFAULT_REFRESH_AFTER = timedelta(minutes=10)
_TENTH = Decimal("0.1")
# Moved by every poll, so not compared (see the module docstring).
_VOLATILE = ("evaluatedAt", "exhaustionETA")


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


def error_budget(slo: SLO, snapshot: BudgetSnapshot, now: datetime) -> dict[str, Any]:
    """status.errorBudget for a poll that found this snapshot (numbers absent when unknown)."""
    body: dict[str, Any] = {"total": total_text(slo.spec.objective, slo.spec.window)}
    remaining = snapshot.remaining_percent
    if remaining is not None:
        shown = percent_text(remaining)
        body["remainingPercent"] = shown
        body["consumedPercent"] = str(HUNDRED - Decimal(shown))
    if snapshot.burn_rates:
        ordered = sorted(snapshot.burn_rates.items(), key=lambda kv: parse_duration(kv[0]))
        body["burnRates"] = {window: rate_text(rate) for window, rate in ordered}
    fast = snapshot.burn_rates.get(fast_burn_window(slo))
    if fast is not None:
        body["fastBurnRate"] = rate_text(fast)
    if remaining is not None and fast is not None:
        left = time_to_exhaustion(remaining / HUNDRED, fast, slo.spec.window)
        if left is not None:
            body["exhaustionETA"] = format_time(now + left)
    body["evaluatedAt"] = format_time(now)
    return body


def slo_conditions(
    snapshot: BudgetSnapshot | None, failure: str | None, max_age: timedelta
) -> list[Condition]:
    """MetricsAvailable and BudgetExhausted for one SLO after a poll."""
    available, exhausted = c.CONDITION_METRICS_AVAILABLE, c.CONDITION_BUDGET_EXHAUSTED
    if failure is not None:
        why = f"Prometheus could not be read: {stable_failure(failure)}"
        unknown = (
            "The budget is unknown while Prometheus cannot be read; status keeps the last values."
        )
        return [
            Condition(available, "False", c.REASON_PROMETHEUS_UNAVAILABLE, f"{why}."),
            Condition(exhausted, "Unknown", c.REASON_PROMETHEUS_UNAVAILABLE, unknown),
        ]
    remaining = None if snapshot is None else snapshot.remaining_percent
    if remaining is None:
        missing = (
            f"Prometheus has no {c.METRIC_BUDGET_REMAINING} series for this SLO newer than "
            f"{format_duration(max_age)}: its recording rules are not loaded yet, have seen no "
            "traffic, or stopped."
        )
        unknown = (
            "The budget is unknown without its series; it counts neither as spent nor as healthy."
        )
        return [
            Condition(available, "False", c.REASON_NO_SERIES, missing),
            Condition(exhausted, "Unknown", c.REASON_NO_SERIES, unknown),
        ]
    found = Condition(available, "True", c.REASON_SERIES_FOUND, "Prometheus has this SLO's series.")
    if remaining <= 0:
        spent = "The error budget is spent: the objective is not met over the window."
        return [found, Condition(exhausted, "True", c.REASON_BUDGET_SPENT, spent)]
    left = "Some error budget is left; errorBudget.remainingPercent says how much."
    return [found, Condition(exhausted, "False", c.REASON_BUDGET_LEFT, left)]


@dataclass(frozen=True)
class SLOPoll:
    """What one poll means for one SLO: its snapshot, or the failure that left none."""

    snapshot: BudgetSnapshot | None
    failure: str | None
    now: datetime
    max_age: timedelta
    refresh_after: timedelta = DEFAULT_REFRESH_AFTER
    generation: int = 0


def slo_status_patch(
    current: Mapping[str, Any] | None, slo: SLO, poll: SLOPoll
) -> dict[str, Any] | None:
    """The merge patch for status.errorBudget and the poll's conditions; None when unchanged."""
    current = current or {}
    old_budget: Mapping[str, Any] = current.get("errorBudget") or {}
    if poll.failure is None:
        snapshot = poll.snapshot or BudgetSnapshot.no_series(_ref(slo), poll.now)
        budget = error_budget(slo, snapshot, poll.now)
    else:  # keep the last values read; only the total follows the spec
        budget = {**old_budget, "total": total_text(slo.spec.objective, slo.spec.window)}
    conditions = set_conditions(
        current.get("conditions") or [],
        slo_conditions(poll.snapshot, poll.failure, poll.max_age),
        generation=poll.generation,
        now=poll.now,
    )
    if conditions == (current.get("conditions") or []) and not _budget_changed(
        old_budget, budget, poll
    ):
        return None
    return merge_diff(current, {"errorBudget": budget, "conditions": conditions}) or None


def _ref(slo: SLO) -> SLORef:
    return SLORef(slo.metadata.namespace, slo.metadata.name)


def _budget_changed(old: Mapping[str, Any], new: Mapping[str, Any], poll: SLOPoll) -> bool:
    """True when a shown value differs, the ETA moved enough, or the refresh is due."""
    steady = {k: v for k, v in new.items() if k not in _VOLATILE}
    if steady != {k: v for k, v in old.items() if k not in _VOLATILE}:
        return True
    if _eta_moved(old.get("exhaustionETA"), new.get("exhaustionETA"), poll.now):
        return True
    read = parse_time(old.get("evaluatedAt"))
    return poll.failure is None and (read is None or poll.now - read >= poll.refresh_after)


def _eta_moved(old: Any, new: Any, now: datetime) -> bool:
    before, after = parse_time(old), parse_time(new)
    if before is None or after is None:
        return bool(old != new)
    tolerance = max(ETA_MIN_TOLERANCE, abs(before - now) // ETA_TOLERANCE_SHARE)
    return abs(after - before) > tolerance
