"""What bench.admission_latency sets up before it measures: the Rollout, the freeze, the reviews,
and the SLOs and ErrorBudgetPolicies the operator holds in memory while it answers.

The objects are created before the operator starts (4 kubectl processes at once). The operator
runs as the chart's webhook container does (`--role admission`: the webhook server and the
watches that keep its state, no handlers), whose webhook listens only once every object is in
memory; so the measurement starts on a full cache, not beside a controller still starting up.
Their number comes from $BUDGETWARDEN_BENCH_SLOS (bench.specs.sizes; by default 10,000 SLOs),
with one policy for every ten SLOs; each policy selects one team's SLOs and targets Rollouts
and Deployments of its own app, so that every review is checked against all of them and
matches only examples/05's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench import specs
from bench._stack import child
from bench.operator_scale import manifest
from budgetwarden_dev.devenv import ControlPlane
from budgetwarden_dev.devenv.binaries import find_binary, repo_root

NAMESPACE = "shop"
SLOS = max(specs.sizes((10_000,)))
POLICIES = max(1, SLOS // 10)
PROCESSES = 4  # kubectl processes creating the objects at once
USER = "alice@example.com"


def rollout() -> dict[str, Any]:
    """The Rollout the payments policy (examples/05) targets."""
    labels = {"app": "checkout"}
    container = {"name": "checkout", "image": "shop/checkout:1.4.2"}
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": NAMESPACE, "labels": labels},
        "spec": {"replicas": 3, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
                 "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}},
    }  # fmt: skip


def freeze(plane: ControlPlane, stable: dict[str, Any]) -> None:
    """examples/05's policy, and a FullFreeze in its status as the poller would record it."""
    from budgetwarden.core.freeze.workload_diff import template_digest

    plane.kubectl("apply", "-f", str(repo_root() / "examples" / "05-policy.yaml"))
    digest = template_digest(stable["spec"]["template"])
    status = {
        "level": "FullFreeze",
        "since": "2026-11-29T10:14:00Z",
        "reason": "SLO checkout-availability has 8.2% error budget left",
        "freezeId": "fz-7c2e",
        "slos": [{"name": "checkout-availability", "remainingPercent": "8.2",
                  "level": "FullFreeze"}],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": False,
                         "stableTemplate": digest}],
    }  # fmt: skip
    plane.kubectl(
        "patch", "errorbudgetpolicy", "payments", "-n", NAMESPACE, "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip


def review(operation: str, old: dict[str, Any], new: dict[str, Any], uid: str) -> dict[str, Any]:
    """An AdmissionReview v1 request as kube-apiserver sends it for a Rollout update."""
    request = {
        "uid": uid,
        "kind": {"group": "argoproj.io", "version": "v1alpha1", "kind": "Rollout"},
        "resource": {"group": "argoproj.io", "version": "v1alpha1", "resource": "rollouts"},
        "requestKind": {"group": "argoproj.io", "version": "v1alpha1", "kind": "Rollout"},
        "name": old["metadata"]["name"],
        "namespace": old["metadata"]["namespace"],
        "operation": operation,
        "userInfo": {"username": USER, "groups": ["system:authenticated"]},
        "object": new,
        "oldObject": old,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def new_image(stored: dict[str, Any]) -> dict[str, Any]:
    """The review of a new image for a Rollout: denied during a freeze."""
    changed = json.loads(json.dumps(stored))
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "shop/checkout:1.5.0"
    return review("UPDATE", stored, changed, "6f3f7c55-0000-4000-8000-000000000001")


def bodies(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """A denied new image and an allowed scale change, from the Rollout as stored."""
    scaled = json.loads(json.dumps(stored))
    scaled["spec"]["replicas"] = 5
    return [
        new_image(stored),
        review("UPDATE", stored, scaled, "6f3f7c55-0000-4000-8000-000000000002"),
    ]


def policy_yaml(index: int) -> str:
    """A policy of its own team and app: selects SLOs, targets workloads no review touches."""
    return (
        "apiVersion: budgetwarden.io/v1alpha1\nkind: ErrorBudgetPolicy\nmetadata:\n"
        f"  name: policy-{index:04d}\n  namespace: {NAMESPACE}\nspec:\n"
        f"  sloSelector:\n    matchLabels:\n      team: team-{index % 10}\n"
        "  targets:\n"
        f"    - kind: Rollout\n      selector:\n        matchLabels:\n          app: app-{index}\n"
        f"    - kind: Deployment\n      selector:\n        matchLabels:\n"
        f"          app: app-{index}-worker\n"
        '  levels:\n    warningBelow: "50"\n    partialFreezeBelow: "30"\n'
        '    fullFreezeBelow: "10"\n'
    )


def populate(plane: ControlPlane, folder: Path) -> None:
    """Create SLOS SLOs and POLICIES policies, 4 kubectl processes at once."""
    cases = specs.cases(SLOS)
    parts = [manifest(cases[i::PROCESSES], NAMESPACE, folder / f"slos-{i}.yaml")
             for i in range(PROCESSES)]  # fmt: skip
    policies = folder / "policies.yaml"
    policies.write_text("---\n".join(policy_yaml(i) for i in range(POLICIES)))
    argv = [str(find_binary("kubectl")), f"--kubeconfig={plane.kubeconfig}", "create", "-f"]
    kubectl = [child([*argv, str(path)], stdout=subprocess.DEVNULL) for path in [*parts, policies]]
    if any(process.wait(timeout=1200) != 0 for process in kubectl):
        raise SystemExit("kubectl create failed")
