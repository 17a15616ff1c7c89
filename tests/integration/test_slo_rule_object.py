"""The operator on a real API server puts the operator-wide and the SLO's own labels and
annotations on the generated PrometheusRule (the SLO's winning), and applies a label away once
neither wants it any more.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import apply, as_applied, example, get, observed, running_operator, wait_for

pytestmark = pytest.mark.cluster

OPERATOR_LABELS = (("release", "kube-prometheus-stack"), ("tier", "platform"))


@pytest.fixture(autouse=True)
def operator_wide_rule_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator runs with BUDGETWARDEN_RULE_LABELS and otherwise default rule options."""
    for name in ("SCRAPE_INTERVAL", "EVALUATION_INTERVAL", "BUDGET_LEVELS", "RULE_ANNOTATIONS"):
        monkeypatch.delenv(f"BUDGETWARDEN_{name}", raising=False)
    monkeypatch.setenv("BUDGETWARDEN_RULE_LABELS", ",".join(f"{k}={v}" for k, v in OPERATOR_LABELS))


def rule_when(cluster: Cluster, slo: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The SLO's PrometheusRule once its metadata is what build_prometheus_rule wants."""
    meta = slo["metadata"]

    def probe() -> dict[str, Any] | None:
        rule = get(cluster, "prometheusrules", f"{meta['name']}-slo", meta["namespace"])
        return rule if rule and as_applied(rule)["metadata"] == wanted["metadata"] else None

    return wait_for("the PrometheusRule with the expected labels", probe)


def test_rule_labels_reach_the_cluster_and_a_dropped_one_is_removed(
    cluster: Cluster, namespace: str
) -> None:
    resource = example("01-availability-ratio.yaml", namespace)
    resource["spec"]["prometheusRule"] = {
        "labels": {"release": "prom-b", "team": "payments"},
        "annotations": {"example.com/owner": "payments"},
    }
    name = resource["metadata"]["name"]
    options = RuleOptions(rule_labels=OPERATOR_LABELS)
    with running_operator(namespace):
        apply(cluster, resource)
        slo = observed(cluster, "slo", name, namespace)
        wanted = build_prometheus_rule(parse_slo(slo), options)
        rule = rule_when(cluster, slo, wanted)
        del resource["spec"]["prometheusRule"]["labels"]["team"]
        apply(cluster, resource)
        updated = observed(cluster, "slo", name, namespace, generation=2)
        rewanted = build_prometheus_rule(parse_slo(updated), options)
        rewritten = rule_when(cluster, updated, rewanted)

    labels = rule["metadata"]["labels"]
    assert (labels["release"], labels["tier"], labels["team"]) == ("prom-b", "platform", "payments")
    assert rule["metadata"]["annotations"]["example.com/owner"] == "payments"
    assert "team" not in rewritten["metadata"]["labels"]
