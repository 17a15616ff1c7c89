"""Fires from `ALERTS` steps, percentiles, flapping, the step of a period and its chunks
(core/report/intervals.py), on small hand-made series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from budgetwarden.core.report.intervals import (
    chunks,
    fires,
    flapping,
    most_starts_within,
    percentile,
    period_step,
)
from budgetwarden.core.report.model import Fire, Period, Series

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
PERIOD = Period(T0, T0 + 100 * MIN, MIN)
LABELS = {"alertname": "SLOErrorBudgetFastBurn"}


def at(*minutes: int) -> tuple[datetime, ...]:
    return tuple(T0 + m * MIN for m in minutes)


def fire(start: int, end: int, **flags: bool) -> Fire:
    return Fire(LABELS, T0 + start * MIN, T0 + end * MIN, **flags)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        pytest.param((), [], id="a series without steps never fired"),
        pytest.param((10,), [fire(10, 11)], id="one step is a fire of one step"),
        pytest.param((10, 11, 12), [fire(10, 13)], id="consecutive steps are one fire"),
        pytest.param(
            (10, 11, 13, 14), [fire(10, 12), fire(13, 15)],
            id="a missing step ends a fire and the next step starts another",
        ),
        pytest.param((0, 1), [fire(0, 2, open_start=True)], id="firing at the first step is open"),
        pytest.param(
            (99, 100), [fire(99, 100, open_end=True)],
            id="firing at the last step is open and ends with the period",
        ),
        pytest.param((12, 10, 11, 11), [fire(10, 13)], id="steps out of order or twice count once"),
    ],
)  # fmt: skip
def test_fires_are_runs_of_consecutive_steps(
    minutes: tuple[int, ...], expected: list[Fire]
) -> None:
    assert fires(Series(LABELS, at(*minutes)), PERIOD) == expected


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        pytest.param([], 50, None, id="no values have no percentile"),
        pytest.param([7], 90, 7, id="one value is every percentile"),
        pytest.param([10, 30, 60], 50, 30, id="the median of three is the middle one"),
        pytest.param([5, 5, 5, 120], 50, 5, id="the median of four is the second (nearest rank)"),
        pytest.param([5, 5, 5, 120], 90, 120, id="p90 of four is the fourth"),
        pytest.param(list(range(1, 11)), 90, 9, id="p90 of ten is the ninth, not the tenth"),
        pytest.param([3, 1, 2], 100, 3, id="p100 is the largest"),
    ],
)
def test_percentiles_are_nearest_rank(
    values: list[int], percent: int, expected: int | None
) -> None:
    result = percentile([v * MIN for v in values], percent)
    assert result == (None if expected is None else expected * MIN)


@pytest.mark.parametrize(
    ("starts", "most", "flaps"),
    [
        pytest.param((), 0, False, id="no starts do not flap"),
        pytest.param((0, 20, 40), 3, True, id="three starts in 40 minutes flap"),
        pytest.param((0, 30, 60), 3, True, id="three starts exactly 60 minutes apart flap"),
        pytest.param((0, 30, 61), 2, False, id="three starts over 61 minutes do not flap"),
        pytest.param((0, 100, 200, 210), 2, False, id="two close starts do not flap"),
        pytest.param((300, 0, 310, 320, 330), 4, True, id="starts in any order"),
    ],
)
def test_flapping_is_three_starts_within_an_hour(
    starts: tuple[int, ...], most: int, flaps: bool
) -> None:
    assert most_starts_within(at(*starts)) == most
    assert flapping(at(*starts)) is flaps


@pytest.mark.parametrize(
    ("length", "evaluation", "step"),
    [
        pytest.param(timedelta(days=1), timedelta(), timedelta(seconds=30), id="a day at 30s"),
        pytest.param(timedelta(days=3), timedelta(), timedelta(seconds=30), id="3d at 30s"),
        pytest.param(timedelta(days=30), timedelta(), MIN, id="30 days at 1m"),
        pytest.param(timedelta(days=90), timedelta(), 5 * MIN, id="90 days at 5m"),
        pytest.param(
            timedelta(days=1), 2 * MIN, 2 * MIN, id="never shorter than the evaluation interval"
        ),
    ],
)
def test_the_step_grows_with_the_period(
    length: timedelta, evaluation: timedelta, step: timedelta
) -> None:
    assert period_step(length, evaluation) == step


def test_a_period_beyond_the_table_has_no_step() -> None:
    with pytest.raises(ValueError, match="at most 400d"):
        period_step(timedelta(days=401))


def test_chunks_cover_every_step_once_within_the_point_limit() -> None:
    period = Period(T0, T0 + 25 * MIN, MIN)
    found = list(chunks(period, max_points=10))
    assert found == [
        (T0, T0 + 9 * MIN), (T0 + 10 * MIN, T0 + 19 * MIN), (T0 + 20 * MIN, T0 + 25 * MIN)
    ]  # fmt: skip


def test_thirty_days_at_one_minute_take_four_queries() -> None:
    period = Period(T0, T0 + timedelta(days=30), MIN)
    assert len(list(chunks(period))) == 4  # 43,201 steps, at most 11,000 a query
