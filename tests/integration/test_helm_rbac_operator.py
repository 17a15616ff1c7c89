"""The operator at work under the chart's ServiceAccount, with no other credentials.

The chart's RBAC is applied, a token is requested for its ServiceAccount (`kubectl create
token`), and the operator runs in-process with a kubeconfig holding only that token: an SLO is
reconciled into its PrometheusRule and a policy's status is written, so the least-privilege rules
are enough for the operator's real calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from helm_support import FULLNAME, build_helm, renderer
from operator_support import apply, condition, example, get, observed, running_operator, wait_for

pytestmark = pytest.mark.cluster
RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")


@pytest.fixture
def service_account_kubeconfig(cluster: Cluster, namespace: str, tmp_path: Path) -> Iterator[Path]:
    """The chart's RBAC watching `namespace`, and a kubeconfig with its ServiceAccount's token."""
    values = {
        "watch.namespaces": f'["{namespace}"]',
        "rbac.approver.name": f'"freeze-approver-{namespace[-6:]}"',
    }
    docs = [d for d in renderer(build_helm())(namespace, values) if d["kind"] in RBAC_KINDS]
    text = yaml.safe_dump_all(docs)
    cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
    token = cluster.kubectl("create", "token", FULLNAME, "-n", namespace).stdout.strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    context = {"cluster": admin["clusters"][0]["name"], "user": "operator"}
    own = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"][:1],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": context}],
        "current-context": "operator",
    }
    path = tmp_path / "operator.kubeconfig"
    path.write_text(yaml.safe_dump(own))
    yield path
    cluster.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", "-", input=text)


def test_the_operator_works_with_the_charts_service_account_alone(
    cluster: Cluster,
    namespace: str,
    service_account_kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(service_account_kubeconfig))
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
