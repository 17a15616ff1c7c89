"""`helm install`, `helm upgrade` and `helm uninstall` on a real API server lose nothing.

An SLO, a policy frozen in its status and a FreezeException are created in a team namespace;
then a release is installed with helm into its own namespace (its pods never run: the test
cluster has no controllers; what is checked is what helm does to the API's objects).
`helm upgrade` with changed values, `helm uninstall` and a new `helm install` must leave every
one of them, the freeze in status included, and the CRDs; an operator started afterwards carries
the same freeze on (same freeze id) and pauses the workload it holds. Helm installs `crds/` only
when they are missing and never upgrades or deletes them (docs/install.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from budget_support import RecordedSeries
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from helm_support import CHART, build_helm, helm_run
from operator_support import example, get, running_operator, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture, scraped  # noqa: F401
from webhook_support import deployment

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]
KINDS = ("slo", "errorbudgetpolicy", "freezeexception")
FREEZE = {
    "level": "PartialFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-7c2e",
    "reason": "SLO checkout-availability has 21.4% error budget left",
    "slos": [{"name": "checkout-availability", "remainingPercent": "21.4",
              "level": "PartialFreeze"}],
    "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}],
}  # fmt: skip


def helm(cluster: Cluster, *args: str) -> str:
    result = helm_run(build_helm(), "--kubeconfig", str(cluster.kubeconfig), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def team_state(cluster: Cluster, namespace: str) -> dict[str, Any]:
    """What the team has: each object's spec (the policy's status too) and the CRDs."""
    found = {kind: (get(cluster, kind, name, namespace) or {})
             for kind, name in zip(KINDS, ("checkout-availability", "payments",
                                           "checkout-hotfix-4711"), strict=True)}  # fmt: skip
    crds = cluster.kubectl("get", "crd", "-o", "name").stdout.split()
    return {
        **{kind: obj.get("spec") for kind, obj in found.items()},
        "freeze": (found["errorbudgetpolicy"].get("status") or {}).get("freezeId"),
        "crds": sorted(c for c in crds if c.endswith(".budgetwarden.io")),
    }


@pytest.fixture(name="release_slot")
def release_slot_fixture(cluster: Cluster, namespace: str) -> Iterator[tuple[str, str]]:
    """(release name, release namespace); the release is uninstalled whatever happens, so its
    webhooks, which fail closed with no pod behind them, never outlive the test."""
    name, where = f"lc{namespace[-6:]}", cluster.create_namespace("bw-release")
    yield name, where
    helm_run(build_helm(), "--kubeconfig", str(cluster.kubeconfig), "uninstall", name,
             "--namespace", where, "--ignore-not-found")  # fmt: skip


def test_upgrade_and_uninstall_keep_every_slo_policy_exception_and_freeze(
    cluster: Cluster, namespace: str, release_slot: tuple[str, str], recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    release, release_namespace = release_slot
    cluster.kubectl("create", "-f", "-", input=json.dumps(deployment(namespace, "worker:1.0")))
    base = ("--namespace", release_namespace, "--set", f"rbac.approver.name=approver-{release}")
    for name in ("01-availability-ratio.yaml", "05-policy.yaml", "06-freeze-exception.yaml"):
        resource = example(name, namespace)
        if resource["kind"] == "FreezeException":
            resource["spec"]["expiresAt"] = "2099-01-01T00:00:00Z"
            resource["spec"]["approvedBy"] = "bob@example.com"
        cluster.kubectl("create", "-f", "-", input=json.dumps(resource))
    cluster.kubectl("patch", "errorbudgetpolicy", "payments", "-n", namespace,
                    "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": FREEZE}))  # fmt: skip
    before = team_state(cluster, namespace)
    assert before["freeze"] == "fz-7c2e" and all(before[kind] for kind in KINDS)
    helm(cluster, "install", release, str(CHART), *base)  # its exception webhooks fail closed

    helm(cluster, "upgrade", release, str(CHART), *base, "--set", "replicaCount=2",
         "--set", "webhook.failurePolicy=Fail")  # fmt: skip
    upgraded = get(cluster, "deployment", f"{release}-budgetwarden", release_namespace) or {}
    after_upgrade = team_state(cluster, namespace)
    helm(cluster, "uninstall", release, "--namespace", release_namespace, "--wait")
    gone = get(cluster, "deployment", f"{release}-budgetwarden", release_namespace)
    after_uninstall = team_state(cluster, namespace)
    helm(cluster, "install", release, str(CHART), *base)
    after_reinstall = team_state(cluster, namespace)

    assert (upgraded["spec"]["replicas"], gone) == (2, None)
    assert after_upgrade == after_uninstall == after_reinstall == before
    enforced_again(cluster, namespace, recorded, prometheus, monkeypatch)


def enforced_again(
    cluster: Cluster, namespace: str, recorded: RecordedSeries, prometheus: PrometheusProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """An operator started after the reinstall carries the same freeze on and enforces it."""
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, namespace, SLO_NAME)
    monkeypatch.setenv(config.ENV_PROMETHEUS_URL, prometheus.url)
    monkeypatch.setenv(config.ENV_POLL_INTERVAL, "1s")
    monkeypatch.setenv(config.ENV_METRICS_PORT, "off")
    monkeypatch.setenv(config.ENV_LEASE_NAMESPACE, namespace)
    with running_operator(namespace):
        worker = wait_for("the Deployment paused by the freeze", lambda: (
            found if ((found := get(cluster, "deployment", "checkout-worker", namespace)) or {})
            .get("spec", {}).get("paused") else None))  # fmt: skip
    status = (get(cluster, "errorbudgetpolicy", "payments", namespace) or {})["status"]
    annotations = worker["metadata"]["annotations"]
    assert (status["freezeId"], annotations["budgetwarden.io/freeze-id"]) == ("fz-7c2e",) * 2
