"""A freeze on the live cluster: a canary mid-rollout, the operator freezing its policy, and the
admission webhook registered there when a test needs it.

`mid_canary` (fixture) is Rollout `web` paused by its own step at 20%: revision 2 has 1 pod,
revision 1 has 4. `frozen` runs the operator (in-process, polling a real Prometheus every second)
with the payments policy over `web` at PartialFreeze: the budget reads 21.4%, and it thaws as
soon as `recorded.set(..., "0.9")` brings it back above 30% (a one-second hold, no margin). With
`webhook` set it also serves the admission webhook, which `registered_on` applies to the live
cluster for a test module.

Test modules import the fixtures they use with `# noqa: F401` (`mid_canary_fixture` for
`mid_canary`), with those of tests/live_support.py and tests/poller_support.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from budget_support import RecordedSeries
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from live_support import (
    CANARY_STEPS,
    IMAGE,
    LiveCluster,
    create,
    replica_sets,
    rollout_at,
    workload,
)
from operator_support import example, running_operator, wait_for
from poller_support import SLO_NAME, scraped

AT_20 = {f"{IMAGE}:1": (4, 4), f"{IMAGE}:2": (1, 1)}
CONFIG_NAME = "budgetwarden-live"


@pytest.fixture(name="mid_canary")
def mid_canary_fixture(live_cluster: LiveCluster, live_namespace: str) -> str:
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


@dataclass(frozen=True)
class Webhook:
    """Where the operator serves the admission webhook, and its certificate."""

    port: int
    certs: ServingCert


@contextmanager
def registered_on(live: LiveCluster, webhook: Webhook) -> Iterator[None]:
    """`budgetwarden webhook render` for `webhook`, applied to the live cluster, then removed."""
    argv = [sys.executable, "-m", "budgetwarden", "webhook", "render", "--url",
            f"https://127.0.0.1:{webhook.port}", "--ca", str(webhook.certs.ca),
            "--name", CONFIG_NAME]  # fmt: skip
    rendered = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    live.cluster.kubectl("apply", "-f", "-", input=rendered)
    try:
        yield
    finally:
        for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
            live.cluster.kubectl("delete", kind, CONFIG_NAME, "--ignore-not-found")


def operator_settings(
    live: LiveCluster, namespace: str, prometheus: PrometheusProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The in-process operator's settings: the live cluster, Prometheus polled every second."""
    monkeypatch.setenv("KUBECONFIG", str(live.cluster.kubeconfig))
    monkeypatch.setenv(config.ENV_PROMETHEUS_URL, prometheus.url)
    monkeypatch.setenv(config.ENV_POLL_INTERVAL, "1s")
    monkeypatch.setenv(config.ENV_METRICS_PORT, "off")
    monkeypatch.setenv(config.ENV_LEASE_NAMESPACE, namespace)


@contextmanager
def frozen(
    live: LiveCluster, namespace: str, in_flight: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch, kind: str = "Rollout",
    webhook: Webhook | None = None,
) -> Iterator[None]:  # fmt: skip
    """The payments policy over `web` at PartialFreeze, with the operator running."""
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, namespace, SLO_NAME)
    policy = example("05-policy.yaml", namespace)
    policy["spec"]["targets"] = [{"kind": kind, "selector": {"matchLabels": {"app": "web"}}}]
    policy["spec"]["inFlight"] = in_flight
    policy["spec"]["hysteresis"] = {"minimumHold": "1s", "exitMarginPercent": "0"}
    for resource in (example("01-availability-ratio.yaml", namespace), policy):
        live.cluster.kubectl("apply", "-f", "-", input=json.dumps(resource))
    operator_settings(live, namespace, prometheus, monkeypatch)
    if webhook is not None:  # the operator's own writes pass its webhook, as the chart sets up
        whoami = ("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
        monkeypatch.setenv(config.ENV_OPERATOR_USERNAME, live.cluster.kubectl(*whoami).stdout)
        monkeypatch.setenv(config.ENV_WEBHOOK_ADDRESS, f"127.0.0.1:{webhook.port}")
        monkeypatch.setenv(config.ENV_WEBHOOK_CERT, str(webhook.certs.cert))
        monkeypatch.setenv(config.ENV_WEBHOOK_KEY, str(webhook.certs.key))
    with running_operator(namespace):
        yield
