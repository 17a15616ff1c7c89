"""alertmanager/alertmanager.yml passes `amtool check-config`, and every priority reaches the
receivers docs/policies/alerting-policy.md names, whatever the service, as `amtool config routes
test` works it out. Marked `promtool`: amtool comes from `make tools` with promtool, and
`make test-fast` leaves both out.
"""

from __future__ import annotations

from typing import Any

import pytest

from alertmanager_support import SHIPPED, amtool, receivers_for
from budgetwarden.core.slo.rules import build_rule_groups
from rules_support import label_sets, make_slo, rules_of

pytestmark = pytest.mark.promtool

# The policy's routing: P0 pages, P1 pages and posts to chat, P2 posts to chat, P3 is a ticket.
RECEIVERS = {"P0": ["pager"], "P1": ["pager", "chat"], "P2": ["chat"], "P3": ["ticket"]}
SERVICES = (("shop", "checkout"), ("shop", "search"), ("payments", "checkout"))


def test_the_shipped_config_passes_amtool_check_config() -> None:
    result = amtool("check-config", str(SHIPPED))
    assert (result.returncode, "SUCCESS" in result.stdout) == (0, True), (
        result.stdout + result.stderr
    )


ROUTES = [
    *(
        pytest.param(
            {"alertname": "SLOErrorBudgetFastBurn", "priority": priority, "namespace": namespace,
             "service": service},
            receivers,
            id=f"{priority} of {namespace}/{service} reaches {' and '.join(receivers)}",
        )
        for priority, receivers in RECEIVERS.items()
        for namespace, service in SERVICES
    ),
    pytest.param({"alertname": "ServiceDown", "priority": "P0", "namespace": "shop",
                  "service": "checkout"}, ["pager"], id="a P0 ServiceDown pages only"),
    pytest.param({"alertname": "SLOServiceDown", "priority": "P0", "namespace": "shop",
                  "service": "checkout", "slo_name": "checkout"}, ["pager"],
                 id="a P0 SLOServiceDown pages only"),
    pytest.param({"alertname": "KubePodCrashLooping", "namespace": "shop"}, ["chat"],
                 id="an alert without a priority goes to chat, not to nobody"),
    pytest.param({"alertname": "SLOErrorBudgetFastBurn", "priority": "p1"}, ["chat"],
                 id="a priority outside P0-P3 goes to chat"),
]  # fmt: skip


@pytest.mark.parametrize(("labels", "receivers"), ROUTES)
def test_each_priority_reaches_its_receivers(labels: dict[str, str], receivers: list[str]) -> None:
    assert receivers_for(SHIPPED, labels) == receivers


def generated_alert(name: str, rule_labels: dict[str, str]) -> Any:
    """A generated alert's labels as Alertmanager gets them, named by alert, level, priority."""
    labels = {"alertname": name, **rule_labels}
    level = f" {labels['slo_budget_level']}" if "slo_budget_level" in labels else ""
    return pytest.param(labels, id=f"{name}{level} is {labels['priority']}")


EVERY_ALERT = make_slo(alerting={"errorRate": {"threshold": "5"}})  # opts in to every alert
# every alert a rule can raise: the budget-low rule raises one per level, each with its labels
GENERATED = [
    generated_alert(rule["alert"], labels)
    for rule in rules_of(build_rule_groups(EVERY_ALERT))
    if "alert" in rule
    for labels in label_sets(rule)
]


@pytest.mark.parametrize("labels", GENERATED)
def test_every_generated_alert_routes_by_its_priority(labels: dict[str, str]) -> None:
    assert receivers_for(SHIPPED, labels) == RECEIVERS[labels["priority"]]
