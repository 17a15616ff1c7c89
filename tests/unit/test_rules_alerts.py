"""The alerts an SLO's PrometheusRule carries: labels, severities, runbooks, windows, and the
warnings a spec gets about them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.slo.rules import RuleOptions, rule_warnings
from rules_support import VARIANTS, alerts, at_value, label_sets, make_slo


# --- alerts -----------------------------------------------------------------------------------
def test_alert_labels_layer_defaults_user_labels_and_ours() -> None:
    slo = make_slo(
        alerting={
            "labels": {"team": "payments", "severity": "S2", "slo_name": "mine", "service": "web"},
            "page": {
                "labels": {"severity": "P1", "priority": "P0"},
                "annotations": {"dashboard": "https://d/1"},
            },
        }
    )
    found = alerts(slo)
    page, ticket = found[names.ALERT_PAGE][0], found[names.ALERT_TICKET][0]
    assert page["labels"] == {
        "namespace": "shop",
        "priority": "P0",
        "service": "web",
        "severity": "P1",
        "slo_name": "checkout",
        "slo_namespace": "shop",
        "slo_service": "checkout",
        "slo_tier": "page",
        "team": "payments",
    }
    assert (ticket["labels"]["severity"], ticket["labels"]["priority"]) == ("S2", "P3")
    assert page["annotations"]["dashboard"] == "https://d/1"
    assert "dashboard" not in ticket["annotations"]


def test_default_severities_and_runbooks() -> None:
    found = alerts(make_slo())
    assert {name: [r["labels"]["severity"] for r in rules] for name, rules in found.items()} == {
        names.ALERT_PAGE: ["critical"],
        names.ALERT_TICKET: ["warning"],
        names.ALERT_BUDGET_LOW: ["warning"],
        names.ALERT_ABSENT: ["warning"],
        names.ALERT_SERVICE_DOWN: ["critical"],
    }
    assert found[names.ALERT_PAGE][0]["annotations"]["runbook_url"] == (
        "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/alerts/"
        "SLOErrorBudgetFastBurn.md"
    )


def test_a_disabled_tier_drops_only_its_burn_alert() -> None:
    found = alerts(make_slo(alerting={"ticket": {"disabled": True, "labels": {"severity": "P4"}}}))
    assert sorted(found) == sorted(
        [names.ALERT_PAGE, names.ALERT_BUDGET_LOW, names.ALERT_ABSENT, names.ALERT_SERVICE_DOWN]
    )
    assert found[names.ALERT_ABSENT][0]["labels"]["severity"] == "P4"


def test_budget_low_alerts_follow_the_levels_each_in_its_own_band() -> None:
    """One comparison below the highest threshold; the level, and so the alert, is chosen by
    the budget left, each level down to the next one's threshold."""
    levels = Levels(
        warning_below=Decimal("60"),
        partial_freeze_below=Decimal("25"),
        full_freeze_below=Decimal("0"),
    )
    (rule,) = alerts(make_slo(), RuleOptions(budget_levels=levels))[names.ALERT_BUDGET_LOW]
    selector = f'{names.METRIC_BUDGET_REMAINING}{{slo_name="checkout",slo_namespace="shop"}}'
    assert rule["expr"] == f"{selector} < 0.6"
    # 0 is written 0.0: Go's `lt` refuses to compare the float $value with an integer
    assert rule["labels"]["slo_budget_level"] == (
        "{{ if lt $value 0.0 }}FullFreeze{{ else if lt $value 0.25 }}PartialFreeze"
        "{{ else }}Warning{{ end }}"
    )
    found = [(labels["slo_budget_level"], labels["priority"]) for labels in label_sets(rule)]
    assert found == [("Warning", "P3"), ("PartialFreeze", "P3"), ("FullFreeze", "P2")]


def test_one_budget_low_rule_chooses_the_words_of_each_level_by_the_budget_left() -> None:
    """The three levels share one rule, so what differs between their texts is picked by
    $value, lowest level first; the rest is written once, and so is a label all levels share."""
    (rule,) = alerts(make_slo())[names.ALERT_BUDGET_LOW]
    summary = rule["annotations"]["summary"]
    assert summary == (
        "checkout: SLO shop/checkout has less than {{ if lt $value 0.1 }}10%"
        "{{ else if lt $value 0.3 }}30%{{ else }}50%{{ end }} of its error budget left"
    )
    assert [at_value(summary, left) for left in (0.35, 0.3, 0.29, 0.05)] == [
        f"checkout: SLO shop/checkout has less than {shown} of its error budget left"
        for shown in ("50%", "50%", "30%", "10%")
    ]
    # P2 for FullFreeze, P3 for the two above it: one test, not a repeated P3
    assert rule["labels"]["priority"] == "{{ if lt $value 0.1 }}P2{{ else }}P3{{ end }}"
    assert rule["labels"]["severity"] == "warning"


