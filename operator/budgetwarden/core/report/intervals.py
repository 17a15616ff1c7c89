"""From `ALERTS` samples to fires, and the statistics of fires: the step of a period, the
chunks of a range query, percentiles of durations, and flapping.

Called by `review` and by the CLI (which asks the adapter for one chunk at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from budgetwarden.core.report.model import Fire, Period, Series
from budgetwarden.core.report.thresholds import FLAP_FIRES, FLAP_WINDOW, MAX_POINTS, STEPS


def period_step(length: timedelta, evaluation: timedelta = timedelta()) -> timedelta:
    """The step for a period of `length` (thresholds.STEPS), at least `evaluation`.

    Raises ValueError for a period longer than the table reaches.
    """
    for up_to, step in STEPS:
        if length <= up_to:
            return max(step, evaluation)
    raise ValueError(f"must be at most {STEPS[-1][0].days}d")


def chunks(period: Period, max_points: int = MAX_POINTS) -> Iterator[tuple[datetime, datetime]]:
    """[start, end] of each range query covering the period, at most `max_points` steps each.

    Consecutive chunks share no step: the next one starts a step after the last one ended.
    """
    span = period.step * (max_points - 1)
    start = period.start
    while start <= period.end:
        end = min(start + span, period.end)
        yield start, end
        start = end + period.step


def fires(series: Series, period: Period) -> list[Fire]:
    """The fires of one series: runs of consecutive steps at which it was firing.

    A run ends at its last firing step plus one step, the first step at which it no longer
    fired. Runs that touch the period's first or last step are marked open.
    """
    found: list[Fire] = []
    run: list[datetime] = []
    for moment in sorted(set(series.times)):
        if run and moment - run[-1] > period.step * 1.5:
            found.append(_fire(series, run, period))
            run = []
        run.append(moment)
    if run:
        found.append(_fire(series, run, period))
    return found


def _fire(series: Series, run: Sequence[datetime], period: Period) -> Fire:
    last_step = run[-1] + period.step
    return Fire(
        labels=series.labels,
        start=run[0],
        end=min(last_step, period.end),
        open_start=run[0] - period.step < period.start,
        open_end=last_step > period.end,
    )


def percentile(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """The nearest-rank percentile: the smallest value with at least `percent` % of the values
    at or below it (50: the median, 90: p90); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))  # integer ceiling: no float rounding
    return ordered[rank - 1]


def most_starts_within(starts: Iterable[datetime], window: timedelta = FLAP_WINDOW) -> int:
    """The largest number of starts that fall within any `window` (both ends included)."""
    ordered = sorted(starts)
    best, first = 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] > window:
            first += 1
        best = max(best, last - first + 1)
    return best


def flapping(starts: Iterable[datetime]) -> bool:
    """At least FLAP_FIRES starts within FLAP_WINDOW (thresholds.py says why)."""
    return most_starts_within(starts, FLAP_WINDOW) >= FLAP_FIRES
