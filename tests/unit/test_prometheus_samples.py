"""From the items of a Prometheus answer to samples: values, times and labels as the reader
returns them (adapters/prometheus.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.adapters.prometheus import Sample, _samples

LABELS = {"__name__": "budgetwarden_slo:burn_rate", "slo_name": "checkout", "slo_window": "1h"}
AT = 1764410040.5


def item(raw: str, at: float = AT) -> dict[str, Any]:
    return {"metric": dict(LABELS), "value": [at, raw]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("0.25", Decimal("0.25"), id="a number keeps every digit as a Decimal"),
        pytest.param("1e-05", Decimal("0.00001"), id="exponent notation is a number"),
        pytest.param("-3", Decimal(-3), id="a negative number (an overspent budget) is kept"),
        pytest.param("NaN", None, id="NaN (no traffic) is no value"),
        pytest.param("+Inf", None, id="an infinity is no value"),
        pytest.param("-Inf", None, id="a negative infinity is no value"),
        pytest.param("bogus", None, id="an unreadable value is no value"),
    ],
)
def test_values_become_decimals_or_none(raw: str, expected: Decimal | None) -> None:
    assert _samples([item(raw)]) == [Sample(LABELS, expected, datetime.fromtimestamp(AT, UTC))]


def test_every_item_gets_its_own_time_and_labels() -> None:
    later = AT + 30
    samples = _samples([item("1"), item("2", at=later), item("3")])
    assert [s.timestamp for s in samples] == [
        datetime.fromtimestamp(AT, UTC),
        datetime.fromtimestamp(later, UTC),
        datetime.fromtimestamp(AT, UTC),
    ]
    assert [s.labels for s in samples] == [LABELS, LABELS, LABELS]
    assert [s.value for s in samples] == [Decimal(1), Decimal(2), Decimal(3)]


def test_an_empty_answer_is_no_samples() -> None:
    assert _samples([]) == []
