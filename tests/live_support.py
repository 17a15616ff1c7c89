"""The live cluster the `live` tests share: a control plane where workloads really progress.

`live_cluster` (session-scoped) starts a control plane of its own, apart from the `cluster`
fixture's, with budgetwarden's CRDs, then kube-controller-manager, kube-scheduler, kwok with one
fake node and Argo Rollouts' controller (budgetwarden_dev.devenv.workloads). It builds their
binaries first when the cache lacks them (hack/live/build.sh; a cold build takes a quarter of an
hour) and fails, never skips, when that build fails. When $KUBECONFIG was set as the session
began, the live tests use that cluster instead and expect those controllers to run there (as
`budgetwarden dev up --workloads` runs them).

tests/conftest.py imports both fixtures, so every test module shares the one session cluster;
test modules must not import them again (a fixture imported into a module is that module's own,
and each would start a cluster of its own).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import install_crds
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.workloads import Workloads, live_binaries
from operator_support import get

# read at import, during collection: the `cluster` fixture later points KUBECONFIG at its own plane
GIVEN_KUBECONFIG = os.environ.get("KUBECONFIG")


@dataclass(frozen=True)
class LiveCluster:
    """The live cluster and the Argo Rollouts kubectl plugin built for it."""

    cluster: Cluster
    plugin: Path

    def argo_rollouts(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `kubectl argo rollouts ARGS` (the plugin binary) against the live cluster."""
        argv = [str(self.plugin), f"--kubeconfig={self.cluster.kubeconfig}", *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"kubectl argo rollouts {' '.join(args)}: {result.stderr}"
        return result


def _binaries() -> dict[str, Path]:
    try:
        return live_binaries(repo_root())
    except DevEnvError as e:
        problem = str(e)
    pytest.fail(f"the live cluster's binaries could not be built: {problem}", pytrace=False)


@pytest.fixture(name="live_cluster", scope="session")
def live_cluster_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCluster]:
    """A cluster whose controllers run: Deployments and Rollouts really roll out."""
    binaries = _binaries()
    plugin = binaries["kubectl-argo-rollouts"]
    if GIVEN_KUBECONFIG:
        yield LiveCluster(Cluster(Path(GIVEN_KUBECONFIG.split(os.pathsep)[0])), plugin)
        return
    plane = ControlPlane(tmp_path_factory.mktemp("live") / "controlplane").start()
    workloads = Workloads(plane, binaries)
    try:
        install_crds(plane.kubectl, repo_root())
        workloads.start()
        yield LiveCluster(Cluster(plane.kubeconfig, plane), plugin)
    finally:
        workloads.stop()
        plane.stop()


@pytest.fixture(name="live_namespace")
def live_namespace_fixture(
    live_cluster: LiveCluster, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A new namespace on the live cluster; deleted afterwards (the namespace controller runs)."""
    name = live_cluster.cluster.create_namespace(request.node.name)
    yield name
    live_cluster.cluster.kubectl("delete", "namespace", name, "--wait=false")


# --- Workloads named `web`, and what the controllers made of them ---------------------------
IMAGE = "registry.example/web"
CANARY_STEPS = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}]


def workload(kind: str, replicas: int, **spec: Any) -> dict[str, Any]:
    """A Deployment or Rollout named `web` with one container running IMAGE:1."""
    labels = {"app": "web"}
    container = {"name": "web", "image": f"{IMAGE}:1"}
    api = "apps/v1" if kind == "Deployment" else "argoproj.io/v1alpha1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "web", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            **spec,
        },
    }


def create(live: LiveCluster, namespace: str, manifest: dict[str, Any]) -> None:
    """kubectl create the manifest in `namespace`."""
    live.cluster.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(manifest))


def status(live: LiveCluster, kind: str, namespace: str) -> dict[str, Any]:
    """The status of `web`, {} while it has none."""
    found = get(live.cluster, kind, "web", namespace) or {}
    return dict(found.get("status") or {})


def replica_sets(live: LiveCluster, namespace: str) -> dict[str, tuple[int, int]]:
    """image -> (spec.replicas, status.readyReplicas) of every ReplicaSet in `namespace`."""
    found = live.cluster.kubectl("get", "replicasets", "-n", namespace, "-o", "json")
    sets = {}
    for item in json.loads(found.stdout)["items"]:
        image = item["spec"]["template"]["spec"]["containers"][0]["image"]
        sets[image] = (item["spec"]["replicas"], item["status"].get("readyReplicas", 0))
    return sets


def rollout_at(live: LiveCluster, namespace: str, step: int, phase: str) -> dict[str, Any] | None:
    """The Rollout's status once it is in `phase` at step index `step`, else None.

    Paused means paused by the controller at a pause step (not by a user); Healthy means the
    current pods are the stable ones.
    """
    found = status(live, "rollout", namespace)
    if (found.get("currentStepIndex"), found.get("phase")) != (step, phase):
        return None
    reasons = [c["reason"] for c in found.get("pauseConditions") or []]
    if phase == "Paused" and reasons != ["CanaryPauseStep"]:
        return None
    if phase == "Healthy" and found.get("stableRS") != found.get("currentPodHash"):
        return None
    return found
