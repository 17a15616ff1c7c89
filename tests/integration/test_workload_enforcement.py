"""Enforcement on a real API server: Rollouts and Deployments paused, marked, resumed.

Each test creates its workloads in a fresh namespace of the session `cluster` and calls the
seam the poller calls, `runtime.enforcer.enforce`, with hand-made decisions. No pods run
(there is no controller-manager); a Rollout's in-flight status is written by the test.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.kube.workloads import list_workloads
from budgetwarden.core.freeze.enforcement import plan
from budgetwarden.core.freeze.workload_diff import substance_digest, template_digest
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind, parse_policy
from budgetwarden.runtime.enforcer import act, enforce
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import apply, events, get

pytestmark = pytest.mark.cluster

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FID = "fz-7c2e"
REASON = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
LOG = logging.getLogger("test.enforcement")


@pytest.fixture
def api(cluster: Cluster) -> Iterator[Kube]:
    """The operator's connection to the test cluster."""
    kube = Kube(cluster.api_client())
    yield kube
    kube.close()


def policy(namespace: str, **spec: Any) -> ErrorBudgetPolicy:
    targets = [
        {"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}},
        {"kind": "Deployment", "selector": {"matchLabels": {"app": "checkout-worker"}}},
    ]
    meta = {"name": "payments", "namespace": namespace, "uid": "u-1"}
    return parse_policy({"metadata": meta, "spec": {"targets": targets, **spec}})


def decision(level: Level, *, changed: bool = True, reason: str = REASON) -> Decision:
    fid = FID if level in (Level.PARTIAL_FREEZE, Level.FULL_FREEZE) else None
    return Decision(level, NOW, fid, reason, Rule.THRESHOLD, None, (), changed, "Enforce")


def workload(kind: str, name: str, namespace: str, app: str, paused: bool = False) -> dict:
    """A Rollout or Deployment manifest running shop/<app>:1."""
    api_version = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    template = {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "app", "image": f"shop/{app}:1"}]},
    }
    spec: dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": app}},
        "template": template,
        "paused": paused,
    }
    meta = {"name": name, "namespace": namespace, "labels": {"app": app}}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def run(
    api: Kube, namespace: str, level: Level, changed: bool = True, **spec: Any
) -> list[dict[str, Any]]:
    entries = asyncio.run(
        enforce(policy(namespace, **spec), decision(level, changed=changed), kube=api, logger=LOG)
    )
    # without the uids the API server made up (test_freeze_integrity.py checks they are held)
    return [{k: v for k, v in entry.items() if k != "uid"} for entry in entries]


def state(cluster: Cluster, kind: str, name: str, namespace: str) -> tuple[bool, dict, str]:
    """(spec.paused, budgetwarden's annotations, resourceVersion) of a workload."""
    obj = get(cluster, kind, name, namespace) or {}
    annotations = obj["metadata"].get("annotations") or {}
    ours = {k: v for k, v in annotations.items() if k.startswith(c.GROUP)}
    return bool(obj["spec"].get("paused")), ours, obj["metadata"]["resourceVersion"]


def digest(cluster: Cluster, kind: str, name: str, namespace: str) -> str:
    return template_digest((get(cluster, kind, name, namespace) or {})["spec"]["template"])


def record(cluster: Cluster, kind: str, name: str, namespace: str, paused: bool) -> dict:
    """The heldTargets entry of a workload at its stable version (its template now)."""
    template = (get(cluster, kind.lower(), name, namespace) or {})["spec"]["template"]
    return {"kind": kind, "name": name, "pausedByUs": paused,
            "stableTemplate": template_digest(template),
            "stableSubstance": substance_digest(template)}  # fmt: skip


def marks(stable: str, **more: str) -> dict[str, str]:
    return {
        c.ANNOTATION_POLICY: "payments",
        c.ANNOTATION_FREEZE_LEVEL: "PartialFreeze",
        c.ANNOTATION_FREEZE_REASON: REASON,
        c.ANNOTATION_FREEZE_ID: FID,
        c.ANNOTATION_STABLE_TEMPLATE: stable,
        **more,
    }


