"""The outage pages of an SLO (core/slo/rules_outage.py): what SLOServiceDown watches for each
kind of indicator, its window, the labels both pages carry, and the warning about a threshold
the objective allows. Their behaviour is proven in tests/promtool/test_outage_alerts.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.rules import RuleOptions, rule_warnings
from rules_support import alerts, make_slo

LATCH = 'ALERTS{alertname="SLOServiceDown",slo_name="checkout",slo_namespace="shop"}'
TOTAL_5M = f'{names.METRIC_TOTAL_RATE}{{slo_name="checkout",slo_namespace="shop"}}'


def service_down(options: RuleOptions, **spec: Any) -> dict[str, Any]:
    (rule,) = alerts(make_slo(**spec), options)[names.ALERT_SERVICE_DOWN]
    return rule


def expected_expr(silent: str, served: str) -> str:
    return f"{silent}\nand on ()\n(\n  {served}\n  or\n  {LATCH}\n)"


SIGNALS = [
    pytest.param(
        {}, RuleOptions(),
        expected_expr("(sum(rate(http_requests_total[2m])) or vector(0)) == 0",
                      f"max_over_time({TOTAL_5M}[1h]) > 0"),
        id="a ratio SLO: the total over 2m is absent or 0, after traffic within the hour",
    ),
    pytest.param(
        {}, RuleOptions(scrape_interval=timedelta(minutes=2)),
        expected_expr("(sum(rate(http_requests_total[4m])) or vector(0)) == 0",
                      f"max_over_time({TOTAL_5M}[1h]) > 0"),
        id="a 2m scrape widens the silence window to two scrapes",
    ),
    pytest.param(
        {"indicator": {"availability": {"up": 'up{job="checkout"}'}}}, RuleOptions(),
        expected_expr('(max(up{job="checkout"}) or vector(0)) == 0',
                      'max(max_over_time(up{job="checkout"}[1h])) > 0'),
        id="an up-gauge SLO: no series at 1, after one was within the hour",
    ),
    pytest.param(
        {"alerting": {"serviceDown": {"upSelector": 'up{job="checkout"}'}}}, RuleOptions(),
        expected_expr('(max(up{job="checkout"}) or vector(0)) == 0',
                      'max(max_over_time(up{job="checkout"}[1h])) > 0'),
        id="an upSelector judges by the targets instead of the traffic",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "options", "expr"), SIGNALS)
def test_what_service_down_watches(spec: dict[str, Any], options: RuleOptions, expr: str) -> None:
    rule = service_down(options, **spec)
    assert (rule["expr"], rule["for"]) == (expr, "2m")


def test_the_outage_pages_take_their_own_labels_not_the_page_tiers() -> None:
    found = alerts(
        make_slo(
            alerting={
                "labels": {"team": "payments"},
                "page": {"labels": {"priority": "P2", "severity": "S1"}},
                "serviceDown": {"for": "5m", "labels": {"route": "sre"}},
                "errorRate": {"threshold": "2.5", "for": "10m", "annotations": {"x": "y"}},
            }
        )
    )
    (down,) = found[names.ALERT_SERVICE_DOWN]
    (errors,) = found[names.ALERT_HIGH_ERROR_RATE]
    routing = {
        "namespace": "shop",
        "service": "checkout",
        "severity": "critical",
        "team": "payments",
    }
    ours = {"slo_name": "checkout", "slo_namespace": "shop", "slo_service": "checkout"}
    assert down["labels"] == routing | ours | {"priority": "P0", "route": "sre", "slo_tier": "page"}
    assert errors["labels"] == routing | ours | {"priority": "P1", "slo_tier": "page"}
    assert (down["for"], errors["for"], errors["annotations"]["x"]) == ("5m", "10m", "y")
    selector = '{slo_name="checkout",slo_namespace="shop"}'
    assert errors["expr"] == (
        f"{names.METRIC_ERRORS_RATE}{selector} / ({names.METRIC_TOTAL_RATE}{selector} > 0) > 0.025"
    )


def test_disabled_outage_pages_are_not_generated() -> None:
    alerting = {
        "serviceDown": {"disabled": True},
        "errorRate": {"threshold": "5", "disabled": True},
    }
    found = alerts(make_slo(alerting=alerting))
    assert {names.ALERT_SERVICE_DOWN, names.ALERT_HIGH_ERROR_RATE} & set(found) == set()


def test_an_error_rate_threshold_within_the_budget_is_a_warning() -> None:
    slo = make_slo(objective="99", alerting={"errorRate": {"threshold": "1"}})
    assert rule_warnings(slo) == [
        Problem(
            "spec.alerting.errorRate.threshold",
            "1% is at or below the error budget of 1% (objective 99%), so it pages on an error "
            "rate the SLO allows; set it above 1",
        )
    ]
    assert (
        rule_warnings(make_slo(objective="99", alerting={"errorRate": {"threshold": "1.1"}})) == []
    )
