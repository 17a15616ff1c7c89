"""Burn-rate windows: the multi-window, multi-burn-rate table for an SLO window.

Rule generation (`core.slo.rules`) asks `burn_rate_windows` which (long, short, factor) pairs to
alert on, `ratio_windows` which burn rates to record, and `check_scrape_interval` whether every
one of those windows holds enough samples; `rule_warnings` reads the same table to find factors an
objective can never reach.

The table is defined by how much of the budget a condition lets burn before it fires (the SRE
Workbook's way), so one rule covers every window:
- windows of 28 days or longer keep the Workbook's 30-day windows;
- shorter windows scale both windows of each pair by window / 30d (whole seconds);
- the factor is `consumed × window / long window` in both cases, so 30d gives the Workbook's
  14.4 / 6 / 3 / 1 and 28d gives Sloth's 13.44 / 5.6 / 2.8 / 0.933333.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

from budgetwarden.core.kernel.durations import human_duration
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.slo.spec import BurnRateWindow

Tier = Literal["page", "ticket"]


@dataclass(frozen=True)
class ReferenceRow:
    """One row of the reference table: a window pair and the share of budget it lets burn."""

    tier: Tier
    long_window: timedelta
    short_window: timedelta
    budget_consumed: Decimal


# Reviewed data. Source: The Site Reliability Workbook, chapter 5 "Alerting on SLOs", table 5-8
# ("Recommended parameters for a 99.9% SLO alerting configuration"), 30-day SLO: page at 2% of
# the budget in 1h (short window 5m) or 5% in 6h (30m); ticket at 10% in 1d (2h) or 10% in 3d
# (6h). Sloth ships the same rows as internal/alert/windows/google-30d.yaml and google-28d.yaml.
REFERENCE_WINDOW = timedelta(days=30)
REFERENCE_TABLE: tuple[ReferenceRow, ...] = (
    ReferenceRow("page", timedelta(hours=1), timedelta(minutes=5), Decimal("0.02")),
    ReferenceRow("page", timedelta(hours=6), timedelta(minutes=30), Decimal("0.05")),
    ReferenceRow("ticket", timedelta(days=1), timedelta(hours=2), Decimal("0.10")),
    ReferenceRow("ticket", timedelta(days=3), timedelta(hours=6), Decimal("0.10")),
)
# Windows this long keep the Workbook windows: four whole weeks is the other common period.
UNSCALED_FROM = timedelta(days=28)
# The 5m rates every SLO records; the period budget is summed from them.
BASE_RATE_WINDOW = timedelta(minutes=5)
# A rate needs two samples in its window, so a window must span at least two scrape intervals.
MIN_SCRAPES_PER_WINDOW = 2
# Factors are written with at most six decimals (the Factor wire type allows no more).
FACTOR_QUANTUM = Decimal("0.000001")
_TIER_ORDER = {"page": 0, "ticket": 1}


# Generation asks for the same few windows thousands of times; the answer is immutable.
@lru_cache(maxsize=256)
def burn_rate_windows(
    window: timedelta, overrides: tuple[BurnRateWindow, ...] = ()
) -> tuple[BurnRateWindow, ...]:
    """The alert table for an SLO window: `overrides` when given, else the scaled reference."""
    rows = overrides or tuple(_from_reference(row, window) for row in REFERENCE_TABLE)
    return tuple(sorted(rows, key=lambda r: (_TIER_ORDER[r.tier], r.long_window, r.short_window)))


def _from_reference(row: ReferenceRow, window: timedelta) -> BurnRateWindow:
    scale = Decimal(1) if window >= UNSCALED_FROM else _seconds(window) / _seconds(REFERENCE_WINDOW)
    long_window = _scaled(row.long_window, scale)
    factor = row.budget_consumed * _seconds(window) / _seconds(long_window)
    return BurnRateWindow(
        tier=row.tier,
        long_window=long_window,
        short_window=_scaled(row.short_window, scale),
        factor=factor.quantize(FACTOR_QUANTUM).normalize(),
    )


def _seconds(value: timedelta) -> Decimal:
    return Decimal(value // timedelta(microseconds=1)) / Decimal(1_000_000)


def _scaled(value: timedelta, scale: Decimal) -> timedelta:
    seconds = (_seconds(value) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return timedelta(seconds=max(int(seconds), 1))


def ratio_windows(windows: tuple[BurnRateWindow, ...]) -> tuple[timedelta, ...]:
    """Every window a burn rate is recorded for: the 5m base and both windows of each pair."""
    found = {BASE_RATE_WINDOW}
    for row in windows:
        found.update((row.long_window, row.short_window))
    return tuple(sorted(found))


def check_scrape_interval(
    slo_window: timedelta, overrides: tuple[BurnRateWindow, ...], scrape_interval: timedelta
) -> None:
    """Raise SpecError when a burn-rate window spans fewer than two scrape intervals."""
    minimum = scrape_interval * MIN_SCRAPES_PER_WINDOW
    for index, row in enumerate(overrides):
        if row.short_window < minimum:
            raise SpecError.single(
                f"spec.alerting.burnRateWindows[{index}].shortWindow",
                f"{human_duration(row.short_window)} is shorter than two scrape intervals "
                f"({MIN_SCRAPES_PER_WINDOW} × {human_duration(scrape_interval)} = "
                f"{human_duration(minimum)}), so its rate has too few samples; use at least "
                f"{human_duration(minimum)}",
            )
    for row in () if overrides else burn_rate_windows(slo_window):
        if row.short_window < minimum:
            raise SpecError([_too_short(slo_window, row, scrape_interval)])


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _too_short(slo_window: timedelta, row: BurnRateWindow, scrape: timedelta) -> Problem:
    minimum = scrape * MIN_SCRAPES_PER_WINDOW
    shortest = min(r.short_window for r in REFERENCE_TABLE)
    # Smallest SLO window whose scaled shortest window still spans two scrapes, in whole hours.
    micro, hour = timedelta(microseconds=1), timedelta(hours=1) // timedelta(microseconds=1)
    needed = _ceil_div(minimum // micro * (REFERENCE_WINDOW // micro), shortest // micro)
    needed_hours = _ceil_div(needed, hour)
    fastest_scrape = max(row.short_window // MIN_SCRAPES_PER_WINDOW, timedelta(seconds=1))
    return Problem(
        "spec.window",
        f"{human_duration(slo_window)} scales the {row.tier} burn-rate windows of the "
        f"{human_duration(REFERENCE_WINDOW)} table down to "
        f"{human_duration(row.long_window)}/{human_duration(row.short_window)}, and "
        f"{human_duration(row.short_window)} is shorter than two scrape intervals "
        f"({MIN_SCRAPES_PER_WINDOW} × {human_duration(scrape)} = {human_duration(minimum)}), "
        f"so its rate has too few samples; use a window of at least "
        f"{human_duration(timedelta(hours=needed_hours))}, set spec.alerting.burnRateWindows, "
        f"or scrape at least every {human_duration(fastest_scrape)}",
    )
