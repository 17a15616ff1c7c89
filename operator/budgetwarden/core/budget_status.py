"""From one Prometheus poll to SLO status: the query, the snapshots, status.errorBudget, conditions.

The poller (handlers/poller.py) runs `budget_query` once per poll, turns the samples into a
`PollResult` with `poll_result`, and for every SLO asks `slo_status_patch` for the merge patch
that brings its status up to date (policy status lives in core/policy_status.py).

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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, Protocol

from budgetwarden.core import conventions as c
from budgetwarden.core.budget import HUNDRED, allowed_downtime, time_to_exhaustion
from budgetwarden.core.conditions import Condition, set_conditions
from budgetwarden.core.durations import format_duration, parse_duration
from budgetwarden.core.levels import percent_text
from budgetwarden.core.policy import timestamp
from budgetwarden.core.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.spec import SLO
from budgetwarden.core.windows import burn_rate_windows

ETA_MIN_TOLERANCE = timedelta(minutes=1)
ETA_TOLERANCE_SHARE = 20  # an ETA moving by less than 1/20 of the time left is the same ETA
DEFAULT_REFRESH_AFTER = timedelta(minutes=10)
_TENTH = Decimal("0.1")
_BUDGET_METRICS = (c.METRIC_BUDGET_REMAINING, c.METRIC_BURN_RATE)
# Moved by every poll, so not compared (see the module docstring).
_VOLATILE = ("evaluatedAt", "exhaustionETA")


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


# --- SLO status ------------------------------------------------------------------------------
def rate_text(value: Decimal) -> str:
    """A burn rate to one decimal, rounded up: 14.41 shows "14.5", never below the trigger."""
    return str(value.quantize(_TENTH, rounding=ROUND_CEILING))


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
            body["exhaustionETA"] = timestamp(now + left)
    body["evaluatedAt"] = timestamp(now)
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


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 status timestamp with a zone, or None when absent or unreadable."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


def merge_diff(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning `current` into `desired` for desired's keys.

    Keys of nested mappings that `desired` drops are sent as null (a merge patch keeps what it
    does not mention); lists and scalars are replaced whole. Top-level keys absent from
    `desired` are left alone: other writers own them.
    """
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        old = current.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = merge_diff(old, value)
            nested.update({k: None for k in old if k not in value})
            if nested:
                patch[key] = nested
        elif old != value:
            patch[key] = value
    return patch


def merge_apply(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with a JSON merge patch applied (RFC 7386): what the API server will store."""
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_apply(merged[key], value)
        else:
            merged[key] = value
    return merged
