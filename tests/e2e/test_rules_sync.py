"""From `kubectl apply` to a recorded series in a real Prometheus, without prometheus-operator.

SLO -> `budgetwarden run` -> PrometheusRule -> `budgetwarden rules-sync` -> rule file ->
Prometheus loads the groups and records the SLI from a target it scrapes -> deleting the SLO
takes the file and the groups away again. Both commands run as subprocesses, as users run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from budgetwarden.core.slo.rulefiles import rule_file_name
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from operator_support import apply, example, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

SLO_NAME = "checkout-availability"


@pytest.fixture
def checkout_target() -> Iterator[str]:
    """A scrape target with http_requests_total: ten requests every tick, one of them a 500."""
    registry = CollectorRegistry()
    requests = Counter("http_requests", "Requests served.", ["code"], registry=registry)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    stop = threading.Event()

    def serve_traffic() -> None:
        while not stop.wait(0.1):
            requests.labels("200").inc(9)
            requests.labels("500").inc(1)

    traffic = threading.Thread(target=serve_traffic, daemon=True)
    traffic.start()
    yield f"127.0.0.1:{server.server_port}"
    stop.set()
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def command(cluster: Cluster, tmp_path: Path) -> Iterator[Any]:
    """Start `budgetwarden <args>` against the cluster; each is stopped with SIGTERM afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{args[0]}.log").open("wb")
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
        argv = [sys.executable, "-m", "budgetwarden", *args]
        started.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_an_slo_becomes_recorded_series_in_a_plain_prometheus(
    cluster: Cluster,
    namespace: str,
    tmp_path: Path,
    checkout_target: str,
    prometheus_factory: Any,
    command: Any,
) -> None:
    rules_dir = tmp_path / "rules"
    scrape = [{"job_name": "checkout", "static_configs": [{"targets": [checkout_target]}]}]
    prometheus = prometheus_factory(rules_dir=rules_dir, scrape_configs=scrape)
    api = httpx.Client(base_url=prometheus.url, timeout=10)
    liveness = f"http://127.0.0.1:{free_port()}/healthz"
    operator, sync = start_run_and_rules_sync(
        command, namespace, liveness, prometheus.url, rules_dir
    )
    rule_file = rules_dir / rule_file_name(namespace, f"{SLO_NAME}-slo")
    groups = {f"{namespace}-{SLO_NAME}-{part}" for part in ("sli", "budget", "alerts")}

    wait_for("the operator's liveness probe", lambda: alive(liveness))
    apply(cluster, example("01-availability-ratio.yaml", namespace))
    wait_for("rules-sync to write the rule file", rule_file.is_file)
    wait_for("Prometheus to load the groups", lambda: groups <= loaded_groups(api))
    ratio = wait_for("a 5m error ratio", lambda: recorded(api, namespace, "5m"), timeout=120)
    cluster.kubectl("delete", "slo", SLO_NAME, "-n", namespace)
    wait_for("rules-sync to remove the file", lambda: not rule_file.exists())
    wait_for("Prometheus to drop the groups", lambda: not groups & loaded_groups(api))

    for process in (sync, operator):  # both were running all along and stop cleanly
        assert process.poll() is None
        process.terminate()
        assert process.wait(timeout=30) == 0
    # Traffic is one 500 in ten requests: the 5m burn rate times the budget says so.
    assert ratio == pytest.approx(0.1, abs=0.02)


def start_run_and_rules_sync(
    command: Any, namespace: str, liveness: str, prometheus_url: str, rules_dir: Path
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Start `budgetwarden run` and `budgetwarden rules-sync` for `namespace`, in that order."""
    # Rules for a Prometheus that scrapes and evaluates every second, as this one does.
    operator = command(
        "run",
        "--namespace",
        namespace,
        "--liveness",
        liveness,
        "--scrape-interval",
        "1s",
        "--evaluation-interval",
        "1s",
    )
    sync = command(
        "rules-sync",
        "--namespace",
        namespace,
        "--prometheus-url",
        prometheus_url,
        "--rules-dir",
        str(rules_dir),
    )
    return operator, sync


def alive(url: str) -> bool:
    """The liveness endpoint answers 200."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def loaded_groups(api: httpx.Client) -> set[str]:
    """Names of the rule groups Prometheus has loaded."""
    data = api.get("/api/v1/rules").json()["data"]
    return {group["name"] for group in data["groups"]}


def recorded(api: httpx.Client, namespace: str, window: str) -> float | None:
    """The SLO's error ratio over `window` (its recorded burn rate times its recorded error
    budget), once it has a positive value."""
    slo = f'slo_name="{SLO_NAME}",slo_namespace="{namespace}"'
    query = (
        f'budgetwarden_slo:burn_rate{{{slo},slo_window="{window}"}}'
        f" * ignoring (slo_window) budgetwarden_slo:error_budget:ratio{{{slo}}}"
    )
    result = api.get("/api/v1/query", params={"query": query}).json()["data"]["result"]
    value = float(result[0]["value"][1]) if result else 0.0
    return value if value > 0 else None
