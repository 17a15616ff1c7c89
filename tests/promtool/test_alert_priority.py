"""Firing alerts carry the `priority` label Alertmanager routes on, proven with `promtool test
rules`: the expected labels are written out here, not copied from the generated rules, so a
label that went missing or changed value fails the case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.slo.priorities import parse_priorities
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo
from promtool_support import FIXTURES, RuleTest
from rules_support import for_level

ONE_MINUTE = timedelta(minutes=1)  # the synthetic series have one sample a minute
OK = 'http_requests_total{job="checkout",code="200"}'
FAILED = 'http_requests_total{job="checkout",code="500"}'
SLO_LABELS = {"slo_name": "checkout", "slo_namespace": "shop", "slo_service": "checkout"}
ROUTING = {"namespace": "shop", "service": "checkout"}


def checkout(fixture: str, alerting: dict[str, Any]) -> SLO:
    resource = yaml.safe_load((FIXTURES / f"{fixture}.yaml").read_text())
    resource["spec"].setdefault("alerting", {}).update(alerting)
    resource["metadata"]["name"] = "checkout"
    return parse_slo(resource)


def expected_alert(rule: dict[str, Any], labels: dict[str, str], shown: str) -> dict[str, Any]:
    """An expected alert: `labels` written out, the annotations with `$value` shown as `shown`
    (and, for the budget-low alert, the words of the level in `labels`)."""
    template = next(t for t in ("humanizePercentage", "humanize") if t in str(rule["annotations"]))
    level = labels.get("slo_budget_level", "")
    chosen = {k: for_level(rule, v, level) if level else v for k, v in rule["annotations"].items()}
    rendered = {k: v.replace(f"{{{{ $value | {template} }}}}", shown) for k, v in chosen.items()}
    return {"exp_labels": labels, "exp_annotations": rendered}


def alert_rules(groups: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"] if rule.get("alert") == name]


PAGE_PRIORITIES = [
    pytest.param({}, RuleOptions(), "P1", id="a fast burn pages at P1 by default"),
    pytest.param({"page": {"labels": {"priority": "P0"}}}, RuleOptions(), "P0",
                 id="an SLO whose page tier says P0 pages at P0"),
    pytest.param({}, RuleOptions(alert_priorities=parse_priorities("fastBurn=P2")), "P2",
                 id="the operator's setting moves the default"),
]  # fmt: skip


@pytest.mark.parametrize(("alerting", "options", "priority"), PAGE_PRIORITIES)
def test_a_full_outage_pages_with_its_priority_beside_severity(
    rule_test: RuleTest, alerting: dict[str, Any], options: RuleOptions, priority: str
) -> None:
    """100 requests a minute, clean for 6h, then every request fails for 10 minutes.

    At 370m the 1h window holds 1000 failures in 6000 requests: a burn rate of 166.7 on a 0.1%
    budget, far above 14.4 in both page windows.
    """
    options = RuleOptions(ONE_MINUTE, ONE_MINUTE, alert_priorities=options.alert_priorities)
    groups = build_rule_groups(checkout("checkout-30d", alerting), options)
    (page,) = alert_rules(groups, names.ALERT_PAGE)
    labels = {"severity": "critical", "priority": priority, "slo_tier": "page"}
    rule_test(
        groups,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": OK, "values": "0+100x360 36000x10"},
                    {"series": FAILED, "values": "0x360 100+100x10"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "370m",
                        "alertname": names.ALERT_PAGE,
                        "exp_alerts": [
                            expected_alert(page, ROUTING | SLO_LABELS | labels, "166.7")
                        ],
                    }
                ],
            }
        ],
    )


BUDGET_BANDS = [
    pytest.param(6, "Warning", "P3", "40%", "50%", id="40% left: the Warning alert alone, at P3"),
    pytest.param(8, "PartialFreeze", "P3", "20%", "30%",
                 id="20% left: the PartialFreeze alert alone, at P3"),
    pytest.param(500, "FullFreeze", "P2", "-4900%", "10%",
                 id="the budget spent 50 times over: the FullFreeze alert alone, at P2"),
]  # fmt: skip


@pytest.mark.parametrize(("failing", "level", "priority", "shown", "threshold"), BUDGET_BANDS)
def test_each_budget_low_level_fires_alone_with_its_own_priority(
    rule_test: RuleTest, failing: int, level: str, priority: str, shown: str, threshold: str
) -> None:
    """1000 requests a minute on a 99% SLO, `failing` of them failing from the start: 0.6% of
    errors spend 60% of the budget. Each level's branch of the one budget-low rule covers only
    the range down to the next level's threshold, so one budget raises one alert, never two or
    three, carrying its level's labels and words."""
    options = RuleOptions(ONE_MINUTE, ONE_MINUTE)
    groups = build_rule_groups(checkout("checkout-6h", {}), options)
    (rule,) = alert_rules(groups, names.ALERT_BUDGET_LOW)
    ticket = ROUTING | SLO_LABELS | {"severity": "warning", "slo_tier": "ticket"}
    labels = ticket | {"slo_budget_level": level, "priority": priority}
    expected = expected_alert(rule, labels, shown)
    assert (
        f"has less than {threshold} of its error budget left"
        in expected["exp_annotations"]["summary"]
    )
    rule_test(
        groups,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": OK, "values": f"0+{1000 - failing}x120"},
                    {"series": FAILED, "values": f"0+{failing}x120"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "60m",
                        "alertname": names.ALERT_BUDGET_LOW,
                        "exp_alerts": [expected],
                    }
                ],
            }
        ],
    )
