"""On a real API server: an SLO's budget-low alerts follow the thresholds of the
ErrorBudgetPolicy that selects it, and are regenerated when the policy changes.

The operator runs in-process (kopf's KopfRunner) scoped to a fresh namespace; the test talks to
the cluster through kubectl only, as a user would, and compares the whole PrometheusRule with what
the generator builds for the expected thresholds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import apply, as_applied, events, example, get, running_operator, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture(autouse=True)
def default_rule_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator-wide levels are the defaults, 50/30/10, as Levels() here."""
    for name in ("SCRAPE_INTERVAL", "EVALUATION_INTERVAL", "BUDGET_LEVELS"):
        monkeypatch.delenv(f"BUDGETWARDEN_{name}", raising=False)


def levels(warning: str, partial: str, full: str) -> Levels:
    return Levels(
        warning_below=Decimal(warning),
        partial_freeze_below=Decimal(partial),
        full_freeze_below=Decimal(full),
    )


def wait_for_rule_at(cluster: Cluster, namespace: str, name: str, expected: Levels) -> None:
    """Wait until the SLO's PrometheusRule is exactly what the generator builds at `expected`."""

    def probe() -> dict[str, Any] | None:
        slo = get(cluster, "slo", name, namespace)
        rule = get(cluster, "prometheusrules", f"{name}-slo", namespace)
        if slo is None or rule is None:
            return None
        wanted = build_prometheus_rule(parse_slo(slo), RuleOptions(budget_levels=expected))
        return rule if as_applied(rule) == wanted else None

    wait_for(f"the budget-low alerts of {name} at {expected}", probe)


def test_budget_low_alerts_follow_the_policy_that_selects_the_slo(
    cluster: Cluster, namespace: str
) -> None:
    """checkout-availability (team: payments) alerts at the operator's 50/30/10 until the
    payments policy selects it; then at the policy's levels, again when they change, and at
    50/30/10 once the policy stops selecting it or is deleted."""
    slo = example("01-availability-ratio.yaml", namespace)
    policy = example("05-policy.yaml", namespace)
    name, policy_name = slo["metadata"]["name"], policy["metadata"]["name"]
    with running_operator(namespace):
        apply(cluster, slo)
        wait_for_rule_at(cluster, namespace, name, levels("50", "30", "10"))
        policy["spec"]["levels"] = {
            "warningBelow": "60",
            "partialFreezeBelow": "40",
            "fullFreezeBelow": "20",
        }
        apply(cluster, policy)
        wait_for_rule_at(cluster, namespace, name, levels("60", "40", "20"))
        policy["spec"]["levels"]["fullFreezeBelow"] = "5"
        apply(cluster, policy)
        wait_for_rule_at(cluster, namespace, name, levels("60", "40", "5"))
        slo["metadata"]["labels"] = {"team": "checkout"}
        apply(cluster, slo)
        wait_for_rule_at(cluster, namespace, name, levels("50", "30", "10"))
        slo["metadata"]["labels"] = {"team": "payments"}
        apply(cluster, slo)
        wait_for_rule_at(cluster, namespace, name, levels("60", "40", "5"))
        cluster.kubectl("delete", "errorbudgetpolicy", policy_name, "-n", namespace)
        wait_for_rule_at(cluster, namespace, name, levels("50", "30", "10"))
    assert (
        events(cluster, namespace, name)
        == [("Normal", "RulesCreated")] + [("Normal", "RulesUpdated")] * 5
    )
