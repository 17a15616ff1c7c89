"""The chart's freeze-gate ClusterAnalysisTemplate, run by the real Argo Rollouts controller.

On the live cluster the operator runs for the namespace with its /gate endpoint on a loopback
port; the payments policy's status says PartialFreeze holding Rollout checkout, or Normal. The
metric is the chart's own (helm template, with the Argo API served), pointed at that port instead
of the in-cluster Service, and runs as an AnalysisRun with the template's arguments: the real
controller calls /gate, reads `$.allowed` and decides the run. Frozen, it is Inconclusive (the
default: a Rollout pauses) or Failed (`gates.whenFrozen: Failed`: a Rollout aborts); not frozen,
Successful.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from budgetwarden.runtime import config
from budgetwarden_dev.devenv.processes import free_port
from helm_support import FULLNAME, build_helm, find, renderer
from live_support import LiveCluster
from operator_support import example, running_operator, wait_for

pytestmark = [pytest.mark.live, pytest.mark.cluster]
ARGO_API = ("--api-versions", "argoproj.io/v1alpha1/ClusterAnalysisTemplate")


def gate_metric(port: int, values: dict[str, str]) -> dict[str, Any]:
    """The chart's metric, calling the operator on `port` instead of its Service."""
    docs = renderer(build_helm())("budgetwarden", values, *ARGO_API)
    (metric,) = find(docs, "ClusterAnalysisTemplate", f"{FULLNAME}-freeze-gate")["spec"]["metrics"]
    service = f"http://{FULLNAME}.budgetwarden.svc:8080"
    web = metric["provider"]["web"]
    web["url"] = web["url"].replace(service, f"http://127.0.0.1:{port}")
    return dict(metric)


def set_level(live: LiveCluster, namespace: str, level: str) -> None:
    frozen = level == "PartialFreeze"
    status = {
        "level": level, "since": "2026-11-29T10:14:00Z", "freezeId": "fz-7c2e" if frozen else "",
        "slos": [{"name": "checkout-availability", "remainingPercent": "21.4" if frozen else "80",
                  "level": level}],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}] if frozen
        else [],
    }  # fmt: skip
    live.cluster.kubectl("patch", "errorbudgetpolicy", "payments", "-n", namespace,
                         "--subresource=status", "--type=merge",
                         "-p", json.dumps({"status": status}))  # fmt: skip


@pytest.fixture
def gate_port(
    live_cluster: LiveCluster, live_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[int]:
    """The operator for the live namespace, its /gate on the returned port."""
    port = free_port()
    policy = json.dumps(example("05-policy.yaml", live_namespace))
    live_cluster.cluster.kubectl("create", "-f", "-", input=policy)
    monkeypatch.setenv("KUBECONFIG", str(live_cluster.cluster.kubeconfig))
    monkeypatch.setenv(config.ENV_METRICS_PORT, str(port))
    monkeypatch.setenv(config.ENV_LEASE_NAMESPACE, live_namespace)
    monkeypatch.delenv(config.ENV_PROMETHEUS_URL, raising=False)  # the status is the test's
    with running_operator(live_namespace):
        yield port


def run_analysis(live: LiveCluster, namespace: str, name: str, metric: dict[str, Any]) -> str:
    """Create the AnalysisRun and wait for the controller's verdict: its phase."""
    run = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"args": [{"name": "namespace", "value": namespace},
                          {"name": "rollout", "value": "checkout"}],
                 "metrics": [metric]},
    }  # fmt: skip
    live.cluster.kubectl("create", "-f", "-", input=json.dumps(run))

    def phase() -> str | None:
        found = live.cluster.kubectl("get", "analysisrun", name, "-n", namespace, "-o", "json")
        value = (json.loads(found.stdout).get("status") or {}).get("phase")
        return value if value not in (None, "", "Pending", "Running") else None

    return wait_for(f"AnalysisRun {name} to finish", phase, timeout=90)


def test_an_analysis_waits_while_frozen_and_succeeds_when_not(
    live_cluster: LiveCluster, live_namespace: str, gate_port: int
) -> None:
    set_level(live_cluster, live_namespace, "PartialFreeze")
    inconclusive = gate_metric(gate_port, {})
    failing = gate_metric(gate_port, {"gates.whenFrozen": '"Failed"'})
    phases = [
        run_analysis(live_cluster, live_namespace, "frozen-default", inconclusive),
        run_analysis(live_cluster, live_namespace, "frozen-failing", failing),
    ]
    set_level(live_cluster, live_namespace, "Normal")
    phases.append(run_analysis(live_cluster, live_namespace, "thawed", inconclusive))
    assert phases == ["Inconclusive", "Failed", "Successful"]
