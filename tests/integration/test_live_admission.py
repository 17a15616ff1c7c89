"""The admission webhook against the real Argo Rollouts controller, on the live cluster.

The operator serves the webhook, registered on the live cluster, and freezes Rollout `web` in
the middle of its canary (1 canary pod, 4 stable, paused by its own step at index 1). The team's
user `dev` holds `edit` and Argo Rollouts' own edit rights (rollouts, their status and scale),
and uses the real `kubectl argo rollouts` plugin. `promote`, `promote --full`, `retry`, a resume
(spec.paused back to false) and a new image are refused; the Argo controller, which runs as its
own ServiceAccount, keeps writing status. Afterwards the Rollout carries nothing that takes
effect later: at the thaw it is back at its own pause step with the same replica counts, and
only a promote made then moves it on, one step. Under inFlight Abort, `retry` is refused too.
A Deployment gets no new ReplicaSet for a new image during a freeze.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import pytest

from budget_support import RecordedSeries
from budgetwarden_dev.devenv.certs import write_serving_cert
from budgetwarden_dev.devenv.processes import free_port
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from live_freeze_support import AT_20, Webhook, frozen, mid_canary_fixture, registered_on  # noqa: F401
from live_support import (
    IMAGE,
    LiveCluster,
    create,
    replica_sets,
    rollout_at,
    status,
    workload,
)
from operator_support import get, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture  # noqa: F401

pytestmark = [pytest.mark.live, pytest.mark.cluster, pytest.mark.promtool]
DEV = "dev"
REFUSED = 'admission webhook "workloads.budgetwarden.io" denied the request'
PROMOTE = "Blocked: promoting, resuming, retrying or skipping steps of a held Rollout"
ARGO_EDIT = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "argo-rollouts-edit"},
    "rules": [{"apiGroups": ["argoproj.io"], "verbs": ["*"],
               "resources": ["rollouts", "rollouts/status", "rollouts/scale"]}],
}  # fmt: skip


@pytest.fixture(scope="module")
def webhook(
    live_cluster: LiveCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Webhook]:
    """The webhook's port and certificate, registered on the live cluster for the module."""
    served = Webhook(free_port(), write_serving_cert(tmp_path_factory.mktemp("live-webhook")))
    with registered_on(live_cluster, served):
        yield served


@pytest.fixture
def team(live_cluster: LiveCluster, live_namespace: str) -> str:
    """The namespace opted in to enforcement, where `dev` has edit and Argo's edit rights."""
    kubectl = live_cluster.cluster.kubectl
    kubectl("label", "namespace", live_namespace, "budgetwarden.io/enforce=enabled")
    kubectl("create", "rolebinding", "dev-edit", "--clusterrole=edit", f"--user={DEV}",
            "-n", live_namespace)  # fmt: skip
    kubectl("apply", "-n", live_namespace, "-f", "-", input=json.dumps(ARGO_EDIT))
    kubectl("create", "rolebinding", "dev-argo", "--role=argo-rollouts-edit", f"--user={DEV}",
            "-n", live_namespace)  # fmt: skip
    return live_namespace


