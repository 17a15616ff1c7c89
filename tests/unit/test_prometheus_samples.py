"""From a Prometheus answer to samples: values, times, labels, and the answers that are errors
(adapters/prometheus.py). The integration tests read the same answers from real backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.adapters.prometheus import PrometheusUnavailable, Sample, _samples, _series

LABELS = {"__name__": "budgetwarden_slo:burn_rate", "slo_name": "checkout", "slo_window": "1h"}
AT = 1764410040.5


def item(raw: str, at: float = AT) -> dict[str, Any]:
    return {"metric": dict(LABELS), "value": [at, raw]}


def answer(*items: dict[str, Any], **extra: Any) -> bytes:
    """A successful instant-vector answer, with any extra top-level fields."""
    body = {"status": "success", "data": {"resultType": "vector", "result": list(items)}}
    return json.dumps(body | extra).encode()


def read(*items: dict[str, Any]) -> list[Sample]:
    return _samples(_series(200, answer(*items)))


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
    assert read(item(raw)) == [Sample(LABELS, expected, datetime.fromtimestamp(AT, UTC))]


def test_every_item_gets_its_own_time_and_labels() -> None:
    later = AT + 30
    samples = read(item("1"), item("2", at=later), item("3"))
    assert [s.timestamp for s in samples] == [
        datetime.fromtimestamp(AT, UTC),
        datetime.fromtimestamp(later, UTC),
        datetime.fromtimestamp(AT, UTC),
    ]
    assert [s.labels for s in samples] == [LABELS, LABELS, LABELS]
    assert [s.value for s in samples] == [Decimal(1), Decimal(2), Decimal(3)]


def test_a_whole_second_time_is_read_like_a_fractional_one() -> None:
    # VictoriaMetrics writes whole seconds as integers.
    assert read(item("1", at=1764410040))[0].timestamp == datetime.fromtimestamp(1764410040, UTC)


def test_an_empty_answer_is_no_samples() -> None:
    assert read() == []


def test_fields_other_backends_add_are_ignored() -> None:
    body = answer(item("1"), warnings=["partial response"], stats={"seriesFetched": "1"})
    assert [s.value for s in _samples(_series(200, body))] == [Decimal(1)]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        pytest.param(
            400,
            b'{"status":"error","errorType":"bad_data","error":"1:5: parse error"}',
            "query failed: HTTP 400: bad_data: 1:5: parse error",
            id="Prometheus' own error is quoted",
        ),
        pytest.param(
            503,
            b"<html>Service Unavailable</html>",
            "query failed: HTTP 503: <html>Service Unavailable</html>",
            id="a proxy's error page is quoted",
        ),
        pytest.param(
            200,
            b'{"status":"success","data":{"resultType":"scalar","result":[1764410040.5,"1"]}}',
            "query failed: the answer is a scalar, not an instant vector",
            id="a scalar is not read as samples",
        ),
        pytest.param(
            200,
            b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}',
            "query failed: not a Prometheus vector: Object missing required field `value`"
            " - at `$[0]`",
            id="a vector item without a value",
        ),
        pytest.param(
            200, b"not json", "query failed: not a Prometheus answer: ", id="not JSON at all"
        ),
    ],
)
def test_answers_that_are_no_vector_are_errors_that_say_why(
    status: int, body: bytes, message: str
) -> None:
    with pytest.raises(PrometheusUnavailable) as raised:
        _series(status, body)
    assert str(raised.value).startswith(message)
