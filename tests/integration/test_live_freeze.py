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

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from budget_support import RecordedSeries
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from live_support import (
    CANARY_STEPS,
    IMAGE,
    LiveCluster,
    create,
    live_cluster_fixture,  # noqa: F401
    live_namespace_fixture,  # noqa: F401
    replica_sets,
    rollout_at,
    status,
    workload,
)
from operator_support import events, example, get, running_operator, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture, scraped  # noqa: F401

pytestmark = [pytest.mark.live, pytest.mark.cluster, pytest.mark.promtool]
AT_20 = {f"{IMAGE}:1": (4, 4), f"{IMAGE}:2": (1, 1)}


@pytest.fixture
def mid_canary(live_cluster: LiveCluster, live_namespace: str) -> str:
    """Rollout `web` paused by its own step at 20%: revision 2 has 1 pod, revision 1 has 4."""
    create(live_cluster, live_namespace, workload("Rollout", 5, strategy={
        "canary": {"steps": CANARY_STEPS}}))  # fmt: skip
    last = len(CANARY_STEPS)
    wait_for("revision 1 Healthy", lambda: rollout_at(live_cluster, live_namespace, last,
                                                      "Healthy"))  # fmt: skip
    live_cluster.argo_rollouts("set", "image", "web", f"web={IMAGE}:2", "-n", live_namespace)
    wait_for("the pause at step 1", lambda: rollout_at(live_cluster, live_namespace, 1, "Paused"))
    wait_for("1 canary pod, 4 stable", lambda: replica_sets(live_cluster, live_namespace) == AT_20)
    return live_namespace


@contextmanager
def freeze(
    live: LiveCluster, namespace: str, in_flight: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch, kind: str = "Rollout",
) -> Iterator[None]:  # fmt: skip
    """The payments policy over `web` at PartialFreeze, with the operator running; it thaws
    as soon as the budget is back above 30% (a one-second hold, no margin)."""
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, namespace, SLO_NAME)
    policy = example("05-policy.yaml", namespace)
    policy["spec"]["targets"] = [{"kind": kind, "selector": {"matchLabels": {"app": "web"}}}]
    policy["spec"]["inFlight"] = in_flight
    policy["spec"]["hysteresis"] = {"minimumHold": "1s", "exitMarginPercent": "0"}
    for resource in (example("01-availability-ratio.yaml", namespace), policy):
        live.cluster.kubectl("apply", "-f", "-", input=json.dumps(resource))
    monkeypatch.setenv("KUBECONFIG", str(live.cluster.kubeconfig))
    monkeypatch.setenv(config.ENV_PROMETHEUS_URL, prometheus.url)
    monkeypatch.setenv(config.ENV_POLL_INTERVAL, "1s")
    monkeypatch.setenv(config.ENV_METRICS_PORT, "off")
    monkeypatch.setenv(config.ENV_LEASE_NAMESPACE, namespace)
    with running_operator(namespace):
        yield


def test_abort_scales_the_canary_away_and_the_stable_version_serves_everything(
    live_cluster: LiveCluster, mid_canary: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = mid_canary
    with freeze(live_cluster, namespace, "Abort", recorded, prometheus, monkeypatch):
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
    with freeze(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch):
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
    with freeze(live_cluster, namespace, "Pause", recorded, prometheus, monkeypatch,
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
