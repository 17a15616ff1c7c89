"""Error-budget arithmetic, in Decimal: allowed downtime, burn rate, consumed and remaining budget.

Pure functions of an objective (a percent such as `Decimal("99.9")`), a window and an observed
error ratio. The `budget` command prints `burn_rate_table`; the poller turns the ratios it reads
from Prometheus into status fields with `burn_rate`, `remaining_percent` and `time_to_exhaustion`.
Nothing here reads a clock: durations are returned, callers add them to their own `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from budgetwarden.core.slo.spec import BurnRateWindow
from budgetwarden.core.slo.windows import burn_rate_windows

HUNDRED = Decimal(100)
_MICROSECOND = timedelta(microseconds=1)


def _micros(duration: timedelta) -> Decimal:
    return Decimal(duration // _MICROSECOND)


def _scaled(
    duration: timedelta, numerator: Decimal, denominator: Decimal = Decimal(1)
) -> timedelta:
    """duration × numerator / denominator, rounded to the microsecond."""
    micros = (_micros(duration) * numerator / denominator).to_integral_value(ROUND_HALF_EVEN)
    return timedelta(microseconds=int(micros))


def _check_objective(objective: Decimal) -> None:
    if not objective.is_finite() or not 0 < objective < HUNDRED:
        raise ValueError(f"objective must be a percent above 0 and below 100; got {objective}")


def _check_ratio(error_ratio: Decimal) -> None:
    # NaN is what Prometheus returns for a window without traffic; deciding what that means
    # (Unknown, full budget) is the caller's job, so it never reaches the arithmetic.
    if not error_ratio.is_finite() or error_ratio < 0:
        raise ValueError(f"error ratio must be a finite number >= 0; got {error_ratio}")


def budget_fraction(objective: Decimal) -> Decimal:
    """The share of events allowed to fail: 99.9 -> 0.001."""
    _check_objective(objective)
    return (HUNDRED - objective) / HUNDRED


def allowed_downtime(objective: Decimal, window: timedelta) -> timedelta:
    """Full-outage time the budget allows in the window: 99.9 % of 30d -> 43m12s."""
    return _scaled(window, budget_fraction(objective))


def burn_rate(error_ratio: Decimal, objective: Decimal) -> Decimal:
    """How many times faster than sustainable the budget burns; 1 spends it by the window's end."""
    _check_ratio(error_ratio)
    return error_ratio / budget_fraction(objective)


def consumed_percent(error_ratio: Decimal, objective: Decimal) -> Decimal:
    """Budget spent, in percent, by an error ratio measured over the whole window; may pass 100."""
    return burn_rate(error_ratio, objective) * HUNDRED


def remaining_percent(error_ratio: Decimal, objective: Decimal) -> Decimal:
    """Budget left, in percent; negative when overspent (the overspend is kept, not clamped)."""
    return HUNDRED - consumed_percent(error_ratio, objective)


def time_to_exhaustion(
    remaining_fraction: Decimal, rate: Decimal, window: timedelta
) -> timedelta | None:
    """Time until the remaining budget (a fraction of the whole) is gone at burn rate `rate`.

    Returns None in two cases, which callers tell apart by `remaining_fraction`: the budget never
    runs out at this rate (`rate <= 0`), or it has already run out (`remaining_fraction <= 0`).
    At burn rate 1 a full budget lasts exactly one window.
    """
    if rate <= 0 or remaining_fraction <= 0:
        return None
    return _scaled(window, remaining_fraction, rate)


@dataclass(frozen=True)
class BurnRateRow:
    """One multi-window alert condition, with what it means for the budget when it fires."""

    window: BurnRateWindow
    error_ratio: Decimal  # the alert fires when both windows see more errors than this
    consumed_percent: Decimal  # budget spent over the long window by the time it fires
    exhaustion: timedelta  # how long a full budget lasts at this burn rate
    reachable: bool  # False when the threshold is 100 % errors or more: it can never fire


def burn_rate_row(objective: Decimal, window: timedelta, alert: BurnRateWindow) -> BurnRateRow:
    """What one burn-rate alert means for an objective and window."""
    threshold = alert.factor * budget_fraction(objective)
    return BurnRateRow(
        window=alert,
        error_ratio=threshold,
        consumed_percent=alert.factor * _micros(alert.long_window) / _micros(window) * HUNDRED,
        exhaustion=_scaled(window, Decimal(1), alert.factor),
        reachable=threshold < 1,
    )


def burn_rate_table(
    objective: Decimal, window: timedelta, overrides: Sequence[BurnRateWindow] = ()
) -> tuple[BurnRateRow, ...]:
    """The burn-rate alerts generated for this objective and window, one row each."""
    alerts = burn_rate_windows(window, tuple(overrides))
    return tuple(burn_rate_row(objective, window, alert) for alert in alerts)
