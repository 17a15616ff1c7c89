"""The whole loop as users run it: a service burns its budget and its policy freezes, visibly.

demo-service (traffic with an error rate we set) -> Prometheus scrapes it -> `budgetwarden run`
generates the SLO's rules -> `budgetwarden rules-sync` loads them into Prometheus, which records
the budget -> the operator's poller reads it back -> SLO status, policy level, an Event and a
Slack-compatible message to a webhook whose URL is in a Secret. Every part is the real one,
each started as a subprocess the way a user starts it.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from budget_support import chat_receiver, total
from budgetwarden_dev.demo.process import DemoServiceProcess
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from operator_support import apply, condition, events, example, get, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

SLO_NAME = "checkout-availability"
ALL_WINDOWS = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}


@pytest.fixture
def chat() -> Iterator[tuple[str, list[Any]]]:
    with chat_receiver("/services/T0/B0/x") as receiver:
        yield receiver


@pytest.fixture
def demo() -> Iterator[DemoServiceProcess]:
    service = DemoServiceProcess(error_rate="0", load_rps=50).start()
    yield service
    service.stop()


@pytest.fixture
def command(cluster: Cluster, tmp_path: Path) -> Iterator[Any]:
    """Start `budgetwarden <args>`; each is stopped with SIGTERM afterwards and must exit 0."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        log_path = tmp_path / f"{args[0]}.log"
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
        argv = [sys.executable, "-m", "budgetwarden", *args]
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        started.append((process, log_path))
        return process

    yield start
    for process, log_path in started:
        if process.poll() is None:
            process.terminate()
        assert process.wait(timeout=30) == 0, log_path.read_text()[-4000:]


def start_budgetwarden(command: Any, namespace: str, prometheus_url: str, rules_dir: Path) -> str:
    """Start `budgetwarden run` and `budgetwarden rules-sync` for `namespace`; the metrics URL."""
    metrics = f"http://127.0.0.1:{free_port()}/metrics"
    command(
        "run", "--namespace", namespace,
        "--scrape-interval", "1s", "--evaluation-interval", "1s",
        "--prometheus-url", prometheus_url, "--poll-interval", "1s",
        "--metrics-port", metrics.split(":")[2].split("/")[0],
    )  # fmt: skip
    command(
        "rules-sync", "--namespace", namespace,
        "--prometheus-url", prometheus_url, "--rules-dir", str(rules_dir),
    )  # fmt: skip
    return metrics


def apply_the_slo_and_a_policy_posting_to(url: str, cluster: Cluster, namespace: str) -> None:
    """examples/01's SLO and examples/05's policy, notifying `url` through a Secret."""
    secret = {"url": base64.b64encode(url.encode()).decode()}
    apply(cluster, {"apiVersion": "v1", "kind": "Secret", "data": secret,
                    "metadata": {"name": "slack", "namespace": namespace}})  # fmt: skip
    policy = example("05-policy.yaml", namespace)
    policy["spec"]["notify"] = [{"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}]
    apply(cluster, example("01-availability-ratio.yaml", namespace))
    apply(cluster, policy)


def test_a_burning_service_freezes_its_policy_with_status_an_event_and_a_chat_message(
    cluster: Cluster,
    namespace: str,
    tmp_path: Path,
    prometheus_factory: Any,
    demo: DemoServiceProcess,
    chat: tuple[str, list[Any]],
    command: Any,
) -> None:
    url, messages = chat
    rules_dir = tmp_path / "rules"
    scrape = [{"job_name": "checkout", "static_configs": [{"targets": [f"127.0.0.1:{demo.port}"]}]}]
    prometheus = prometheus_factory(rules_dir=rules_dir, scrape_configs=scrape)
    metrics = start_budgetwarden(command, namespace, prometheus.url, rules_dir)
    apply_the_slo_and_a_policy_posting_to(url, cluster, namespace)

    # 1. No errors yet: the whole budget is left and the policy is Normal.
    def policy_at(level: str) -> dict[str, Any] | None:
        found = get(cluster, "errorbudgetpolicies", "payments", namespace)
        return found if ((found or {}).get("status") or {}).get("level") == level else None

    wait_for("the policy at Normal", lambda: policy_at("Normal"), timeout=180)
    # 2. Half the requests fail: with a 0.5% budget, it is gone within seconds.
    demo.set(error_rate="0.5")
    frozen = wait_for("the policy at FullFreeze", lambda: policy_at("FullFreeze"), timeout=180)
    wait_for("the chat message", lambda: any("→ FullFreeze" in m["text"] for m in messages))
    slo = get(cluster, "slos", SLO_NAME, namespace)

    assert frozen["status"]["reason"].startswith(f"SLO {SLO_NAME} has -")
    assert frozen["status"]["freezeId"].startswith("fz-")
    assert (condition(slo, "BudgetExhausted") or {}).get("reason") == "BudgetSpent"
    budget = (slo or {})["status"]["errorBudget"]
    assert (set(budget["burnRates"]), budget["total"]) == (ALL_WINDOWS, "3h36m")
    # Before the rules have recorded anything the policy is Unknown; then Normal, then frozen.
    told = [e for e in events(cluster, namespace, "payments") if e[1] != "MetricsUnavailable"]
    assert (told[0], told[-1]) == (("Normal", "BudgetThreshold"), ("Warning", "BudgetThreshold"))
    assert messages[-1]["attachments"][0]["color"] == "#e01e5a"
    polls = total(metrics, "budgetwarden_poll_duration_seconds_count")
    # two per poll (the values, then the stale ones among them), one while nothing is recorded
    assert polls < total(metrics, "budgetwarden_poll_queries_total") <= 2 * polls
    assert total(metrics, "budgetwarden_policy_level", level="FullFreeze") == 1
