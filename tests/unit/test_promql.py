"""Queries are checked before rules are built; a mistake is reported with its field and column."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.promql import (
    Selector,
    parse_selector,
    render_selector,
    render_window,
    validate_slo_queries,
)
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo

TOTAL = 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))'
ERRORS = 'sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))'


def slo(indicator: dict[str, Any]) -> SLO:
    return parse_slo(
        {
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {
                "service": "checkout",
                "objective": "99.9",
                "window": "30d",
                "indicator": indicator,
            },
        }
    )


def problems(indicator: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as raised:
        validate_slo_queries(slo(indicator))
    return [(p.field, p.message) for p in raised.value.problems]


RATIO_QUERY_MISTAKES = [
    pytest.param(
        'sum(rate(http_requests_total{job="checkout" code=~"5.."}[{{.window}}]))',
        "is not valid PromQL at column 45: expected ',' between label matchers",
        id="a missing comma between matchers points at the second matcher",
    ),
    pytest.param(
        'sum(rate(http_requests_total{job="checkout"}[{{.window}}])',
        "is not valid PromQL at column 4: '(' is never closed",
        id="an unclosed parenthesis points at the one left open",
    ),
    pytest.param(
        'sum(rate(http_requests_total{job="checkout"}[{{.window}}])))',
        "is not valid PromQL at column 60: unexpected ')'",
        id="an extra closing parenthesis points at itself",
    ),
    pytest.param(
        'sum(rate(http_requests_total{job="checkout")[{{.window}}]))',
        "is not valid PromQL at column 44: unexpected ')', expected '}'",
        id="a parenthesis closing a brace says which bracket was expected",
    ),
    pytest.param(
        'sum(rate(http_requests_total{job="checkout}[{{.window}}]))',
        'is not valid PromQL at column 34: unterminated string starting with "',
        id="an unterminated string points at its opening quote",
    ),
    pytest.param(
        'sum(rat(http_requests_total{code=~"5.."}[{{.window}}]))',
        "is not valid PromQL at column 5: unknown function with name 'rat'",
        id="an unknown function points at its name",
    ),
    pytest.param(
        'sum(rate(http_requests_total{code=~"5.."})) / sum(rate(x_total[{{.window}}]))',
        "is not valid PromQL at column 5: expected type matrix in call to function 'rate', "
        "got vector",
        id="rate without a range points at rate",
    ),
    pytest.param(
        'sum(rate(http_requests_total{code=~"5.."}[{{.window}}] offset 5x))',
        "is not valid PromQL at column 63: bad number or duration syntax: 5x",
        id="a bad duration after the template is placed in the text as written",
    ),
    pytest.param(
        'sum(rate(http_requests_total{code=~"5.."}[{{.window}}])) +',
        "is not valid PromQL at column 58: invalid promql query",
        id="a dangling operator points at the operator",
    ),
    pytest.param(
        'sum(rate(http_requests_total{code=~"5.."}[{{.window}}])) errors',
        "is not valid PromQL at column 58: invalid promql query",
        id="a stray word points at the word",
    ),
    pytest.param(
        'rate(http_requests_total{code=~"5.."}[{{.window}}:1m])[5m:]',
        "must return an instant vector, such as sum(rate(x[{{.window}}])); got a subquery",
        id="a range result is refused",
    ),
    pytest.param(
        'rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}])',
        "must add up to one series without labels: wrap it in sum(...) with no by or without, as "
        "in sum(rate(x[{{.window}}])); the operator reads only series that carry exactly the "
        "labels of its recording rules",
        id="an un-aggregated rate is refused (more in test_promql_aggregation.py)",
    ),
    pytest.param(
        'sum(rate(http_requests_total{code=~"5.."}[5m]))',
        "must contain {{.window}} where the range goes, as in "
        "rate(http_requests_total[{{.window}}]): the query is evaluated over every "
        "burn-rate window (5m up to days), which a fixed range cannot express",
        id="a fixed range instead of the template is refused and says why",
    ),
]


@pytest.mark.parametrize(("errors", "message"), RATIO_QUERY_MISTAKES)
def test_ratio_query_mistakes(errors: str, message: str) -> None:
    indicator = {"ratio": {"errors": errors, "total": TOTAL}}
    assert problems(indicator) == [("spec.indicator.ratio.errors", message)]


def test_every_bad_query_is_reported_at_once() -> None:
    indicator = {"ratio": {"good": "up", "total": "sum(rate(x[{{.window}}])"}}
    assert problems(indicator) == [
        (
            "spec.indicator.ratio.good",
            "must contain {{.window}} where the range goes, as in "
            "rate(http_requests_total[{{.window}}]): the query is evaluated over every "
            "burn-rate window (5m up to days), which a fixed range cannot express",
        ),
        ("spec.indicator.ratio.total", "is not valid PromQL at column 4: '(' is never closed"),
    ]


def test_errors_equal_to_total_is_refused() -> None:
    indicator = {"ratio": {"errors": TOTAL.replace(" ", ""), "total": TOTAL}}
    assert problems(indicator) == [
        (
            "spec.indicator.ratio.errors",
            "is the same query as total, so the ratio would always be errors",
        )
    ]


SELECTOR_MISTAKES = [
    pytest.param(
        {"latency": {"histogram": 'http_request_duration_seconds_bucket{le="0.3"}'}},
        "spec.indicator.latency.histogram",
        "must not match on le: budgetwarden adds the le matchers itself",
        id="a histogram selector with its own le matcher",
    ),
    pytest.param(
        {"latency": {"histogram": "sum(http_request_duration_seconds_bucket)"}},
        "spec.indicator.latency.histogram",
        'must be a series selector such as up{job="api"}; got an aggregation',
        id="a histogram given as an aggregation",
    ),
    pytest.param(
        {"latency": {"histogram": "http_request_duration_seconds_bucket[{{.window}}]"}},
        "spec.indicator.latency.histogram",
        "takes a series selector, not a range: remove [{{.window}}]",
        id="a histogram with the window template",
    ),
    pytest.param(
        {"latency": {"histogram": "http_request_duration_seconds_bucket offset 1h"}},
        "spec.indicator.latency.histogram",
        "must be a plain series selector: offset and @ are not supported",
        id="a histogram with an offset",
    ),
    pytest.param(
        {"availability": {"up": 'up{job="gateway"'}},
        "spec.indicator.availability.up",
        "is not valid PromQL at column 3: '{' is never closed",
        id="an up selector with an unclosed brace",
    ),
    pytest.param(
        {"availability": {"up": "up == 1"}},
        "spec.indicator.availability.up",
        'must be a series selector such as up{job="api"}; got an expression with an operator',
        id="an up gauge given as a comparison",
    ),
]


@pytest.mark.parametrize(("indicator", "field", "message"), SELECTOR_MISTAKES)
def test_selector_mistakes(indicator: dict[str, Any], field: str, message: str) -> None:
    if "latency" in indicator:
        indicator["latency"]["threshold"] = "300ms"
    assert problems(indicator) == [(field, message)]


@pytest.mark.parametrize(
    "indicator",
    [
        pytest.param({"ratio": {"errors": ERRORS, "total": TOTAL}}, id="errors and total"),
        pytest.param(
            {"ratio": {"good": TOTAL.replace("checkout", "ok"), "total": TOTAL}},
            id="good and total",
        ),
        pytest.param(
            {
                "ratio": {
                    "errors": "sum(rate(a_total[{{ .window }}])) + sum(rate(b_total[{{.window}}]))",
                    "total": TOTAL,
                }
            },
            id="an expression with spaces inside the template braces",
        ),
        pytest.param(
            {"latency": {"histogram": 'h_seconds_bucket{job="checkout"}', "threshold": "1s"}},
            id="a histogram selector",
        ),
        pytest.param({"availability": {"up": 'up{job="gateway"}'}}, id="an up selector"),
    ],
)
def test_valid_queries_pass(indicator: dict[str, Any]) -> None:
    validate_slo_queries(slo(indicator))


def test_render_window_fills_every_template() -> None:
    query = "sum(rate(a[{{.window}}])) / sum(rate(b[{{ .window }}]))"
    assert render_window(query, timedelta(hours=1, minutes=30)) == (
        "sum(rate(a[1h30m])) / sum(rate(b[1h30m]))"
    )


@pytest.mark.parametrize(
    ("text", "extra", "expected"),
    [
        pytest.param(
            'http_request_duration_seconds_bucket{job="checkout"}',
            (("le", "=", "0.3"),),
            'http_request_duration_seconds_bucket{job="checkout",le="0.3"}',
            id="an le matcher is appended",
        ),
        pytest.param(
            'h_bucket{path=~"/api/\\\\d+", quote="say \\"hi\\""}',
            (),
            'h_bucket{path=~"/api/\\\\d+",quote="say \\"hi\\""}',
            id="escaped values are escaped again",
        ),
        pytest.param(
            '{__name__="up", job="gateway"}',
            (),
            '{__name__="up",job="gateway"}',
            id="a selector without a bare name keeps its __name__ matcher",
        ),
        pytest.param("up", (), "up{}", id="a bare metric name"),
    ],
)
def test_selectors_render_back_to_equivalent_promql(
    text: str, extra: tuple[tuple[str, str, str], ...], expected: str
) -> None:
    rendered = render_selector(parse_selector(text), extra)
    assert rendered == expected
    assert parse_selector(rendered) == Selector(
        parse_selector(text).name, parse_selector(text).matchers + extra
    )


PROMQL_ALPHABET = "abcxyz_:019 .,()[]{}\"'`=!~+-*/^<>#\\@\n"


@settings(max_examples=300, deadline=None)
@given(
    errors=st.text(alphabet=PROMQL_ALPHABET, max_size=40).map(
        lambda text: f"sum(rate(x[{{{{.window}}}}])) {text}"
    ),
    up=st.text(alphabet=PROMQL_ALPHABET, min_size=1, max_size=30),
)
def test_any_text_is_either_accepted_or_a_spec_error(errors: str, up: str) -> None:
    for indicator in (
        {"ratio": {"errors": errors, "total": TOTAL}},
        {"availability": {"up": up}},
        {"latency": {"histogram": up, "threshold": "250ms"}},
    ):
        try:
            build_rule_groups(slo(indicator))
        except SpecError as error:
            assert all(p.field.startswith("spec.indicator.") for p in error.problems)
