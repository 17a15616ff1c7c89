"""The operator split in two processes, as the Helm chart runs it: a controller and the webhook.

Both are `budgetwarden run` processes on a real API server and a real Prometheus, one with
`--role controller` (rules, polls, enforcement; no webhook server) and one with `--role
admission` (its own watches and listings, and the webhook server the API server calls). The
controller freezes the policy and pauses its Deployment; the admission process, which never
polls, refuses a new image from what it watched. Killed with SIGKILL, the admission process takes
nothing with it: the controller keeps polling and the freeze stays in force.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from budget_support import RecordedSeries
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, example, get, wait_for
from poller_support import (
    SLO_NAME,
    policy,
    prometheus_fixture,  # noqa: F401
    recorded_fixture,  # noqa: F401
    scraped,
    slo,
)
from process_support import Process, logs
from webhook_support import (
    certs_fixture,  # noqa: F401
    deployment,
    enforced_fixture,  # noqa: F401
    healthy,
    kubectl,
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]
POLLS = "budgetwarden_poll_duration_seconds_count"
POLICIES = 40
CAUGHT_UP = "kopf's watches delivered the"


@pytest.fixture
def start(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, prometheus: PrometheusProcess,
    tmp_path: Path,
) -> Iterator[Callable[[str], Process]]:  # fmt: skip
    """start(role) -> a `budgetwarden run --role ROLE` process for the enforced namespace."""
    started: list[Process] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETWARDEN_")}
    env |= {
        "KUBECONFIG": str(cluster.kubeconfig),
        config.ENV_LEASE_NAMESPACE: enforced,
        config.ENV_ADMISSION_MODE: "webhook",
    }

    def run(role: str) -> Process:
        metrics = free_port()
        command = [
            sys.executable, "-m", "budgetwarden", "run", "--namespace", enforced,
            "--role", role, "--metrics-port", str(metrics),
        ]  # fmt: skip
        own = dict(env)
        if role == "controller":
            command += ["--prometheus-url", prometheus.url, "--poll-interval", "1s"]
        else:
            own |= {
                config.ENV_WEBHOOK_ADDRESS: f"127.0.0.1:{port}",
                config.ENV_WEBHOOK_CERT: str(certs.cert),
                config.ENV_WEBHOOK_KEY: str(certs.key),
            }
        started.append(Process(command, own, metrics, tmp_path / f"{role}.log"))
        return started[-1]

    yield run
    for process in started:
        process.stop()


def test_the_controller_freezes_and_the_admission_process_alone_answers_the_api_server(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, recorded: RecordedSeries,
    prometheus: PrometheusProcess, start: Callable[[str], Process],
) -> None:  # fmt: skip
    recorded.set(enforced, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, enforced, SLO_NAME)
    apply(cluster, deployment(enforced, "worker:1.0"))
    apply(cluster, example("01-availability-ratio.yaml", enforced))
    apply(cluster, example("05-policy.yaml", enforced))
    controller = start("controller")
    admission = start("admission")
    wait_for(
        "the admission process to be ready", lambda: admission.ready() and healthy(port, certs)
    )
    wait_for("the Deployment paused by the controller", lambda: paused(cluster, enforced))
    ship = kubectl(cluster, "set", "image", "deployment/checkout-worker", "worker=worker:2.0",
                   "-n", enforced)  # fmt: skip
    prefix = f"[budgetwarden] PartialFreeze on {enforced}/Deployment/checkout-worker:"
    assert (ship.returncode, prefix in ship.stderr) == (1, True), ship.stderr + logs(admission)
    assert admission.metric(POLLS) == 0.0, logs(admission)  # it never polls
    assert "webhook serving" not in controller.log.read_text()
    assert "reconcile_slo" not in admission.log.read_text()  # rules are the controller's

    admission.popen.kill()  # an OOM kill: the controller is another process
    before = controller.metric(POLLS)
    wait_for("the controller to keep polling", lambda: controller.metric(POLLS) >= before + 3)
    status = (get(cluster, "errorbudgetpolicies", "payments", enforced) or {})["status"]
    assert (status["level"], paused(cluster, enforced)) == ("PartialFreeze", True)


def paused(cluster: Cluster, namespace: str) -> bool:
    found = get(cluster, "deployment", "checkout-worker", namespace) or {}
    return bool((found.get("spec") or {}).get("paused"))


def test_only_the_webhook_waits_for_kopf_to_deliver_what_was_listed(
    cluster: Cluster, enforced: str, start: Callable[[str], Process]
) -> None:
    # kopf replays its own listing on the loop admission answers on; a replica the Service
    # routed reviews to during that replay made each wait behind it. A process without the
    # webhook has no reviews to delay, and with thousands of SLOs their replay takes minutes.
    policies = [policy(enforced) for _ in range(POLICIES)]
    for number, each in enumerate(policies):
        each["metadata"]["name"] = f"payments-{number}"
    apply(cluster, {"apiVersion": "v1", "kind": "List", "items": [slo(enforced), *policies]})
    controller, admission = start("controller"), start("admission")
    wait_for("the admission process to be ready", admission.ready)
    # read right after the first 200: the line is written just before /readyz turns
    assert f"{CAUGHT_UP} {POLICIES} listed objects" in admission.log.read_text(), logs(admission)
    wait_for("the controller to be ready", controller.ready)
    assert CAUGHT_UP not in controller.log.read_text(), logs(controller)
