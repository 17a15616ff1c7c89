"""The inhibition rules of alertmanager/alertmanager.yml, on a real Alertmanager on loopback.

Alerts are posted to its API (v2) with the labels budgetwarden generates; a small HTTP server
stands in for every receiver (the routes and inhibition rules are the shipped ones, only the
receivers and the timings differ: alertmanager_support.fast_copy). Each case checks both what
reached the receivers and what Alertmanager's API says inhibits each alert, so a silenced alert
is proven silenced, not just late.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from alertmanager_support import SHIPPED, Alertmanager, Receiver, fast_copy, key
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from rules_support import BASE, label_sets, rules_of

pytestmark = pytest.mark.promtool  # amtool and Alertmanager come from `make tools`, as promtool

Labels = dict[str, str]
Fire = Callable[[list[Labels]], set[tuple[str, str]]]
SETTLE_SECONDS = 2.0  # two group intervals of the fast copy: anything still due has arrived


def slo_alert(alert: str, slo: str, level: str = "", service: str = "") -> Labels:
    """The labels budgetwarden gives `alert` of SLO `slo` in namespace shop (service `service`,
    else `slo`); the SLO opts in to SLOHighErrorRate."""
    resource = copy.deepcopy(BASE)
    resource["metadata"]["name"] = slo
    resource["spec"]["service"] = service or slo
    resource["spec"]["alerting"] = {"errorRate": {"threshold": "5"}}
    for rule in rules_of(build_rule_groups(parse_slo(resource))):
        if rule.get("alert") != alert:
            continue
        for labels in label_sets(rule):  # the budget-low rule raises one alert per level
            if labels.get("slo_budget_level", "") == level:
                return {"alertname": alert, **labels}
    raise LookupError(f"no {alert} {level} generated")


def service_alert(alert: str, service: str, priority: str) -> Labels:
    """An alert of the user's own (ServiceDown, HighErrorRate) on a scraped target."""
    return {"alertname": alert, "namespace": "shop", "service": service, "priority": priority}


@pytest.fixture(name="fire")
def fire_fixture(tmp_path: Path) -> Iterator[Fire]:
    """fire(alerts) -> {(receiver, alert)} delivered, after checking Alertmanager's own view:
    exactly the alerts that were not delivered are the ones it lists as inhibited."""
    shipped = yaml.safe_load(SHIPPED.read_text())
    with Receiver().running() as receiver:
        config = fast_copy(shipped, receiver.url)
        with Alertmanager(config, tmp_path).running() as alertmanager:

            def fire(alerts: list[Labels]) -> set[tuple[str, str]]:
                alertmanager.post(alerts)
                delivered = _settled(receiver)
                inhibited = {name for name, by in alertmanager.inhibited().items() if by}
                assert inhibited == {key(a) for a in alerts} - {name for _, name in delivered}
                return delivered

            yield fire


def _settled(receiver: Receiver) -> set[tuple[str, str]]:
    """What the receiver got once deliveries stop arriving (at most 15 s)."""
    deadline, seen, quiet_since = time.monotonic() + 15, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(receiver.received())
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif count and time.monotonic() - quiet_since >= SETTLE_SECONDS:
            break
        time.sleep(0.1)
    return {(d.receiver, key(d.labels)) for d in receiver.received()}


def test_a_service_down_silences_the_burn_and_error_rate_alerts_of_its_service(fire: Fire) -> None:
    delivered = fire(
        [
            service_alert("ServiceDown", "checkout", "P0"),
            slo_alert("SLOErrorBudgetFastBurn", "checkout"),
            service_alert("HighErrorRate", "checkout", "P2"),
            slo_alert("SLOErrorBudgetFastBurn", "search"),
        ]
    )
    assert delivered == {
        ("pager", "ServiceDown/checkout"),
        ("pager", "SLOErrorBudgetFastBurn/search"),
        ("chat", "SLOErrorBudgetFastBurn/search"),
    }


def test_a_page_silences_the_tickets_of_its_slo(fire: Fire) -> None:
    delivered = fire(
        [
            slo_alert("SLOErrorBudgetFastBurn", "checkout"),
            slo_alert("SLOErrorBudgetSlowBurn", "checkout"),
            slo_alert("SLOErrorBudgetLow", "checkout", "Warning"),
            slo_alert("SLOErrorBudgetSlowBurn", "search"),
        ]
    )
    assert delivered == {
        ("pager", "SLOErrorBudgetFastBurn/checkout"),
        ("chat", "SLOErrorBudgetFastBurn/checkout"),
        ("ticket", "SLOErrorBudgetSlowBurn/search"),
    }


def test_a_lower_budget_level_is_silenced_by_a_higher_one(fire: Fire) -> None:
    delivered = fire(
        [
            slo_alert("SLOErrorBudgetLow", "checkout", "Warning"),
            slo_alert("SLOErrorBudgetLow", "checkout", "PartialFreeze"),
            slo_alert("SLOErrorBudgetLow", "checkout", "FullFreeze"),
            slo_alert("SLOErrorBudgetLow", "search", "Warning"),
            slo_alert("SLOErrorBudgetLow", "search", "PartialFreeze"),
        ]
    )
    assert delivered == {
        ("chat", "SLOErrorBudgetLow/checkout/FullFreeze"),
        ("ticket", "SLOErrorBudgetLow/search/PartialFreeze"),
    }


def test_slo_service_down_silences_the_burn_and_error_rate_alerts_of_its_service(
    fire: Fire,
) -> None:
    """checkout is down: its SLOServiceDown (P0) pages, and silences the burn and error-rate
    alerts of every SLO of checkout, and its own SLO's tickets; search is untouched."""
    delivered = fire(
        [
            slo_alert("SLOServiceDown", "checkout"),
            slo_alert("SLOErrorBudgetFastBurn", "checkout"),
            slo_alert("SLOHighErrorRate", "checkout"),
            slo_alert("SLOHighErrorRate", "checkout-latency", service="checkout"),
            slo_alert("SLOMetricsAbsent", "checkout"),
            slo_alert("SLOHighErrorRate", "search"),
        ]
    )
    assert delivered == {
        ("pager", "SLOServiceDown/checkout"),
        ("pager", "SLOHighErrorRate/search"),
        ("chat", "SLOHighErrorRate/search"),
    }


def test_one_outage_is_one_page_however_many_slos_the_service_has(tmp_path: Path) -> None:
    """Each SLO of a service that is down raises SLOServiceDown; P0 groups by service."""
    config = fast_copy(yaml.safe_load(SHIPPED.read_text()), "http://127.0.0.1:9/unused")
    with Alertmanager(config, tmp_path).running() as alertmanager:
        alertmanager.post(
            [
                slo_alert("SLOServiceDown", "checkout"),
                slo_alert("SLOServiceDown", "checkout-latency", service="checkout"),
                slo_alert("SLOServiceDown", "search"),
            ]
        )
        groups = alertmanager.groups()
    assert groups == [
        ("pager", ["SLOServiceDown/checkout", "SLOServiceDown/checkout-latency"]),
        ("pager", ["SLOServiceDown/search"]),
    ]
