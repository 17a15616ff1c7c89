"""The operator at work under the chart's ServiceAccount, with no other credentials.

The chart's RBAC is applied, a token is requested for its ServiceAccount (`kubectl create
token`), and the operator runs in-process with a kubeconfig holding only that token: an SLO is
reconciled into its PrometheusRule and a policy's status is written, so the least-privilege rules
are enough for the operator's real calls.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from budgetwarden_dev.devenv.cluster import Cluster
from helm_support import Installed, chart_identity_fixture  # noqa: F401
from operator_support import apply, condition, example, get, observed, running_operator, wait_for

pytestmark = pytest.mark.cluster


def test_the_operator_works_with_the_charts_service_account_alone(
    cluster: Cluster,
    namespace: str,
    chart_identity: Callable[[dict[str, str]], Installed],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, kubeconfig = chart_identity({})
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("BUDGETWARDEN_LEASE_NAMESPACE", namespace)  # the chart's: its own
    slo, policy = (
        example("01-availability-ratio.yaml", namespace),
        example("05-policy.yaml", namespace),
    )
    with running_operator(namespace):
        apply(cluster, slo)
        apply(cluster, policy)
        name = slo["metadata"]["name"]
        rule = wait_for(
            "the PrometheusRule", lambda: get(cluster, "prometheusrules", f"{name}-slo", namespace)
        )
        applied = observed(cluster, "slo", name, namespace)
        checked = observed(cluster, "errorbudgetpolicy", policy["metadata"]["name"], namespace)
    assert (rule["metadata"]["name"], condition(applied, "Ready")["reason"]) == (
        f"{name}-slo",
        "RulesApplied",
    )
    assert (condition(checked, "Valid") or {}).get("status") == "True"