PAUSED_BY = {c.ANNOTATION_PAUSED_BY: f"budgetwarden/payments/{FID}"}


def apply_checkout_worker_and_search(cluster: Cluster, namespace: str) -> None:
    """The policy's two targets (the worker paused by a person) and a workload it leaves alone."""
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    apply(cluster, workload("Deployment", "worker", namespace, "checkout-worker", paused=True))
    apply(cluster, workload("Deployment", "search", namespace, "search"))


def test_a_freeze_holds_targets_and_a_thaw_resumes_only_what_it_paused(
    cluster: Cluster, namespace: str, api: Kube
) -> None:
    apply_checkout_worker_and_search(cluster, namespace)
    rollout_digest = digest(cluster, "rollout", "checkout", namespace)
    worker_digest = digest(cluster, "deployment", "worker", namespace)
    before_search = state(cluster, "deployment", "search", namespace)

    held = run(api, namespace, Level.PARTIAL_FREEZE)

    assert held == [record(cluster, "Deployment", "worker", namespace, False),
                    record(cluster, "Rollout", "checkout", namespace, True)]  # fmt: skip
    rollout = state(cluster, "rollout", "checkout", namespace)
    worker = state(cluster, "deployment", "worker", namespace)
    assert rollout[:2] == (True, marks(rollout_digest, **PAUSED_BY))
    assert worker[:2] == (True, marks(worker_digest))  # a person's pause: no paused-by
    assert state(cluster, "deployment", "search", namespace) == before_search
    assert events(cluster, namespace, "checkout") == [("Normal", "Paused")]
    assert events(cluster, namespace, "worker") == []

    # every poll repeats the call, and a restarted operator makes a fresh one: nothing moves
    assert run(api, namespace, Level.PARTIAL_FREEZE) == held
    assert run(api, namespace, Level.PARTIAL_FREEZE, changed=False) == held
    assert state(cluster, "rollout", "checkout", namespace) == rollout
    assert state(cluster, "deployment", "worker", namespace) == worker
    assert events(cluster, namespace, "checkout") == [("Normal", "Paused")]

    assert run(api, namespace, Level.NORMAL) == []

    assert state(cluster, "rollout", "checkout", namespace)[:2] == (False, {})
    assert state(cluster, "deployment", "worker", namespace)[:2] == (True, {})
    assert events(cluster, namespace, "checkout") == [("Normal", "Paused"), ("Normal", "Resumed")]
    assert events(cluster, namespace, "worker") == []
    thawed = [state(cluster, kind, name, namespace) for kind, name in HELD_HERE]
    run(api, namespace, Level.NORMAL, changed=False)
    assert [state(cluster, kind, name, namespace) for kind, name in HELD_HERE] == thawed


HELD_HERE = (("rollout", "checkout"), ("deployment", "worker"))


def test_a_target_resumed_during_the_freeze_is_paused_again_with_a_warning(
    cluster: Cluster, namespace: str, api: Kube
) -> None:
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    run(api, namespace, Level.FULL_FREEZE)
    # what `kubectl argo rollouts promote` does to spec.paused
    cluster.kubectl(
        "patch", "rollout", "checkout", "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"paused": False}}),
    )  # fmt: skip

    held = run(api, namespace, Level.FULL_FREEZE, changed=False)

    assert [(h["name"], h["pausedByUs"]) for h in held] == [("checkout", True)]
    assert state(cluster, "rollout", "checkout", namespace)[0] is True
    assert events(cluster, namespace, "checkout") == [
        ("Normal", "Paused"),
        ("Warning", "PauseReasserted"),
    ]


