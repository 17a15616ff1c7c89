"""An outage pages, proven with `promtool test rules`: SLOServiceDown (P0) when the service stops
serving, SLOHighErrorRate (P1, opt-in) on the raw error ratio.

Series have one sample a minute and the rules assume a 1m scrape, so the silence window is 2m.
Every outage below starts at minute 361, after 6 hours of 100 requests a minute; "within 5
minutes" is checked at 366m. A vanished series ends in a staleness marker, as Prometheus writes
one when a scrape fails or a target leaves service discovery. The expected labels are written out,
not copied from the rules, so a label that went missing or changed value fails the case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo
from promtool_support import FIXTURES, RuleTest

OPTIONS = RuleOptions(timedelta(minutes=1), timedelta(minutes=1))
OK = 'http_requests_total{job="checkout",code="200"}'
FAILED = 'http_requests_total{job="checkout",code="500"}'
UP = 'up{job="checkout",instance="checkout-0"}'
ROUTING = {"namespace": "shop", "service": "checkout", "severity": "critical", "slo_tier": "page"}
SERVED = "0+100x360"  # 6 hours of 100 requests a minute; the outage starts at minute 361


def slo(fixture: str, **alerting: Any) -> SLO:
    """A fixture SLO with spec.alerting fields set."""
    resource = yaml.safe_load((FIXTURES / f"{fixture}.yaml").read_text())
    resource["spec"].setdefault("alerting", {}).update(alerting)
    return parse_slo(resource)


def rule_named(groups: list[dict[str, Any]], alert: str) -> dict[str, Any]:
    (rule,) = [r for g in groups for r in g["rules"] if r.get("alert") == alert]
    return rule


def service_down(groups: list[dict[str, Any]], slo_name: str) -> dict[str, Any]:
    """The SLOServiceDown alert of `slo_name` as it fires: P0, the routing labels, its text."""
    labels = {"slo_name": slo_name, "slo_namespace": "shop", "slo_service": "checkout"}
    rule = rule_named(groups, names.ALERT_SERVICE_DOWN)
    return {
        "exp_labels": ROUTING | labels | {"priority": "P0"},
        "exp_annotations": rule["annotations"],
    }


def at(minute: int, alert: str, *firing: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": f"{minute}m", "alertname": alert, "exp_alerts": list(firing)}


def case(series: dict[str, str], *checks: dict[str, Any]) -> list[dict[str, Any]]:
    """One promtool test case: these series at one sample a minute, and alert checks."""
    inputs = [{"series": name, "values": values} for name, values in series.items()]
    return [{"interval": "1m", "input_series": inputs, "alert_rule_test": list(checks)}]


def test_requests_that_vanish_page_p0_within_5_minutes_until_they_return(
    rule_test: RuleTest,
) -> None:
    """The service's own counters go stale at 361m (its scrapes fail), and come back at 460m.

    The 2m rate of the total has no sample from 362m, so the alert fires 2 minutes later. It is
    still firing 90 minutes in, long after the last request left the 1h look-back: its own
    ALERTS series keeps it. Once requests are counted again it resolves.
    """
    groups = build_rule_groups(slo("checkout-30d"), OPTIONS)
    page = service_down(groups, "checkout")
    returned = "36000+100x30"
    rule_test(
        groups,
        case(
            {OK: f"{SERVED} stale _x98 {returned}", FAILED: "0x360 stale _x98 0x30"},
            at(361, names.ALERT_SERVICE_DOWN),
            at(366, names.ALERT_SERVICE_DOWN, page),
            at(451, names.ALERT_SERVICE_DOWN, page),
            at(465, names.ALERT_SERVICE_DOWN),
        ),
    )


def test_traffic_that_stops_pages_p0_within_5_minutes(rule_test: RuleTest) -> None:
    """The counters stay, flat: the load balancer in front sends nothing (a rate of 0)."""
    groups = build_rule_groups(slo("checkout-30d"), OPTIONS)
    page = service_down(groups, "checkout")
    rule_test(
        groups,
        case(
            {OK: f"{SERVED} 36000x30", FAILED: "0x390"},
            at(361, names.ALERT_SERVICE_DOWN),
            at(366, names.ALERT_SERVICE_DOWN, page),
        ),
    )


def test_an_up_gauge_slo_pages_p0_within_5_minutes(rule_test: RuleTest) -> None:
    """An availability SLO on `up`: the only target reports 0 from 361m."""
    groups = build_rule_groups(slo("checkout-up"), OPTIONS)
    page = service_down(groups, "checkout-up")
    rule_test(
        groups,
        case(
            {UP: "1x360 0x30"},
            at(361, names.ALERT_SERVICE_DOWN),
            at(366, names.ALERT_SERVICE_DOWN, page),
        ),
    )


def test_with_an_up_selector_targets_down_page_p0_while_a_proxy_still_counts(
    rule_test: RuleTest,
) -> None:
    """With serviceDown.upSelector the SLO judges "down" by its targets: every target is down
    from 361m, while a proxy in front keeps counting requests, all failing."""
    groups = build_rule_groups(slo("checkout-30d", serviceDown={"upSelector": "up"}), OPTIONS)
    page = service_down(groups, "checkout")
    rule_test(
        groups,
        case(
            {UP: "1x360 0x30", OK: f"{SERVED} 36000x30", FAILED: "0x360 100+100x30"},
            at(361, names.ALERT_SERVICE_DOWN),
            at(366, names.ALERT_SERVICE_DOWN, page),
        ),
    )


def test_with_an_up_selector_traffic_that_stops_does_not_page(rule_test: RuleTest) -> None:
    """A batch API: its targets stay up, its requests stop at 361m. With an upSelector that is
    a quiet hour, not an outage."""
    groups = build_rule_groups(slo("checkout-30d", serviceDown={"upSelector": "up"}), OPTIONS)
    rule_test(
        groups,
        case(
            {UP: "1x390", OK: f"{SERVED} 36000x30", FAILED: "0x390"},
            at(366, names.ALERT_SERVICE_DOWN),
            at(390, names.ALERT_SERVICE_DOWN),
        ),
    )


def test_a_service_that_never_served_does_not_page(rule_test: RuleTest) -> None:
    """No request in two hours, and its targets never up: silence, but no outage."""
    groups = build_rule_groups(slo("checkout-30d", serviceDown={"upSelector": "up"}), OPTIONS)
    rule_test(
        groups,
        case(
            {UP: "0x120", OK: "0x120", FAILED: "0x120"},
            at(30, names.ALERT_SERVICE_DOWN),
            at(120, names.ALERT_SERVICE_DOWN),
        ),
    )


def test_a_disabled_service_down_alert_is_not_generated() -> None:
    groups = build_rule_groups(slo("checkout-30d", serviceDown={"disabled": True}), OPTIONS)
    assert names.ALERT_SERVICE_DOWN not in {r.get("alert") for g in groups for r in g["rules"]}


def error_rate_case(failing: int) -> dict[str, str]:
    """An hour clean at 100 requests a minute, then `failing` of them fail every minute."""
    ok_after = 6000 + 100 - failing
    return {OK: f"0+100x60 {ok_after}+{100 - failing}x60", FAILED: f"0x60 {failing}+{failing}x60"}


def test_6_percent_errors_fire_high_error_rate_2_minutes_after_the_ratio_passes_5(
    rule_test: RuleTest,
) -> None:
    """From 61m, 6 in 100 requests fail. The 5m error ratio is 1.2% per failing minute in the
    window: 4.8% at 64m, 6% from 65m on. The alert is pending from 65m and fires at 67m."""
    groups = build_rule_groups(slo("checkout-30d", errorRate={"threshold": "5"}), OPTIONS)
    rule = rule_named(groups, names.ALERT_HIGH_ERROR_RATE)
    labels = {"slo_name": "checkout", "slo_namespace": "shop", "slo_service": "checkout"}
    template = "{{ $value | humanizePercentage }}"
    firing = {
        "exp_labels": ROUTING | labels | {"priority": "P1"},
        "exp_annotations": {k: v.replace(template, "6%") for k, v in rule["annotations"].items()},
    }
    rule_test(
        groups,
        case(
            error_rate_case(6),
            at(66, names.ALERT_HIGH_ERROR_RATE),
            at(67, names.ALERT_HIGH_ERROR_RATE, firing),
            at(120, names.ALERT_HIGH_ERROR_RATE, firing),
        ),
    )


def test_4_percent_errors_do_not_fire_high_error_rate(rule_test: RuleTest) -> None:
    groups = build_rule_groups(slo("checkout-30d", errorRate={"threshold": "5"}), OPTIONS)
    rule_test(
        groups,
        case(
            error_rate_case(4),
            *(at(minute, names.ALERT_HIGH_ERROR_RATE) for minute in (67, 90, 120)),
        ),
    )


def test_high_error_rate_is_opt_in() -> None:
    groups = build_rule_groups(slo("checkout-30d"), OPTIONS)
    assert names.ALERT_HIGH_ERROR_RATE not in {r.get("alert") for g in groups for r in g["rules"]}
