"""Two operator replicas on a real API server and a real Prometheus: one leads, one waits.

Both are `budgetwarden run` processes watching the test's namespace, each with its own /metrics
(and /readyz) port, electing on a Lease in that namespace with a 3 s lease (renewed every
second). Only the leader polls: the follower's `budgetwarden_poll_duration_seconds_count` stays
at zero. The leader is killed with SIGKILL in the middle of a freeze, so it releases nothing:
the follower takes the Lease once it expires and carries the same freeze on (same freeze id),
and the Deployment it holds gets no second Paused Event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from budget_support import RecordedSeries
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, events, get, wait_for
from poller_support import (
    SLO_NAME,
    policy,
    policy_where,
    prometheus_fixture,  # noqa: F401
    recorded_fixture,  # noqa: F401
    scraped,
    slo,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]
LEASE_SECONDS = 3
POLLS = "budgetwarden_poll_duration_seconds_count"


@dataclass
class Replica:
    """One `budgetwarden run` process and where its /metrics and /readyz answer."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def polls(self) -> float:
        """Polls this replica has finished (0 before its first, or when it is gone)."""
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return 0.0
        return next((float(line.split()[1]) for line in text.splitlines()
                     if line.startswith(POLLS)), 0.0)  # fmt: skip

    def ready(self) -> bool:
        """/readyz answers 200: the first full listing is in its registry, and kopf saw it."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def start_replica(
    cluster: Cluster, namespace: str, prometheus: PrometheusProcess, tmp_path: Path
) -> Iterator[Callable[[str], Replica]]:
    """start_replica(name) -> a running replica; all are stopped at the end."""
    started: list[Replica] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETWARDEN_")}
    env |= {
        "KUBECONFIG": str(cluster.kubeconfig),
        "BUDGETWARDEN_LEASE_NAMESPACE": namespace,
        "BUDGETWARDEN_LEASE_DURATION": f"{LEASE_SECONDS}s",
    }

    def start(name: str) -> Replica:
        port, log = free_port(), tmp_path / f"{name}.log"
        command = [
            sys.executable, "-m", "budgetwarden", "run", "--namespace", namespace,
            "--prometheus-url", prometheus.url, "--poll-interval", "1s",
            "--metrics-port", str(port), "--admission-mode", "none",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append(Replica(process, port, log))
        return started[-1]

    yield start
    for replica in started:
        replica.process.send_signal(signal.SIGTERM)
    for replica in started:
        try:
            replica.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait()


def deployment(namespace: str) -> dict[str, object]:
    """A Deployment the policy targets (no pods run: there is no controller-manager)."""
    labels = {"app": "checkout-worker"}
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "shop/worker:1"}]}}  # fmt: skip
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "worker", "namespace": namespace, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template},
    }


def test_one_replica_polls_and_the_other_carries_the_freeze_on_when_it_dies(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    start_replica: Callable[[str], Replica],
) -> None:
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")  # 21.4% left: PartialFreeze
    scraped(prometheus, namespace, SLO_NAME)
    apply(cluster, slo(namespace))
    apply(cluster, deployment(namespace))
    targets = [{"kind": "Deployment", "selector": {"matchLabels": {"app": "checkout-worker"}}}]
    apply(cluster, policy(namespace, targets=targets, inFlight="Pause"))

    first = start_replica("first")
    wait_for("the first replica to be ready and to poll", lambda: first.ready() and first.polls())
    second = start_replica("second")
    wait_for("the second replica to be ready", second.ready)
    frozen = policy_where(cluster, namespace, level="PartialFreeze")
    freeze_id = frozen["status"]["freezeId"]
    wait_for("the Deployment to be paused", lambda: paused(cluster, namespace))
    time.sleep(3 * LEASE_SECONDS)  # several lease periods: the follower still never polled
    assert (first.polls() > 3, second.polls()) == (True, 0.0), logs(first, second)

    first.process.kill()  # SIGKILL: no release, the Lease must expire
    killed = time.monotonic()
    wait_for("the second replica to take over", second.polls, timeout=30)
    took = time.monotonic() - killed
    wait_for("a few polls of the new leader", lambda: second.polls() >= 3)
    status = (get(cluster, "errorbudgetpolicies", "payments", namespace) or {})["status"]
    paused_events = [e for e in events(cluster, namespace, "worker") if e[1] == c.EVENT_PAUSED]
    assert (status["level"], status["freezeId"], paused_events) == (
        "PartialFreeze", freeze_id, [("Normal", c.EVENT_PAUSED)],
    ), logs(first, second)  # fmt: skip
    # one lease period after the last renewal, plus one attempt and one poll tick
    assert took < LEASE_SECONDS + 2 * (LEASE_SECONDS / 3) + 2, took


def paused(cluster: Cluster, namespace: str) -> bool:
    return bool(((get(cluster, "deployment", "worker", namespace) or {}).get("spec") or {})
                .get("paused"))  # fmt: skip


def logs(*replicas: Replica) -> str:
    return "\n".join(f"--- {r.log.name}\n{r.log.read_text()[-4000:]}" for r in replicas)
