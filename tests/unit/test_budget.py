"""Error-budget arithmetic: downtime, burn rate, consumed and remaining budget, exhaustion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.budget import arithmetic as budget
from budgetwarden.core.kernel.durations import parse_duration as _duration
from budgetwarden.core.slo.spec import BurnRateWindow

D = Decimal
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        pytest.param("99.5", 30 * DAY, timedelta(minutes=216), id="99.5% over 30d allows 216m"),
        pytest.param("99.9", 30 * DAY, timedelta(minutes=43.2), id="99.9% over 30d allows 43.2m"),
        pytest.param(
            "99.99", 30 * DAY, timedelta(minutes=4, seconds=19.2), id="99.99% over 30d allows 4m19s"
        ),
        pytest.param(
            "99.9", 28 * DAY, timedelta(minutes=40, seconds=19.2), id="99.9% over 28d allows 40m"
        ),
        pytest.param(
            "99", 7 * DAY, timedelta(hours=1, minutes=40, seconds=48), id="99% over 7d allows 1h40m"
        ),
        pytest.param("90", timedelta(hours=1), timedelta(minutes=6), id="90% over 1h allows 6m"),
    ],
)
def test_allowed_downtime(objective: str, window: timedelta, expected: timedelta) -> None:
    assert budget.allowed_downtime(D(objective), window) == expected


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        pytest.param("99.9", D("0.001"), id="99.9% leaves a thousandth of events to fail"),
        pytest.param("99.5", D("0.005"), id="99.5% leaves half a percent"),
        pytest.param("93.06", D("0.0694"), id="93.06% leaves 6.94% exactly, with no float noise"),
    ],
)
def test_budget_fraction(objective: str, expected: Decimal) -> None:
    assert budget.budget_fraction(D(objective)) == expected


@pytest.mark.parametrize(
    ("error_ratio", "objective", "rate", "consumed", "remaining"),
    [
        pytest.param("0", "99.9", "0", "0", "100", id="no errors burn nothing"),
        pytest.param("0.0005", "99.9", "0.5", "50", "50", id="half the budget rate spends half"),
        pytest.param("0.001", "99.9", "1", "100", "0", id="the budget rate spends it all"),
        pytest.param(
            "0.0144", "99.9", "14.4", "1440", "-1340", id="a 1.44% error rate burns 14.4x"
        ),
        pytest.param("0.002", "99.5", "0.4", "40", "60", id="0.2% errors against 99.5% leave 60%"),
        pytest.param("0.01", "99.5", "2", "200", "-100", id="overspend is kept, not clamped"),
    ],
)
def test_burn_and_budget(
    error_ratio: str, objective: str, rate: str, consumed: str, remaining: str
) -> None:
    ratio, target = D(error_ratio), D(objective)
    assert (
        budget.burn_rate(ratio, target),
        budget.consumed_percent(ratio, target),
        budget.remaining_percent(ratio, target),
    ) == (D(rate), D(consumed), D(remaining))


@pytest.mark.parametrize(
    ("error_ratio", "objective", "message"),
    [
        pytest.param(
            "NaN", "99.9", "error ratio must be a finite number >= 0; got NaN", id="NaN is refused"
        ),
        pytest.param(
            "-0.1", "99.9", "error ratio must be a finite number >= 0; got -0.1", id="negative"
        ),
        pytest.param(
            "0.1",
            "100",
            "objective must be a percent above 0 and below 100; got 100",
            id="a 100% objective has no budget to burn",
        ),
    ],
)
def test_burn_rate_refuses(error_ratio: str, objective: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        budget.burn_rate(D(error_ratio), D(objective))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("remaining", "rate", "window", "expected"),
    [
        pytest.param("1", "1", 30 * DAY, 30 * DAY, id="a full budget lasts the window at rate 1"),
        pytest.param("1", "14.4", 30 * DAY, timedelta(days=2, hours=2), id="14.4x empties in 50h"),
        pytest.param("0.5", "14.4", 30 * DAY, timedelta(hours=25), id="half left at 14.4x: 25h"),
        pytest.param("0.25", "0.5", 7 * DAY, timedelta(days=3, hours=12), id="slow burn, 7d"),
        pytest.param("0.5", "0", 30 * DAY, None, id="no burn never exhausts"),
        pytest.param("0.5", "-1", 30 * DAY, None, id="a negative burn never exhausts"),
        pytest.param("0", "2", 30 * DAY, None, id="an exhausted budget has no time left"),
        pytest.param("-0.3", "2", 30 * DAY, None, id="an overspent budget has no time left"),
    ],
)
def test_time_to_exhaustion(
    remaining: str, rate: str, window: timedelta, expected: timedelta | None
) -> None:
    assert budget.time_to_exhaustion(D(remaining), D(rate), window) == expected


def _row(
    tier: str, long: str, short: str, factor: str
) -> tuple[str, timedelta, timedelta, Decimal]:
    return tier, _duration(long), _duration(short), D(factor)


def _table(objective: str, window: timedelta) -> list[tuple[object, ...]]:
    return [
        (
            row.window.tier,
            row.window.long_window,
            row.window.short_window,
            row.window.factor,
            row.error_ratio,
            row.consumed_percent,
            row.exhaustion,
            row.reachable,
        )
        for row in budget.burn_rate_table(D(objective), window)
    ]


@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        pytest.param(
            "99.9",
            30 * DAY,
            [
                (*_row("page", "1h", "5m", "14.4"), D("0.0144"), D(2), _duration("2d2h"), True),
                (*_row("page", "6h", "30m", "6"), D("0.006"), D(5), 5 * DAY, True),
                (*_row("ticket", "1d", "2h", "3"), D("0.003"), D(10), 10 * DAY, True),
                (*_row("ticket", "3d", "6h", "1"), D("0.001"), D(10), 30 * DAY, True),
            ],
            id="99.9% over 30d uses the Workbook table",
        ),
        pytest.param(
            "93",
            30 * DAY,
            [
                (*_row("page", "1h", "5m", "14.4"), D("1.008"), D(2), _duration("2d2h"), False),
                (*_row("page", "6h", "30m", "6"), D("0.42"), D(5), 5 * DAY, True),
                (*_row("ticket", "1d", "2h", "3"), D("0.21"), D(10), 10 * DAY, True),
                (*_row("ticket", "3d", "6h", "1"), D("0.07"), D(10), 30 * DAY, True),
            ],
            id="at 93% the 14.4x page needs over 100% errors and can never fire",
        ),
    ],
)
def test_burn_rate_table(
    objective: str, window: timedelta, expected: list[tuple[object, ...]]
) -> None:
    assert _table(objective, window) == expected


def test_burn_rate_row_for_an_override() -> None:
    alert = BurnRateWindow(
        tier="page",
        long_window=timedelta(minutes=30),
        short_window=timedelta(minutes=2),
        factor=D("20"),
    )
    row = budget.burn_rate_row(D("99"), 7 * DAY, alert)
    assert (row.error_ratio, row.consumed_percent.quantize(D("0.0001")), row.exhaustion) == (
        D("0.2"),
        D("5.9524"),
        timedelta(hours=8, minutes=24),
    )
