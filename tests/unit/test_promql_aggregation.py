"""A ratio query must add up to one series without labels.

The operator reads only series labelled exactly as its recording rules label them, so a label
the user's query keeps (an instance, a `by` grouping) would make the SLO's own series unreadable,
and one series per instance would be one budget per instance. Latency and availability
indicators name a selector that the generated rules sum themselves, so any selector is fine.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.promql import validate_slo_queries
from budgetwarden.core.slo.spec import SLO, parse_slo

TOTAL = 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))'
RATE = 'rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}])'
NOT_ONE_SERIES = (
    "must add up to one series without labels: wrap it in sum(...) with no by or without, as in "
    "sum(rate(x[{{.window}}])); the operator reads only series that carry exactly the labels of "
    "its recording rules"
)


def slo(indicator: dict[str, Any]) -> SLO:
    return parse_slo(
        {
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"service": "checkout", "objective": "99.9", "window": "30d"}
            | {"indicator": indicator},
        }
    )


def problems(errors: str) -> list[tuple[str, str]]:
    try:
        validate_slo_queries(slo({"ratio": {"errors": errors, "total": TOTAL}}))
    except SpecError as error:
        return [(p.field, p.message) for p in error.problems]
    return []


REFUSED = [
    pytest.param(RATE, id="a rate per series (one per instance)"),
    pytest.param(f"sum by (instance) ({RATE})", id="a sum grouped by a label"),
    pytest.param(f"sum by (job) ({RATE})", id="a sum grouped by a label the selector pins"),
    pytest.param(f"sum without (code) ({RATE})", id="a sum without some labels"),
    pytest.param(f"topk(1, {RATE})", id="topk keeps the labels of the series it picks"),
    pytest.param(f'count_values("code", sum({RATE}))', id="count_values labels its series"),
    pytest.param(f"sum({RATE}) + {RATE}", id="an operator with one labelled side"),
    pytest.param(f"sum({RATE}) or {RATE}", id="or adds the labelled series"),
    pytest.param(f'label_replace(sum({RATE}), "team", "a", "", "")', id="label_replace"),
    pytest.param(f"clamp_min({RATE}, 0)", id="a function keeps its argument's labels"),
    pytest.param(f"(({RATE}))", id="parentheses do not aggregate"),
]


@pytest.mark.parametrize("errors", REFUSED)
def test_a_query_that_may_return_labels_is_refused_and_told_to_sum(errors: str) -> None:
    assert problems(errors) == [("spec.indicator.ratio.errors", NOT_ONE_SERIES)]


def test_every_query_of_the_ratio_is_checked() -> None:
    indicator = {"ratio": {"good": RATE, "total": RATE.replace(',code=~"5.."', "")}}
    with pytest.raises(SpecError) as raised:
        validate_slo_queries(slo(indicator))
    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("spec.indicator.ratio.good", NOT_ONE_SERIES),
        ("spec.indicator.ratio.total", NOT_ONE_SERIES),
    ]


ACCEPTED = [
    pytest.param(f"sum({RATE})", id="a sum"),
    pytest.param(f"sum by () ({RATE})", id="a sum grouped by nothing"),
    pytest.param(f"sum({RATE}) + sum(rate(b_total[{{{{.window}}}}]))", id="two sums added"),
    pytest.param(f"(sum({RATE}) or vector(0)) * 60", id="a sum or zero, scaled"),
    pytest.param(f"sum({RATE}) unless {RATE} > 100", id="unless keeps the left side's series"),
    pytest.param(f"clamp_min(sum({RATE}), 0)", id="a function of a sum"),
    pytest.param(f"avg({RATE}) * count({RATE})", id="other aggregations"),
    pytest.param(
        "sum_over_time(sum(rate(http_requests_total[5m]))[{{.window}}:1m])",
        id="a function over a subquery of a sum",
    ),
]


@pytest.mark.parametrize("errors", ACCEPTED)
def test_a_query_that_returns_one_series_without_labels_is_accepted(errors: str) -> None:
    assert problems(errors) == []


@pytest.mark.parametrize(
    "indicator",
    [
        pytest.param(
            {"latency": {"histogram": "http_request_duration_seconds_bucket", "threshold": "1s"}},
            id="a histogram selector: the rules sum its rate",
        ),
        pytest.param({"availability": {"up": "up"}}, id="an up selector: the rules sum it"),
    ],
)
def test_selectors_need_no_aggregation_because_the_rules_sum_them(
    indicator: dict[str, Any],
) -> None:
    validate_slo_queries(slo(indicator))
