"""What the budget loop tests share: Prometheus scraping `RecordedSeries`, the operator's loop
settings, the example SLO and policy, and waiting for their status.

Prometheus scrapes `RecordedSeries` (tests/budget_support.py), a stand-in for the recording rules
that serves the budget series under their real names and labels, so a test sets a budget and the
operator (KopfRunner, polling every second) reads it back through Prometheus' HTTP API.

Test modules import the fixtures they use (`recorded_fixture` for `recorded`, and so on, with
`# noqa: F401`): pytest finds fixtures imported into a test module. The functions are named apart
from their fixtures so that a test's parameter does not shadow an import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from budget_support import RecordedSeries
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import condition, example, get, wait_for

SLO_NAME = "checkout-availability"


@pytest.fixture(name="recorded")
def recorded_fixture() -> Iterator[RecordedSeries]:
    """The budget series Prometheus scrapes, as the test sets them."""
    series = RecordedSeries()
    yield series
    series.close()


@pytest.fixture(name="prometheus")
def prometheus_fixture(prometheus_factory: Any, recorded: RecordedSeries) -> PrometheusProcess:
    """A real Prometheus scraping `recorded`."""
    prometheus: PrometheusProcess = prometheus_factory(scrape_configs=[recorded.scrape_config()])
    return prometheus


@pytest.fixture(name="operator_metrics")
def operator_metrics_fixture(monkeypatch: pytest.MonkeyPatch, prometheus: PrometheusProcess) -> str:
    """The loop's settings for the operator the test starts; returns its /metrics URL."""
    port = free_port()
    monkeypatch.setenv("BUDGETWARDEN_PROMETHEUS_URL", prometheus.url)
    monkeypatch.setenv("BUDGETWARDEN_POLL_INTERVAL", "1s")
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", str(port))
    for name in ("SCRAPE_INTERVAL", "EVALUATION_INTERVAL", "BUDGET_LEVELS", "STALE_AFTER"):
        monkeypatch.delenv(f"BUDGETWARDEN_{name}", raising=False)
    return f"http://127.0.0.1:{port}/metrics"


def scraped(prometheus: PrometheusProcess, namespace: str, *names: str) -> None:
    """Wait until Prometheus holds the budget series of these SLOs (it scrapes every second,
    after a few seconds of target discovery), so the operator starts on data."""
    query = f'{c.METRIC_BUDGET_REMAINING}{{{c.PROM_LABEL_NAMESPACE}="{namespace}"}}'

    def found() -> bool:
        answer = httpx.get(f"{prometheus.url}/api/v1/query", params={"query": query}, timeout=10)
        have = {s["metric"][c.PROM_LABEL_SLO] for s in answer.json()["data"]["result"]}
        return have >= set(names)

    wait_for(f"Prometheus to scrape the series of {names}", found)


def slo(namespace: str, name: str = SLO_NAME) -> dict[str, Any]:
    """The example SLO (examples/01) in `namespace`, named `name`."""
    resource = example("01-availability-ratio.yaml", namespace)
    resource["metadata"]["name"] = name
    return resource


def policy(namespace: str, **spec: Any) -> dict[str, Any]:
    """The payments policy, selecting the SLOs of team payments, with `spec` added."""
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND_POLICY,
        "metadata": {"name": "payments", "namespace": namespace},
        "spec": {"sloSelector": {"matchLabels": {"team": "payments"}}, **spec},
    }


def reasons(obj: dict[str, Any] | None, *types: str) -> list[tuple[str, str, str]]:
    """(type, status, reason) of the named conditions, in the order asked."""
    found = [condition(obj, t) for t in types]
    return [(f["type"], f["status"], f["reason"]) for f in found if f is not None]


def slo_where(cluster: Cluster, namespace: str, name: str, **conditions: str) -> dict[str, Any]:
    """The SLO once each named condition has the given reason."""

    def probe() -> dict[str, Any] | None:
        obj = get(cluster, "slos", name, namespace)
        ok = all((condition(obj, t) or {}).get("reason") == r for t, r in conditions.items())
        return obj if ok else None

    return wait_for(f"SLO {name} with {conditions}", probe)


def policy_where(cluster: Cluster, namespace: str, **fields: str) -> dict[str, Any]:
    """The policy once its status has these field values."""

    def probe() -> dict[str, Any] | None:
        obj = get(cluster, "errorbudgetpolicies", "payments", namespace)
        status = (obj or {}).get("status") or {}
        return obj if all(status.get(k) == v for k, v in fields.items()) else None

    return wait_for(f"policy with {fields}", probe)
