"""Freeze levels: their order, the level a budget calls for, and one SLO's assessment.

`policy.decide` builds on these; the status writer, the admission webhook and the CLI use the
helpers directly (`is_freeze`, `severity`, `level_of`) so every part orders and names levels
the same way. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import SEVERITY, Level, Levels, severity, threshold_of, worse
from budgetwarden.core.kernel.wire import number_text, percent_text
from budgetwarden.core.policy.spec import BurnRateTrigger, ErrorBudgetPolicySpec

_THRESHOLD_NAMES: Final = {
    Level.WARNING: "warning",
    Level.PARTIAL_FREEZE: "partial freeze",
    Level.FULL_FREEZE: "full freeze",
}
_TENTH: Final = Decimal("0.1")


class Rule(StrEnum):
    """Which rule of a policy set a level; CamelCase so it can serve as a condition reason."""

    THRESHOLD = c.REASON_BUDGET_THRESHOLD
    BURN_RATE = c.REASON_BURN_RATE_TRIGGER
    HYSTERESIS = c.REASON_HYSTERESIS_HOLD
    PARTIAL_DATA = c.REASON_PARTIAL_DATA_HOLD
    METRICS_UNAVAILABLE = c.REASON_METRICS_UNAVAILABLE
    NO_DATA = c.REASON_NO_DATA
    NO_SLOS = c.REASON_NO_SLOS_SELECTED


def level_of(remaining: Decimal | None, levels: Levels) -> Level:
    """The level a remaining-budget percent calls for; exactly at a threshold is the milder one."""
    if remaining is None:
        return Level.UNKNOWN
    for level in reversed(SEVERITY[1:]):
        threshold = threshold_of(level, levels)
        if threshold is not None and remaining < threshold:
            return level
    return Level.NORMAL


def threshold_text(level: Level, levels: Levels) -> str:
    """ "partial freeze below 30%" for a level above Normal."""
    threshold = threshold_of(level, levels) or Decimal(0)
    return f"{_THRESHOLD_NAMES[level]} below {number_text(threshold)}%"


@dataclass(frozen=True)
class SLOAssessment:
    """One SLO's level and why.

    `exit_floor` is the mildest level this SLO lets its policy go down to: the budget level
    with every threshold raised by the exit margin, or a still-firing trigger's level.
    """

    slo: SLORef
    level: Level
    remaining_percent: Decimal | None
    rule: Rule
    reason: str
    exit_floor: Level


def assess(snapshot: BudgetSnapshot, spec: ErrorBudgetPolicySpec) -> SLOAssessment:
    """Level one SLO by its remaining budget, raised by any firing burn-rate trigger."""
    slo, remaining = snapshot.slo, snapshot.remaining_percent
    by_budget = level_of(remaining, spec.levels)
    margin = spec.hysteresis.exit_margin_percent
    exit_budget = level_of(None if remaining is None else remaining - margin, spec.levels)
    trigger = _firing_trigger(snapshot, spec.burn_rate_triggers)
    if trigger is not None and (
        by_budget is Level.UNKNOWN or severity(trigger.level) > severity(by_budget)
    ):
        # A fast burn is evidence even without a budget series (a new SLO's period is short).
        floor = trigger.level if exit_budget is Level.UNKNOWN else worse(exit_budget, trigger.level)
        reason = _burn_reason(snapshot, trigger)
        return SLOAssessment(slo, trigger.level, remaining, Rule.BURN_RATE, reason, floor)
    if remaining is None:  # no series, or duplicated ones (core/budget/reading.py)
        what = "duplicated" if snapshot.duplicates else "no"
        reason = f"SLO {slo.name} has {what} error budget series"
        return SLOAssessment(slo, Level.UNKNOWN, None, Rule.NO_DATA, reason, Level.UNKNOWN)
    # exit_budget is never milder than by_budget, and any firing trigger is not above it here.
    floor = exit_budget
    shown = Level.WARNING if by_budget is Level.NORMAL else by_budget
    reason = (
        f"SLO {slo.name} has {percent_text(remaining)}% error budget left "
        f"({threshold_text(shown, spec.levels)})"
    )
    return SLOAssessment(slo, by_budget, remaining, Rule.THRESHOLD, reason, floor)


def _firing_trigger(
    snapshot: BudgetSnapshot, triggers: Iterable[BurnRateTrigger]
) -> BurnRateTrigger | None:
    """The strongest trigger whose both windows burn faster than its factor; first on ties."""
    firing = [
        t
        for t in triggers
        if all(
            rate is not None and rate > t.factor
            for rate in (snapshot.burn_rate(t.long_window), snapshot.burn_rate(t.short_window))
        )
    ]
    return max(firing, key=lambda t: severity(t.level), default=None)


def _burn_reason(snapshot: BudgetSnapshot, trigger: BurnRateTrigger) -> str:
    long_rate = snapshot.burn_rate(trigger.long_window) or Decimal(0)
    short_rate = snapshot.burn_rate(trigger.short_window) or Decimal(0)
    return (
        f"SLO {snapshot.slo.name} burns {percent_text(long_rate)}x over "
        f"{format_duration(trigger.long_window)} and {percent_text(short_rate)}x over "
        f"{format_duration(trigger.short_window)} "
        f"(trigger: {number_text(trigger.factor)}x → {trigger.level})"
    )
