"""The burn-rate table is the SRE Workbook's at 30d, Sloth's at 28d, and scaled below 28d."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.spec import BurnRateWindow
from budgetwarden.core.slo.windows import burn_rate_windows, check_scrape_interval, ratio_windows

S, M, H, D = (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))


def row(tier: str, long: timedelta, short: timedelta, factor: str) -> BurnRateWindow:
    return BurnRateWindow(tier=tier, long_window=long, short_window=short, factor=Decimal(factor))


def rows(window: timedelta) -> list[tuple[str, timedelta, timedelta, Decimal]]:
    return [(r.tier, r.long_window, r.short_window, r.factor) for r in burn_rate_windows(window)]


REFERENCE_TABLES = [
    pytest.param(
        30 * D,
        [
            ("page", 1 * H, 5 * M, Decimal("14.4")),
            ("page", 6 * H, 30 * M, Decimal("6")),
            ("ticket", 1 * D, 2 * H, Decimal("3")),
            ("ticket", 3 * D, 6 * H, Decimal("1")),
        ],
        id="30d is the Workbook table: 14.4, 6, 3, 1",
    ),
    pytest.param(
        28 * D,
        [
            ("page", 1 * H, 5 * M, Decimal("13.44")),
            ("page", 6 * H, 30 * M, Decimal("5.6")),
            ("ticket", 1 * D, 2 * H, Decimal("2.8")),
            ("ticket", 3 * D, 6 * H, Decimal("0.933333")),
        ],
        id="28d keeps the windows and recomputes the factors as Sloth does",
    ),
    pytest.param(
        90 * D,
        [
            ("page", 1 * H, 5 * M, Decimal("43.2")),
            ("page", 6 * H, 30 * M, Decimal("18")),
            ("ticket", 1 * D, 2 * H, Decimal("9")),
            ("ticket", 3 * D, 6 * H, Decimal("3")),
        ],
        id="90d keeps the windows; 2% of a 90d budget in 1h is a burn rate of 43.2",
    ),
    pytest.param(
        7 * D,
        [
            ("page", 14 * M, 70 * S, Decimal("14.4")),
            ("page", 84 * M, 7 * M, Decimal("6")),
            ("ticket", 336 * M, 28 * M, Decimal("3")),
            ("ticket", 1008 * M, 84 * M, Decimal("1")),
        ],
        id="7d scales every window by 7/30 and keeps the 30d factors",
    ),
    pytest.param(
        1 * D,
        [
            ("page", 2 * M, 10 * S, Decimal("14.4")),
            ("page", 12 * M, 1 * M, Decimal("6")),
            ("ticket", 48 * M, 4 * M, Decimal("3")),
            ("ticket", 144 * M, 12 * M, Decimal("1")),
        ],
        id="1d scales every window by 1/30",
    ),
    pytest.param(
        25 * H + 30 * M,
        [
            ("page", 128 * S, 11 * S, Decimal("14.34375")),
            ("page", 765 * S, 64 * S, Decimal("6")),
            ("ticket", 51 * M, 255 * S, Decimal("3")),
            ("ticket", 153 * M, 765 * S, Decimal("1")),
        ],
        id="25h30m rounds 127.5s up to 128s, and the factor follows the rounded window",
    ),
]


@pytest.mark.parametrize(("window", "expected"), REFERENCE_TABLES)
def test_reference_table_for_a_window(
    window: timedelta, expected: list[tuple[str, timedelta, timedelta, Decimal]]
) -> None:
    assert rows(window) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            (row("ticket", 3 * D, 6 * H, "1"), row("page", 2 * H, 10 * M, "10")),
            (row("page", 2 * H, 10 * M, "10"), row("ticket", 3 * D, 6 * H, "1")),
            id="overrides replace the table and come back pages first",
        ),
        pytest.param(
            (row("page", 1 * H, 5 * M, "20"),),
            (row("page", 1 * H, 5 * M, "20"),),
            id="a single override leaves no ticket rows",
        ),
    ],
)
def test_overrides_replace_the_table(
    overrides: tuple[BurnRateWindow, ...], expected: tuple[BurnRateWindow, ...]
) -> None:
    assert burn_rate_windows(30 * D, overrides) == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param(
            30 * D,
            (5 * M, 30 * M, 1 * H, 2 * H, 6 * H, 1 * D, 3 * D),
            id="30d records ratios over 5m 30m 1h 2h 6h 1d 3d",
        ),
        pytest.param(
            7 * D,
            (70 * S, 5 * M, 7 * M, 14 * M, 28 * M, 84 * M, 336 * M, 1008 * M),
            id="7d records its scaled windows and the 5m base",
        ),
    ],
)
def test_ratio_windows(window: timedelta, expected: tuple[timedelta, ...]) -> None:
    assert ratio_windows(burn_rate_windows(window)) == expected


TOO_SHORT_WINDOWS = [
    pytest.param(
        1 * D,
        (),
        30 * S,
        "spec.window",
        "1d scales the page burn-rate windows of the 30d table down to 2m/10s, and 10s is "
        "shorter than two scrape intervals (2 × 30s = 1m), so its rate has too few samples; "
        "use a window of at least 6d, set spec.alerting.burnRateWindows, or scrape at least "
        "every 5s",
        id="1d with a 30s scrape is too short and says how to fix it",
    ),
    pytest.param(
        7 * D,
        (),
        1 * M,
        "spec.window",
        "7d scales the page burn-rate windows of the 30d table down to 14m/1m10s, and 1m10s "
        "is shorter than two scrape intervals (2 × 1m = 2m), so its rate has too few "
        "samples; use a window of at least 12d, set spec.alerting.burnRateWindows, or "
        "scrape at least every 35s",
        id="7d with a 1m scrape is too short",
    ),
    pytest.param(
        30 * D,
        (row("page", 1 * H, 5 * M, "14.4"), row("page", 10 * M, 40 * S, "20")),
        30 * S,
        "spec.alerting.burnRateWindows[1].shortWindow",
        "40s is shorter than two scrape intervals (2 × 30s = 1m), so its rate has too few "
        "samples; use at least 1m",
        id="a too-short override is named by its index as written",
    ),
]


@pytest.mark.parametrize(("window", "overrides", "scrape", "field", "message"), TOO_SHORT_WINDOWS)
def test_windows_shorter_than_two_scrapes_are_errors(
    window: timedelta,
    overrides: tuple[BurnRateWindow, ...],
    scrape: timedelta,
    field: str,
    message: str,
) -> None:
    with pytest.raises(SpecError) as raised:
        check_scrape_interval(window, overrides, scrape)
    assert [(p.field, p.message) for p in raised.value.problems] == [(field, message)]


@pytest.mark.parametrize(
    ("window", "scrape"),
    [
        pytest.param(30 * D, 30 * S, id="30d with a 30s scrape"),
        pytest.param(6 * D, 30 * S, id="6d with a 30s scrape, the shortest that fits"),
        pytest.param(1 * D, 5 * S, id="1d with a 5s scrape"),
    ],
)
def test_windows_that_fit_the_scrape_interval(window: timedelta, scrape: timedelta) -> None:
    check_scrape_interval(window, (), scrape)
