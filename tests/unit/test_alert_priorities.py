"""Every generated alert carries a `priority` (P0–P3) beside `severity`: the reviewed mapping,
the SLO's labels over it, the operator's BUDGETWARDEN_ALERT_PRIORITIES under them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.slo.priorities import (
    DEFAULT_PRIORITIES,
    SETTING_KEYS,
    AlertPriorities,
    parse_priorities,
)
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.runtime.config import rule_options
from rules_support import alerts, label_sets, make_slo


def priorities(spec: dict[str, Any], options: RuleOptions) -> list[tuple[str, ...]]:
    """(alert, budget level or "", priority) of every alert the generated rules can raise, in
    order (the budget-low rule raises one alert per level, each with its own labels)."""
    return [
        (name, labels.get("slo_budget_level", ""), labels["priority"])
        for name, rules in alerts(make_slo(**spec), options).items()
        for rule in rules
        for labels in label_sets(rule)
    ]


def reviewed_mapping(
    page: str = "P1", ticket: str = "P3", low: tuple[str, str, str] = ("P3", "P3", "P2"),
    absent: str = "P2", down: str = "P0", error_rate: str | None = None,
) -> list[tuple[str, ...]]:  # fmt: skip
    """The alerts of the checkout SLO with these priorities, in the order of the rule file (the
    tickets in the budget group first, then the pages); the defaults are the policy's.
    SLOHighErrorRate is opt-in: listed only with a priority."""
    return [
        (names.ALERT_BUDGET_LOW, "Warning", low[0]),
        (names.ALERT_BUDGET_LOW, "PartialFreeze", low[1]),
        (names.ALERT_BUDGET_LOW, "FullFreeze", low[2]),
        (names.ALERT_TICKET, "", ticket),
        (names.ALERT_ABSENT, "", absent),
        (names.ALERT_PAGE, "", page),
        (names.ALERT_SERVICE_DOWN, "", down),
        *([(names.ALERT_HIGH_ERROR_RATE, "", error_rate)] if error_rate else []),
    ]


ALL_TICKET = ("P1", "P1", "P1")
OPERATOR = RuleOptions(alert_priorities=parse_priorities("fastBurn=P0, metricsAbsent=P1"))
ERROR_RATE = {"threshold": "5"}
PRIORITY_CASES = [
    pytest.param({}, RuleOptions(), reviewed_mapping(),
                 id="defaults: fast burn P1, slow burn P3, low budget P3 until FullFreeze P2, "
                    "absent data P2, service down P0"),
    pytest.param({"alerting": {"errorRate": ERROR_RATE}}, RuleOptions(),
                 reviewed_mapping(error_rate="P1"),
                 id="an SLO that opts in to the error-rate page gets it at P1"),
    pytest.param({"alerting": {"errorRate": ERROR_RATE | {"labels": {"priority": "P0"}},
                               "serviceDown": {"labels": {"priority": "P1"}}}}, RuleOptions(),
                 reviewed_mapping(down="P1", error_rate="P0"),
                 id="the outage pages take the priority of their own labels"),
    pytest.param({"alerting": {"page": {"labels": {"priority": "P0"}}}}, RuleOptions(),
                 reviewed_mapping(page="P0"),
                 id="the page tier's labels raise only the fast-burn alert"),
    pytest.param({"alerting": {"ticket": {"labels": {"priority": "P1"}}}}, RuleOptions(),
                 reviewed_mapping(ticket="P1", low=ALL_TICKET, absent="P1"),
                 id="the ticket tier's labels set the slow-burn, budget-low and absent alerts"),
    pytest.param({"alerting": {"labels": {"priority": "P2"},
                               "page": {"labels": {"priority": "P1"}}}}, RuleOptions(),
                 reviewed_mapping(ticket="P2", low=("P2", "P2", "P2"), absent="P2", down="P2"),
                 id="spec.alerting.labels sets every alert, a tier's labels win over it"),
    pytest.param({}, OPERATOR, reviewed_mapping(page="P0", absent="P1"),
                 id="the operator's setting replaces the defaults it names"),
    pytest.param({"alerting": {"errorRate": ERROR_RATE}},
                 RuleOptions(alert_priorities=parse_priorities("serviceDown=P1,highErrorRate=P2")),
                 reviewed_mapping(down="P1", error_rate="P2"),
                 id="the operator's setting moves the outage pages too"),
    pytest.param({"alerting": {"page": {"labels": {"priority": "P2"}}}}, OPERATOR,
                 reviewed_mapping(page="P2", absent="P1"),
                 id="an SLO's labels win over the operator's setting"),
    pytest.param({"alerting": {"ticket": {"disabled": True}}}, RuleOptions(),
                 [row for row in reviewed_mapping() if row[0] != names.ALERT_TICKET],
                 id="a disabled ticket tier keeps the priorities of budget-low and absent data"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "options", "expected"), PRIORITY_CASES)
def test_alert_priorities(
    spec: dict[str, Any], options: RuleOptions, expected: list[tuple[str, ...]]
) -> None:
    assert priorities(spec, options) == expected


def test_priority_sits_beside_severity_with_the_labels_alertmanager_groups_by() -> None:
    page = alerts(make_slo())[names.ALERT_PAGE][0]["labels"]
    assert {k: page[k] for k in ("severity", "priority", "namespace", "service")} == {
        "severity": "critical",
        "priority": "P1",
        "namespace": "shop",
        "service": "checkout",
    }


def test_every_priority_field_has_a_setting_key() -> None:
    assert sorted(SETTING_KEYS.values()) == sorted(f.name for f in fields(AlertPriorities))


SETTINGS = [
    pytest.param({}, DEFAULT_PRIORITIES, id="unset gives the reviewed mapping"),
    pytest.param(
        {"BUDGETWARDEN_ALERT_PRIORITIES": "budgetLowFullFreeze=P1,slowBurn=P2"},
        AlertPriorities(budget_low_full_freeze="P1", slow_burn="P2"),
        id="named kinds change, the others keep their defaults",
    ),
]


@pytest.mark.parametrize(("env", "expected"), SETTINGS)
def test_the_operator_reads_priorities_from_its_environment(
    env: dict[str, str], expected: AlertPriorities
) -> None:
    assert rule_options(env=env).alert_priorities == expected


BAD_SETTINGS = [
    pytest.param(
        "fastBurn=P5",
        'BUDGETWARDEN_ALERT_PRIORITIES: fastBurn must be one of P0, P1, P2, P3; got "P5"',
        id="a priority outside P0-P3",
    ),
    pytest.param(
        "page=P1",
        "BUDGETWARDEN_ALERT_PRIORITIES: must be KEY=PRIORITY pairs with KEY one of fastBurn, "
        "slowBurn, budgetLowWarning, budgetLowPartialFreeze, budgetLowFullFreeze, "
        'metricsAbsent, serviceDown, highErrorRate; got "page=P1"',
        id="an unknown kind of alert lists the known ones",
    ),
    pytest.param(
        "fastBurn",
        "BUDGETWARDEN_ALERT_PRIORITIES: must be KEY=PRIORITY pairs",
        id="a key without a priority",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETTINGS)
def test_a_bad_setting_names_the_variable(text: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        rule_options(env={"BUDGETWARDEN_ALERT_PRIORITIES": text})
    assert str(raised.value).startswith(message)