def as_dev(live: LiveCluster, *args: str) -> subprocess.CompletedProcess[str]:
    """`kubectl argo rollouts ARGS` as `dev`; the result, whatever it is."""
    argv = [str(live.plugin), f"--kubeconfig={live.cluster.kubeconfig}", f"--as={DEV}", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def refused(result: subprocess.CompletedProcess[str], blocked: str) -> bool:
    return result.returncode != 0 and REFUSED in result.stderr and blocked in result.stderr


def paused_by_budgetwarden(live: LiveCluster, namespace: str) -> bool:
    return (get(live.cluster, "rollout", "web", namespace) or {})["spec"].get("paused") is True


def test_promote_retry_resume_and_new_versions_are_refused_and_leave_nothing_behind(
    live_cluster: LiveCluster, mid_canary: str, team: str, webhook: Webhook,
    recorded: RecordedSeries, prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace, kubectl = mid_canary, live_cluster.cluster.kubectl
    with frozen(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch,
                webhook=webhook):  # fmt: skip
        wait_for("the pause", lambda: paused_by_budgetwarden(live_cluster, namespace))
        ns = ("-n", namespace)
        assert refused(as_dev(live_cluster, "promote", "web", *ns), PROMOTE)
        assert refused(as_dev(live_cluster, "promote", "--full", "web", *ns), PROMOTE)
        resume = kubectl("patch", "rollout", "web", *ns, f"--as={DEV}", "--type=merge",
                         "-p", '{"spec":{"paused":false}}', check=False)  # fmt: skip
        assert refused(resume, "Blocked: resuming a workload budgetwarden paused")
        new_image = as_dev(live_cluster, "set", "image", "web", f"web={IMAGE}:3", *ns)
        assert refused(new_image, "Blocked: pod template changes (new versions)")
        time.sleep(3)  # controller syncs: nothing the refused writes began may show
        held = status(live_cluster, "rollout", namespace)
        assert held.get("promoteFull") is not True
        assert [c["reason"] for c in held.get("pauseConditions") or []] == ["CanaryPauseStep"]
        assert (held.get("currentStepIndex"), replica_sets(live_cluster, namespace)) == (1, AT_20)
        recorded.set(namespace, SLO_NAME, "0.9", w1h="0", w5m="0")  # the budget recovers
        wait_for("the thaw", lambda: not paused_by_budgetwarden(live_cluster, namespace))
        time.sleep(5)  # a skipped step or a full promotion would show by now
        assert rollout_at(live_cluster, namespace, 1, "Paused") is not None
        assert replica_sets(live_cluster, namespace) == AT_20
        promoted = as_dev(live_cluster, "promote", "web", *ns)
        assert promoted.returncode == 0, promoted.stderr
        wait_for("one step on, at the next pause",
                 lambda: rollout_at(live_cluster, namespace, 3, "Paused"))  # fmt: skip


def test_retry_of_a_canary_the_freeze_aborted_is_refused(
    live_cluster: LiveCluster, mid_canary: str, team: str, webhook: Webhook,
    recorded: RecordedSeries, prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = mid_canary
    stable_only = {f"{IMAGE}:1": (5, 5), f"{IMAGE}:2": (0, 0)}
    with frozen(live_cluster, namespace, "Abort", recorded, prometheus, monkeypatch,
                webhook=webhook):  # fmt: skip
        wait_for("the canary scaled away",
                 lambda: replica_sets(live_cluster, namespace) == stable_only)  # fmt: skip
        retry = as_dev(live_cluster, "retry", "rollout", "web", "-n", namespace)
        assert refused(retry, PROMOTE)
        time.sleep(3)
        assert status(live_cluster, "rollout", namespace).get("abort") is True
        assert replica_sets(live_cluster, namespace) == stable_only


def test_a_new_image_for_a_frozen_deployment_creates_no_replica_set(
    live_cluster: LiveCluster, live_namespace: str, team: str, webhook: Webhook,
    recorded: RecordedSeries, prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace, kubectl = team, live_cluster.cluster.kubectl
    create(live_cluster, namespace, workload("Deployment", 2))
    running = {f"{IMAGE}:1": (2, 2)}
    wait_for("2 ready pods", lambda: replica_sets(live_cluster, namespace) == running)
    with frozen(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch,
                kind="Deployment", webhook=webhook):  # fmt: skip
        wait_for("the pause", lambda: (get(live_cluster.cluster, "deployment", "web", namespace)
                                       or {})["spec"].get("paused") is True)  # fmt: skip
        result = kubectl("set", "image", "deployment/web", f"web={IMAGE}:2", "-n", namespace,
                         f"--as={DEV}", check=False)  # fmt: skip
        assert refused(result, "Blocked: pod template changes (new versions)")
        time.sleep(3)
        assert replica_sets(live_cluster, namespace) == running


def memory_limits(live: LiveCluster, namespace: str) -> dict[str, tuple[int, int]]:
    """memory limit -> (spec.replicas, status.readyReplicas) of every ReplicaSet in `namespace`."""
    found = live.cluster.kubectl("get", "replicasets", "-n", namespace, "-o", "json")
    sets = {}
    for item in json.loads(found.stdout)["items"]:
        container = item["spec"]["template"]["spec"]["containers"][0]
        limit = container.get("resources", {}).get("limits", {}).get("memory", "none")
        sets[limit] = (item["spec"]["replicas"], item["status"].get("readyReplicas", 0))
    return sets


def test_raised_limits_roll_out_through_a_partial_freeze_and_a_full_freeze_refuses_them(
    live_cluster: LiveCluster, live_namespace: str, team: str, webhook: Webhook,
    recorded: RecordedSeries, prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace, kubectl = team, live_cluster.cluster.kubectl
    create(live_cluster, namespace, workload("Deployment", 2))
    wait_for("2 ready pods", lambda: memory_limits(live_cluster, namespace) == {"none": (2, 2)})
    paused = lambda: (get(live_cluster.cluster, "deployment", "web", namespace)  # noqa: E731
                      or {})["spec"].get("paused") is True  # fmt: skip
    with frozen(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch,
                kind="Deployment", webhook=webhook):  # fmt: skip
        wait_for("the pause", paused)
        raised = kubectl("set", "resources", "deployment/web", "--limits=memory=1Gi", "-n",
                         namespace, f"--as={DEV}", check=False)  # fmt: skip
        assert raised.returncode == 0, raised.stderr
        rolled = {"none": (0, 0), "1Gi": (2, 2)}
        wait_for("the raised limit rolled out",
                 lambda: memory_limits(live_cluster, namespace) == rolled)  # fmt: skip
        assert not paused()
        recorded.set(namespace, SLO_NAME, "0.05", w1h="1", w5m="1")  # on to FullFreeze
        wait_for("the full freeze's pause", paused)
        again = kubectl("set", "resources", "deployment/web", "--limits=memory=2Gi", "-n",
                        namespace, f"--as={DEV}", check=False)  # fmt: skip
        assert refused(again, "Blocked: pod template changes (new versions)")
        assert memory_limits(live_cluster, namespace) == rolled
