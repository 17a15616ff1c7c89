"""SLO specs no PrometheusRule can be built from: SpecErrors naming each field, and scrape
intervals too long for the windows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from rules_support import make_slo

SPEC_ERRORS = [
    pytest.param(
        {"indicator": {"ratio": {"errors": "sum(rate(x[{{.window}}])", "total": "up"}}},
        RuleOptions(),
        [
            (
                "spec.indicator.ratio.errors",
                "is not valid PromQL at column 4: '(' is never closed",
            ),
            (
                "spec.indicator.ratio.total",
                "must contain {{.window}} where the range goes, as in "
                "rate(http_requests_total[{{.window}}]): the query is evaluated over every "
                "burn-rate window (5m up to days), which a fixed range cannot express",
            ),
        ],
        id="bad queries are SpecErrors naming each field",
    ),
    pytest.param(
        {"window": "1d"},
        RuleOptions(),
        [
            (
                "spec.window",
                "1d scales the page burn-rate windows of the 30d table down to 2m/10s, and "
                "10s is shorter than two scrape intervals (2 × 30s = 1m), so its rate has too "
                "few samples; use a window of at least 6d, set "
                "spec.alerting.burnRateWindows, or scrape at least every 5s",
            )
        ],
        id="a window too short for the scrape interval is a SpecError on spec.window",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "options", "problems"), SPEC_ERRORS)
def test_bad_input_raises_spec_error(
    spec: dict[str, Any], options: RuleOptions, problems: list[tuple[str, str]]
) -> None:
    with pytest.raises(SpecError) as raised:
        build_prometheus_rule(make_slo(**spec), options)
    assert [(p.field, p.message) for p in raised.value.problems] == problems


def test_a_1d_window_works_with_a_fast_scrape() -> None:
    options = RuleOptions(scrape_interval=timedelta(seconds=5))
    assert len(build_rule_groups(make_slo(window="1d"), options)) == 3


def test_a_scrape_interval_too_long_for_5m_rates_is_refused() -> None:
    with pytest.raises(ValueError, match="scrape interval 3m is too long"):
        RuleOptions(scrape_interval=timedelta(minutes=3))
