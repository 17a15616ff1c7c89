"""A freeze against the real Argo Rollouts controller, on the live cluster.

A canary Rollout is mid-rollout, paused by its own step at 20% (1 canary pod, 4 stable), when
the budget read from a real Prometheus falls to 21.4% and the operator (in-process, polling every
second) freezes its policy. Under `inFlight: Abort` the operator aborts the Rollout and leaves it
unpaused: the controller scales the canary away and the stable ReplicaSet serves all five
replicas. Under `inFlight: Pause` the Rollout is paused where it stands: the step index and the
replica counts do not move. A Deployment paused in the middle of a rolling update keeps its
ReplicaSets as they are for the freeze and completes the update once the budget recovers.
"""

from __future__ import annotations

import time

import pytest

from budget_support import RecordedSeries
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from live_freeze_support import AT_20, frozen, mid_canary_fixture  # noqa: F401
from live_support import (
    IMAGE,
    LiveCluster,
    create,
    replica_sets,
    status,
    workload,
)
from operator_support import events, get, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture  # noqa: F401

pytestmark = [pytest.mark.live, pytest.mark.cluster, pytest.mark.promtool]


def test_abort_scales_the_canary_away_and_the_stable_version_serves_everything(
    live_cluster: LiveCluster, mid_canary: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = mid_canary
    with frozen(live_cluster, namespace, "Abort", recorded, prometheus, monkeypatch):
        wait_for("the abort", lambda: status(live_cluster, "rollout", namespace).get("abort"))
        stable_only = {f"{IMAGE}:1": (5, 5), f"{IMAGE}:2": (0, 0)}
        wait_for("the canary scaled away, 5 stable pods",
                 lambda: replica_sets(live_cluster, namespace) == stable_only)  # fmt: skip
        rollout = get(live_cluster.cluster, "rollout", "web", namespace) or {}
        assert rollout["spec"].get("paused") is not True
        assert ("Warning", "Aborted") in events(live_cluster.cluster, namespace, "web")
        time.sleep(3)  # a few polls: the aborted Rollout stays as it is
        assert replica_sets(live_cluster, namespace) == stable_only


def test_pause_holds_a_canary_where_it_stands(
    live_cluster: LiveCluster, mid_canary: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = mid_canary
    with frozen(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch):
        wait_for("the pause", lambda: (get(live_cluster.cluster, "rollout", "web", namespace)
                                       or {})["spec"].get("paused") is True)  # fmt: skip
        time.sleep(5)  # several polls and controller syncs: nothing may move
        held = status(live_cluster, "rollout", namespace)
        assert (held.get("currentStepIndex"), replica_sets(live_cluster, namespace)) == (1, AT_20)


def test_a_deployment_paused_mid_rollout_stays_put_and_completes_at_thaw(
    live_cluster: LiveCluster, live_namespace: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = live_namespace
    slow = {"minReadySeconds": 8, "strategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 0}}}  # fmt: skip
    create(live_cluster, namespace, workload("Deployment", 3, **slow))
    wait_for("3 ready pods", lambda: replica_sets(live_cluster, namespace) == {
        f"{IMAGE}:1": (3, 3)})  # fmt: skip
    live_cluster.cluster.kubectl("set", "image", "deployment/web", f"web={IMAGE}:2",
                                 "-n", namespace)  # fmt: skip
    wait_for("the rollout under way", lambda: replica_sets(live_cluster, namespace).get(
        f"{IMAGE}:2", (0, 0))[0] >= 1)  # fmt: skip
    with frozen(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch,
                kind="Deployment"):  # fmt: skip
        wait_for("the pause", lambda: (get(live_cluster.cluster, "deployment", "web", namespace)
                                       or {})["spec"].get("paused") is True)  # fmt: skip
        held = replica_sets(live_cluster, namespace)
        time.sleep(12)  # longer than minReadySeconds: an unpaused rollout would move on
        assert replica_sets(live_cluster, namespace) == held
        assert held[f"{IMAGE}:1"][0] >= 1  # mid-rollout: the old version still serves
        recorded.set(namespace, SLO_NAME, "0.9", w1h="0", w5m="0")  # the budget recovers
        done = {f"{IMAGE}:1": (0, 0), f"{IMAGE}:2": (3, 3)}
        wait_for("the rollout completed after the thaw",
                 lambda: replica_sets(live_cluster, namespace) == done, timeout=120)  # fmt: skip
