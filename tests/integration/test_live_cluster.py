"""The live cluster really rolls workloads out: a Deployment through its ReplicaSets, a canary
Rollout through its steps under the real Argo Rollouts controller.

What is asserted is state the controllers wrote (replica counts, ReplicaSets, the step index),
waited for, never slept for.
"""

from __future__ import annotations

import json

import pytest

from live_support import (
    CANARY_STEPS,
    IMAGE,
    LiveCluster,
    create,
    replica_sets,
    rollout_at,
    status,
    workload,
)
from operator_support import wait_for

pytestmark = [pytest.mark.live, pytest.mark.cluster]


def ready_replicas(live: LiveCluster, namespace: str) -> int:
    """status.readyReplicas of Deployment `web`."""
    return int(status(live, "deployment", namespace).get("readyReplicas", 0))


def test_a_deployment_of_three_replicas_gets_three_ready_pods(
    live_cluster: LiveCluster, live_namespace: str
) -> None:
    create(live_cluster, live_namespace, workload("Deployment", 3))

    wait_for("3 ready replicas", lambda: ready_replicas(live_cluster, live_namespace) == 3)

    found = live_cluster.cluster.kubectl("get", "pods", "-n", live_namespace, "-o", "json")
    pods = json.loads(found.stdout)["items"]
    assert [(p["status"]["phase"], p["spec"]["nodeName"]) for p in pods] == [
        ("Running", "kwok-node-0")
    ] * 3
    assert replica_sets(live_cluster, live_namespace) == {f"{IMAGE}:1": (3, 3)}


def test_set_image_rolls_a_deployment_to_a_new_replica_set(
    live_cluster: LiveCluster, live_namespace: str
) -> None:
    create(live_cluster, live_namespace, workload("Deployment", 3))
    wait_for("3 ready replicas", lambda: ready_replicas(live_cluster, live_namespace) == 3)

    live_cluster.cluster.kubectl(
        "set", "image", "deployment/web", f"web={IMAGE}:2", "-n", live_namespace
    )

    rolled = {f"{IMAGE}:1": (0, 0), f"{IMAGE}:2": (3, 3)}
    wait_for("the new ReplicaSet", lambda: replica_sets(live_cluster, live_namespace) == rolled)
    final = status(live_cluster, "deployment", live_namespace)
    assert (final["updatedReplicas"], final["readyReplicas"], final["replicas"]) == (3, 3, 3)


def test_a_canary_rollout_pauses_at_its_steps_and_promote_moves_it_on(
    live_cluster: LiveCluster, live_namespace: str
) -> None:
    canary = {"canary": {"steps": CANARY_STEPS}}
    create(live_cluster, live_namespace, workload("Rollout", 5, strategy=canary))
    last = len(CANARY_STEPS)
    wait_for(
        "revision 1 Healthy", lambda: rollout_at(live_cluster, live_namespace, last, "Healthy")
    )

    live_cluster.argo_rollouts("set", "image", "web", f"web={IMAGE}:2", "-n", live_namespace)

    wait_for("the pause at step 1", lambda: rollout_at(live_cluster, live_namespace, 1, "Paused"))
    at_20 = {f"{IMAGE}:1": (4, 4), f"{IMAGE}:2": (1, 1)}
    wait_for("1 canary pod, 4 stable", lambda: replica_sets(live_cluster, live_namespace) == at_20)

    live_cluster.argo_rollouts("promote", "web", "-n", live_namespace)

    wait_for("the pause at step 3", lambda: rollout_at(live_cluster, live_namespace, 3, "Paused"))
    at_50 = {f"{IMAGE}:1": (3, 3), f"{IMAGE}:2": (3, 3)}
    wait_for("3 canary pods, 3 stable", lambda: replica_sets(live_cluster, live_namespace) == at_50)

    live_cluster.argo_rollouts("promote", "web", "-n", live_namespace)

    wait_for(
        "revision 2 Healthy", lambda: rollout_at(live_cluster, live_namespace, last, "Healthy")
    )
    done = {f"{IMAGE}:1": (0, 0), f"{IMAGE}:2": (5, 5)}
    wait_for(
        "the old ReplicaSet scaled away", lambda: replica_sets(live_cluster, live_namespace) == done
    )
