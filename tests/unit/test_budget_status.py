"""From Prometheus samples to SLO status: snapshots, errorBudget, conditions.

The patches, and when SLO and policy status is written, are in test_budget_status_writes.py;
from samples to snapshots in test_budget_reading.py.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from budget_status_support import CHECKOUT, MAX_AGE, NOW, slo, snapshot
from budgetwarden.core.budget.reading import stable_failure
from budgetwarden.core.budget.slo_status import error_budget, slo_conditions, total_text
from budgetwarden.core.budget.snapshot import BudgetSnapshot


# --- status.errorBudget ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        pytest.param("99.5", "30d", "3h36m", id="99.5% over 30 days allows 216 minutes"),
        pytest.param("99.9", "30d", "43m12s", id="99.9% over 30 days allows 43m12s"),
        pytest.param("99.95", "7d", "5m2s400ms", id="99.95% over 7 days allows 5m2.4s"),
        pytest.param("99.9999", "1h", "3ms", id="a tiny budget shows whole milliseconds"),
        pytest.param("99.999999", "1h", "<1ms", id="a budget under a millisecond says so"),
    ],
)
def test_the_total_budget_is_allowed_downtime(objective: str, window: str, expected: str) -> None:
    assert total_text(Decimal(objective), slo(objective, window).spec.window) == expected


ERROR_BUDGET_CASES = [
    pytest.param(
        snapshot("63.27", w5m="0.4", w1h="1.2", w30m="0.91", w1d="1.1"),
        {
            "total": "3h36m",
            "remainingPercent": "63.2",
            "consumedPercent": "36.8",
            "burnRates": {"5m": "0.4", "30m": "1.0", "1h": "1.2", "1d": "1.1"},
            "fastBurnRate": "1.2",
            # 63.27% of 30d at 1.2x lasts 15.8175 days
            "exhaustionETA": "2026-12-15T05:37:12Z",
            "evaluatedAt": "2026-11-29T10:00:00Z",
        },
        id="a burning budget gets every field, burn rates rounded up, remaining down",
    ),
    pytest.param(
        snapshot("-12.5", w1h="3"),
        {
            "total": "3h36m",
            "remainingPercent": "-12.5",
            "consumedPercent": "112.5",
            "burnRates": {"1h": "3.0"},
            "fastBurnRate": "3.0",
            "evaluatedAt": "2026-11-29T10:00:00Z",
        },
        id="a spent budget has no exhaustion ETA",
    ),
    pytest.param(
        snapshot("80", w1h="0"),
        {
            "total": "3h36m",
            "remainingPercent": "80.0",
            "consumedPercent": "20.0",
            "burnRates": {"1h": "0.0"},
            "fastBurnRate": "0.0",
            "evaluatedAt": "2026-11-29T10:00:00Z",
        },
        id="a budget that is not burning has no exhaustion ETA",
    ),
    pytest.param(
        snapshot(None, w5m="2"),
        {"total": "3h36m", "burnRates": {"5m": "2.0"}, "evaluatedAt": "2026-11-29T10:00:00Z"},
        id="without a budget series only the total and the burn rates are shown",
    ),
]


@pytest.mark.parametrize(("found", "expected"), ERROR_BUDGET_CASES)
def test_error_budget_body(found: BudgetSnapshot, expected: dict[str, Any]) -> None:
    assert error_budget(slo(), found, NOW) == expected


def test_the_fast_burn_window_of_a_short_slo_is_scaled() -> None:
    # 1d scales the 1h/5m page pair to 2m/10s: the 2m burn rate is the fast one
    found = BudgetSnapshot(CHECKOUT, NOW, Decimal(50), {"2m": Decimal(2), "5m": Decimal(9)})
    assert error_budget(slo(window="1d"), found, NOW)["fastBurnRate"] == "2.0"


# --- conditions ------------------------------------------------------------------------------
FOUND = ("MetricsAvailable", "True", "SeriesFound")


def conditions_of(found: BudgetSnapshot | None, failure: str | None) -> list[tuple[str, ...]]:
    return [(c.type, c.status, c.reason) for c in slo_conditions(found, failure, MAX_AGE)]


CONDITION_CASES = [
    pytest.param(
        snapshot("21.4"),
        None,
        [FOUND, ("BudgetExhausted", "False", "BudgetLeft")],
        id="budget left",
    ),
    pytest.param(
        snapshot("0"),
        None,
        [FOUND, ("BudgetExhausted", "True", "BudgetSpent")],
        id="exactly nothing left is exhausted",
    ),
    pytest.param(
        None,
        None,
        [("MetricsAvailable", "False", "NoSeries"), ("BudgetExhausted", "Unknown", "NoSeries")],
        id="no series is unknown, neither spent nor healthy",
    ),
    pytest.param(
        snapshot(None, w5m="30"),
        None,
        [("MetricsAvailable", "False", "NoSeries"), ("BudgetExhausted", "Unknown", "NoSeries")],
        id="burn rates without a budget series are still an unknown budget",
    ),
    pytest.param(
        replace(snapshot(None), duplicates=("budgetwarden_slo:error_budget_remaining:ratio",)),
        None,
        [
            ("MetricsAvailable", "False", "DuplicateSeries"),
            ("BudgetExhausted", "Unknown", "DuplicateSeries"),
        ],
        id="duplicated series are unknown, neither spent nor healthy",
    ),
    pytest.param(
        None,
        "connection refused",
        [
            ("MetricsAvailable", "False", "PrometheusUnavailable"),
            ("BudgetExhausted", "Unknown", "PrometheusUnavailable"),
        ],
        id="Prometheus down is unknown",
    ),
]


@pytest.mark.parametrize(("found", "failure", "expected"), CONDITION_CASES)
def test_slo_conditions(
    found: BudgetSnapshot | None, failure: str | None, expected: list[tuple[str, ...]]
) -> None:
    assert conditions_of(found, failure) == expected


def test_failure_messages_lose_object_addresses_so_they_do_not_change_every_poll() -> None:
    text = "query failed: NewConnectionError('<HTTPConnection object at 0x7f3a>: refused')"
    assert stable_failure(text) == "query failed: NewConnectionError('<HTTPConnection>: refused')"


def test_the_messages_name_the_duplicated_series_and_the_labels_that_were_not_read() -> None:
    burn = 'budgetwarden_slo:burn_rate{slo_window="1h"}'
    twice = replace(snapshot("50"), duplicates=(burn,), remaining_percent=None)
    foreign = replace(snapshot(None), ignored_labels=("instance", "job"))
    assert [c.message for c in slo_conditions(twice, None, MAX_AGE)] == [
        f"Prometheus has more than one {burn} series for this SLO with exactly the labels of its "
        "recording rules (they differ in slo_service): another rule writes series in this SLO's "
        "name, so none of its series is read.",
        "The budget is unknown while its series are duplicated; it counts neither as spent nor "
        "as healthy.",
    ]
    assert slo_conditions(foreign, None, MAX_AGE)[0].message.endswith(
        " Series naming this SLO were ignored because they also carry instance, job, which its "
        "recording rules never set: they come from a scrape target or another rule."
    )