def test_abort_sets_status_abort_on_an_in_flight_rollout_and_leaves_it_unpaused(
    cluster: Cluster, namespace: str, api: Kube
) -> None:
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    apply(cluster, workload("Rollout", "cart", namespace, "checkout"))
    in_flight = {"status": {"currentPodHash": "6d4f", "stableRS": "5b7c"}}
    cluster.kubectl(
        "patch", "rollout", "checkout", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps(in_flight),
    )  # fmt: skip

    held = run(api, namespace, Level.PARTIAL_FREEZE, inFlight="Abort")

    checkout = get(cluster, "rollout", "checkout", namespace) or {}
    cart = get(cluster, "rollout", "cart", namespace) or {}
    # unpaused, so that the controller scales the canary away (test_live_freeze.py shows it)
    assert (checkout["spec"].get("paused") is True, checkout["status"].get("abort")) == (
        False,
        True,
    )
    assert (cart["spec"]["paused"], (cart.get("status") or {}).get("abort")) == (True, None)
    assert events(cluster, namespace, "checkout") == [("Warning", "Aborted")]
    assert events(cluster, namespace, "cart") == [("Normal", "Paused")]
    # the stable ReplicaSet is not there to read (no controller), so no stable template yet
    assert [h.get("stableTemplate", "") != "" for h in held] == [True, False]
    versions = [state(cluster, "rollout", n, namespace)[2] for n in ("cart", "checkout")]
    run(api, namespace, Level.PARTIAL_FREEZE, changed=False, inFlight="Abort")
    assert [state(cluster, "rollout", n, namespace)[2] for n in ("cart", "checkout")] == versions


def test_warn_marks_targets_and_pauses_none(cluster: Cluster, namespace: str, api: Kube) -> None:
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    rollout_digest = digest(cluster, "rollout", "checkout", namespace)

    held = run(api, namespace, Level.PARTIAL_FREEZE, enforcement="Warn")

    assert held == [record(cluster, "Rollout", "checkout", namespace, False)]
    assert state(cluster, "rollout", "checkout", namespace)[:2] == (False, marks(rollout_digest))
    assert events(cluster, namespace, "checkout") == []


def test_dry_run_changes_nothing_and_logs_what_it_would_do(
    cluster: Cluster, namespace: str, api: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    before = state(cluster, "rollout", "checkout", namespace)

    with caplog.at_level(logging.INFO, logger=LOG.name):
        held = run(api, namespace, Level.FULL_FREEZE, enforcement="DryRun")

    assert [(h["name"], h["pausedByUs"]) for h in held] == [("checkout", False)]
    assert state(cluster, "rollout", "checkout", namespace) == before
    assert events(cluster, namespace, "checkout") == []
    assert caplog.messages == [f"DryRun: would pause, annotate Rollout {namespace}/checkout"]


def test_a_plan_from_a_stale_read_never_claims_a_pause_a_person_made_meanwhile(
    cluster: Cluster, namespace: str, api: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    apply(cluster, workload("Rollout", "checkout", namespace, "checkout"))
    the_policy, frozen = policy(namespace), decision(Level.FULL_FREEZE)
    read = list_workloads(api, namespace, TargetKind.ROLLOUT)
    actions = plan(the_policy, frozen, read, now=NOW)
    cluster.kubectl(
        "patch", "rollout", "checkout", "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"paused": True}}),
    )  # fmt: skip

    with caplog.at_level(logging.INFO, logger=LOG.name):
        act(api, actions, read, now=NOW, logger=LOG)

    assert state(cluster, "rollout", "checkout", namespace)[:2] == (True, {})
    assert events(cluster, namespace, "checkout") == []
    assert [m.split(":")[0] for m in caplog.messages] == [
        f"Rollout {namespace}/checkout not changed (pause, annotate) this time"
    ]
    # the next poll reads it again: a person's pause, marked but never claimed
    run(api, namespace, Level.FULL_FREEZE)
    paused, annotations, _ = state(cluster, "rollout", "checkout", namespace)
    assert (paused, c.ANNOTATION_PAUSED_BY in annotations) == (True, False)
