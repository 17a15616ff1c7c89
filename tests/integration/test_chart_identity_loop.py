"""The whole loop as the Helm chart deploys it, under the chart's own ServiceAccount, on this
machine and inside the operator's image.

The chart is rendered with a real Prometheus and a one-second poll; its RBAC is applied and a
token requested for its ServiceAccount (TokenRequest). Its two containers, `operator`
(`--role=controller`) and `webhook` (`--role=admission`), run as processes with the command line
and environment the chart renders, changed only where a pod differs from this machine: ports
(free ones on loopback), the certificate's path and the Lease's namespace (a pod reads it from
its ServiceAccount mount). Their only credential is that token. The loop: an SLO becomes a
PrometheusRule, the budget read from Prometheus freezes the policy, the Deployment is paused, and
the webhook refuses a new image in a real `kubectl set image` with the whole message. Neither
process is ever refused by RBAC. In the image (`make image`'s archive, run with `buildah run
--network host` as the image's user), the kubeconfig and the certificate are mounted where a pod
has them, and the chart's certificate paths are used as they are.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from budget_support import RecordedSeries
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from helm_support import Installed, chart_identity_fixture  # noqa: F401
from image_support import (
    Buildah,
)
from operator_support import apply, example, get, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture, scraped  # noqa: F401
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
CERTS_DIR = "_certs"  # carried in the environment to Place.process, never set
WEBHOOK_MOUNT = "/etc/budgetwarden/webhook"  # where the chart mounts the certificate Secret


def containers(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    deployment_doc = next(d for d in docs if d["kind"] == "Deployment")
    return {c["name"]: c for c in deployment_doc["spec"]["template"]["spec"]["containers"]}


@dataclass(frozen=True)
class Place:
    """Where a container runs: on this machine (`image` None), or in the image with buildah."""

    image: tuple[Buildah, str] | None = None

    def process(self, args: list[str], env: dict[str, str], port: int, log: Path) -> Process:
        base = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETWARDEN_")}
        certs = Path(env.pop(CERTS_DIR))
        if self.image is None:
            return Process([sys.executable, "-m", "budgetwarden", *args], base | env, port, log)
        buildah, container = self.image
        kubeconfig = Path(env.pop("KUBECONFIG"))
        volumes = {kubeconfig: "/var/run/budgetwarden/kubeconfig", certs: WEBHOOK_MOUNT}
        env |= {"KUBECONFIG": "/var/run/budgetwarden/kubeconfig"}
        argv = buildah.argv(container, ["budgetwarden", *args], volumes, env)
        return Process(argv, base, port, log)


def as_process(
    container: dict[str, Any], kubeconfig: Path, namespace: str, port: int, certs: ServingCert,
    log: Path, place: Place,
) -> Process:  # fmt: skip
    """The container's command line and environment, run with only the chart's token."""
    metrics = free_port()
    args = []
    for arg in container["args"]:
        if arg.startswith("--liveness="):
            arg = f"--liveness=http://127.0.0.1:{free_port()}/healthz"
        elif arg.startswith("--metrics-port="):
            arg = f"--metrics-port={metrics}"
        args.append(arg)
    env = {item["name"]: item["value"] for item in container.get("env", [])}
    served = {config.ENV_WEBHOOK_ADDRESS: f"127.0.0.1:{port}"}
    if place.image is None:  # the chart's Secret is mounted where the files are
        served |= {config.ENV_WEBHOOK_CERT: str(certs.cert), config.ENV_WEBHOOK_KEY: str(certs.key)}
    env |= {k: v for k, v in served.items() if k in env}
    env |= {"KUBECONFIG": str(kubeconfig), config.ENV_LEASE_NAMESPACE: namespace}
    env[CERTS_DIR] = str(secret_files(certs, log.parent))
    return place.process(args, env, metrics, log)


def secret_files(certs: ServingCert, where: Path) -> Path:
    """The serving certificate as the chart's Secret mounts it: tls.crt and tls.key, readable
    by the pod's user."""
    folder = where / "webhook-secret"
    folder.mkdir(exist_ok=True)
    for source in (certs.cert, certs.key):
        target = folder / source.name
        shutil.copyfile(source, target)
        target.chmod(0o644)
    return folder


@pytest.fixture(params=["here", pytest.param("image", marks=pytest.mark.image)])
def place(request: pytest.FixtureRequest) -> Place:
    """This machine, or the operator's image (the `image` marker: built when needed)."""
    if request.param == "here":
        return Place()
    return Place((request.getfixturevalue("buildah"), request.getfixturevalue("container")))


def test_the_chart_runs_the_whole_loop_with_its_own_service_account(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, recorded: RecordedSeries,
    prometheus: PrometheusProcess, chart_identity: Callable[[dict[str, str]], Installed],
    place: Place, tmp_path: Path,
) -> None:  # fmt: skip
    burning(cluster, enforced, recorded, prometheus)
    docs, kubeconfig = chart_identity(
        {"operator.prometheusURL": f'"{prometheus.url}"', "operator.pollInterval": '"1s"'}
    )
    rendered = containers(docs)
    started = [
        as_process(
            rendered[name], kubeconfig, enforced, port, certs, tmp_path / f"{name}.log", place
        )
        for name in ("operator", "webhook")
    ]
    try:
        controller, webhook = started
        wait_for("the PrometheusRule", lambda: get(
            cluster, "prometheusrules", f"{SLO_NAME}-slo", enforced))  # fmt: skip
        wait_for("the Deployment paused by the freeze", lambda: paused(cluster, enforced))
        wait_for("the webhook container to be ready", lambda: webhook.ready() and healthy(
            port, certs))  # fmt: skip
        ship = kubectl(cluster, "set", "image", "deployment/checkout-worker", "worker=worker:2.0",
                       "-n", enforced)  # fmt: skip
        status = (get(cluster, "errorbudgetpolicies", "payments", enforced) or {})["status"]
        expected = (
            f"[budgetwarden] PartialFreeze on {enforced}/Deployment/checkout-worker: SLO"
            f" {SLO_NAME} has 21.4% error budget left (below 30%) under policy payments"
        )
        assert (ship.returncode, expected in ship.stderr) == (1, True), ship.stderr
        assert f"Freeze {status['freezeId']}." in ship.stderr
        polls = "budgetwarden_poll_duration_seconds_count"
        assert (controller.metric(polls) > 0, webhook.metric(polls)) == (True, 0.0)
        for process in started:
            assert "forbidden" not in process.log.read_text().lower(), logs(process)
    finally:
        for process in started:
            process.stop()


def burning(
    cluster: Cluster, namespace: str, recorded: RecordedSeries, prometheus: PrometheusProcess
) -> None:
    """The SLO at 21.4% in Prometheus, its policy and the Deployment the policy targets."""
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, namespace, SLO_NAME)
    apply(cluster, deployment(namespace, "worker:1.0"))
    apply(cluster, example("01-availability-ratio.yaml", namespace))
    apply(cluster, example("05-policy.yaml", namespace))


def paused(cluster: Cluster, namespace: str) -> bool:
    found = get(cluster, "deployment", "checkout-worker", namespace) or {}
    return bool((found.get("spec") or {}).get("paused"))
