"""The demo stack's live profile: controllers that make the demo's workloads really roll out.

`budgetwarden demo up --workloads` (demo/stack.py) calls `start_controllers` right after the
control plane: kube-controller-manager, kube-scheduler, kwok with one fake node and the Argo
Rollouts controller (devenv/workloads.py), whose pids go into the stack's state like every
other process. Before demo/manifests/ is applied, `with_live_canary` gives the Rollout canary
steps that wait for a person at each pause, and `wait_rolled_out` waits until the first
version serves, so a drill starts from a stable Rollout and ships the next version as a canary
(demo/drill_canary.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from budgetwarden_dev.demo.components import wait_for
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.kubeconfig import RunsKubectl
from budgetwarden_dev.devenv.processes import Spawned
from budgetwarden_dev.devenv.workloads import Workloads, live_binaries

# the drill runs `kubectl argo rollouts` from here (exported by `demo up --workloads`)
PLUGIN_VAR = "BUDGETWARDEN_ARGO_ROLLOUTS_PLUGIN"
PLUGIN_BINARY = "kubectl-argo-rollouts"
# Pauses without a duration wait for `kubectl argo rollouts promote`: the canary stands at step 1
# however long the freeze lasts, and the drill promotes it step by step after the thaw.
# demo/manifests/'s timed pause would run out by itself and blur what the freeze held.
LIVE_CANARY_STEPS: list[dict[str, Any]] = [
    {"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {}},
]  # fmt: skip
ROLLED_OUT_TIMEOUT = 90


def binaries() -> dict[str, Path]:
    """Build (or reuse from the cache) the controllers and the plugin; name -> path."""
    return live_binaries(repo_root())


def start_controllers(
    plane: ControlPlane, built: dict[str, Path]
) -> tuple[list[Spawned], dict[str, str]]:
    """Start the controllers beside `plane` (a failed start stops what it started); returns
    their processes and the exports that point the drill at the plugin."""
    workloads = Workloads(plane, built, detached=True).start()
    return workloads.processes, {PLUGIN_VAR: str(workloads.binary(PLUGIN_BINARY))}


def with_live_canary(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents, each canary Rollout with LIVE_CANARY_STEPS in place of its steps."""
    changed = []
    for doc in docs:
        canary = (doc.get("spec") or {}).get("strategy", {}).get("canary")
        if doc.get("kind") == "Rollout" and canary is not None:
            doc = copy.deepcopy(doc)
            doc["spec"]["strategy"]["canary"]["steps"] = copy.deepcopy(LIVE_CANARY_STEPS)
        changed.append(doc)
    return changed


def wait_rolled_out(kubectl: RunsKubectl, namespace: str) -> None:
    """Wait until every Rollout is Healthy and every Deployment has all its replicas ready."""
    wait_for("every Rollout Healthy and every Deployment ready",
             lambda: _rolled_out(kubectl, namespace), ROLLED_OUT_TIMEOUT)  # fmt: skip


def _rolled_out(kubectl: RunsKubectl, namespace: str) -> bool:
    found = kubectl("get", "rollouts.argoproj.io,deployments.apps", "-n", namespace, "-o", "json")
    items: list[dict[str, Any]] = json.loads(found.stdout)["items"]
    return all(_ready(item) for item in items)


def _ready(item: dict[str, Any]) -> bool:
    status = item.get("status") or {}
    wanted = (item.get("spec") or {}).get("replicas", 1)
    if item["kind"] == "Rollout":
        return status.get("phase") == "Healthy" and status.get("readyReplicas", 0) >= wanted
    updated, ready = status.get("updatedReplicas", 0), status.get("readyReplicas", 0)
    return bool(updated == wanted and ready >= wanted)