def test_a_priority_the_slo_sets_stays_a_label_of_the_rule() -> None:
    slo = make_slo(alerting={"ticket": {"labels": {"priority": "P1"}}})
    (rule,) = alerts(slo)[names.ALERT_BUDGET_LOW]
    assert rule["labels"]["priority"] == "P1"
    assert [labels["priority"] for labels in label_sets(rule)] == ["P1", "P1", "P1"]


def test_overridden_windows_replace_the_tiers() -> None:
    slo = make_slo(**VARIANTS["overridden windows"])
    found = alerts(slo)
    burn = f'{names.METRIC_BURN_RATE}{{slo_name="checkout",slo_namespace="shop",slo_window='
    assert found[names.ALERT_PAGE][0]["expr"] == (
        f'(\n  max without (slo_window) ({burn}"2h"}} > 10)\n'
        f'  and\n  max without (slo_window) ({burn}"10m"}} > 10)\n)'
    )
    assert names.ALERT_TICKET not in found


def test_the_absent_alert_waits_ten_minutes_watching_the_rate_the_other_needs() -> None:
    selector = '{slo_name="checkout",slo_namespace="shop"}'
    # errors counted apart fall back on the total, so the total is the one that can go missing
    absent = alerts(make_slo())[names.ALERT_ABSENT][0]
    watched = f"absent({names.METRIC_TOTAL_RATE}{selector})"
    assert (absent["for"], absent["expr"]) == ("10m", watched)
    # errors computed as total minus good are missing whenever either is
    good = make_slo(**VARIANTS["ratio with good events"])
    absent = alerts(good)[names.ALERT_ABSENT][0]
    assert absent["expr"] == f"absent({names.METRIC_ERRORS_RATE}{selector})"


# --- warnings -----------------------------------------------------------------------------------
IGNORED = "is set by budgetwarden; this value is ignored"

RULE_WARNINGS = [
    pytest.param({}, [], id="a 99.9% ratio SLO has nothing to warn about"),
    pytest.param(
        {"objective": "90"},
        [
            Problem(
                "spec.objective",
                "objective 90% leaves an error budget of 10%, so the page alert over 1h/5m "
                "(burn rate above 14.4) would need more than every request to fail and can "
                "never fire; set spec.alerting.burnRateWindows with factors below 10",
            )
        ],
        id="a 90% objective makes the 14.4 page unreachable",
    ),
    pytest.param({"objective": "93.1"}, [], id="93.1% still reaches 14.4"),
    pytest.param(
        {
            "objective": "95",
            "alerting": {
                "burnRateWindows": [
                    {"tier": "page", "longWindow": "1h", "shortWindow": "5m", "factor": "25"},
                    {"tier": "ticket", "longWindow": "1d", "shortWindow": "2h", "factor": "2"},
                ]
            },
        },
        [
            Problem(
                "spec.alerting.burnRateWindows[0].factor",
                "objective 95% leaves an error budget of 5%, so the page alert over 1h/5m "
                "(burn rate above 25) would need more than every request to fail and can "
                "never fire; set spec.alerting.burnRateWindows with factors below 20",
            )
        ],
        id="an unreachable override is named by its index",
    ),
    pytest.param(
        {"indicator": {"latency": {"histogram": "rpc_ms_bucket", "threshold": "300ms"}}},
        [
            Problem(
                "spec.indicator.latency.histogram",
                "the threshold is compared with the le label in seconds, and "
                "rpc_ms_bucket does not end in _seconds_bucket; check that its "
                "buckets are in seconds",
            )
        ],
        id="a histogram that may not be in seconds",
    ),
    pytest.param(
        {"alerting": {"labels": {"slo_tier": "x"}, "page": {"labels": {"slo_window": "1h"}}}},
        [
            Problem("spec.alerting.labels.slo_tier", IGNORED),
            Problem("spec.alerting.page.labels.slo_window", IGNORED),
        ],
        id="labels budgetwarden owns are ignored with a warning",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "warnings"), RULE_WARNINGS)
def test_rule_warnings(spec: dict[str, Any], warnings: list[Problem]) -> None:
    assert rule_warnings(make_slo(**spec)) == warnings
