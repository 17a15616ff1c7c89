"""The budget loop on a real API server and a real Prometheus, poll by poll: two Prometheus
queries per poll whatever the number of SLOs, and what enforcement returns held in status.

Prometheus scrapes `RecordedSeries` (tests/budget_support.py), a stand-in for the recording rules
that serves the budget series under their real names and labels, so a test sets a budget and the
operator (KopfRunner, polling every second) reads it back through Prometheus' HTTP API; the
enforcement test runs the poller itself, one poll at a time, with a scripted enforcer. The
fixtures and helpers are in tests/poller_support.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from budget_support import RecordedSeries, between_polls, total
from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden.runtime.poller import Poller
from budgetwarden.runtime.registry import Registry
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, condition, get, running_operator, wait_for
from poller_support import (
    SLO_NAME,
    operator_metrics_fixture,  # noqa: F401
    policy,
    prometheus_fixture,  # noqa: F401
    recorded_fixture,  # noqa: F401
    scraped,
    slo,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]

COUNTS = [pytest.param(1, id="one SLO"), pytest.param(50, id="fifty SLOs")]
Enforce = Callable[
    [ErrorBudgetPolicy, Decision, tuple[HeldTarget, ...]], Awaitable[tuple[HeldTarget, ...]]
]


def all_ready(cluster: Cluster, namespace: str, count: int) -> bool:
    """Whether the namespace's `count` SLOs are all Ready, each with 90.0% of its budget left."""
    found = json.loads(cluster.kubectl("get", "slos", "-n", namespace, "-o", "json").stdout)
    ready = [(condition(i, "Ready") or {}).get("status") for i in found["items"]]
    left = [((i.get("status") or {}).get("errorBudget") or {}) for i in found["items"]]
    return ready == ["True"] * count and all(b.get("remainingPercent") == "90.0" for b in left)


def queries(operator_metrics: str, prometheus: PrometheusProcess) -> tuple[float, float]:
    """(queries the operator counts, queries Prometheus counts it served) so far."""
    page = f"{prometheus.url}/metrics"
    served = total(page, "prometheus_http_requests_total", handler="/api/v1/query")
    return total(operator_metrics, "budgetwarden_poll_queries_total"), served


@pytest.mark.parametrize("count", COUNTS)
def test_two_prometheus_queries_per_poll_whatever_the_number_of_slos(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
    count: int,
) -> None:
    names = [f"slo-{i:02d}" for i in range(count)]
    for name in names:
        recorded.set(namespace, name, "0.9", w5m="0.1", w1h="0.1")
    scraped(prometheus, namespace, *names)
    items = [slo(namespace, name) for name in names]
    listed = {"apiVersion": "v1", "kind": "List", "items": items}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(listed))
    settled = partial(all_ready, cluster, namespace, count)
    counted = partial(queries, operator_metrics, prometheus)
    with running_operator(namespace):
        wait_for(f"{count} SLOs ready with their budget", settled, timeout=120)
        for _ in range(3):  # let the writes that made them ready finish
            between_polls(operator_metrics, lambda: 0)
        polls_before, (asked_before, served_before) = between_polls(operator_metrics, counted)
        for _ in range(4):
            between_polls(operator_metrics, lambda: 0)
        polls_after, (asked_after, served_after) = between_polls(operator_metrics, counted)
    polls = polls_after - polls_before
    asked, served = asked_after - asked_before, served_after - served_before
    # the values, then which of them are stale (at the same instant)
    assert (asked, served) == (2 * polls, 2 * polls)
    assert polls >= 5


def scripted(
    calls: list[tuple[str, Level, tuple[HeldTarget, ...]]],
    answers: list[Exception | tuple[HeldTarget, ...]],
) -> Enforce:
    """An enforcer that records each call in `calls` and gives the answer of the same index
    (raising it when it is an exception)."""

    async def enforce(
        policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> tuple[HeldTarget, ...]:
        calls.append((policy.metadata.name, decision.level, held))
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return enforce


def one_second_poller(
    registry: Registry, kube: Kube, metrics: OperatorMetrics, url: str, enforce: Enforce
) -> Poller:
    """The operator's Poller, reading Prometheus at `url`, enforcing with `enforce`."""
    return Poller(
        registry=registry, kube=kube, reader=PrometheusReader(PrometheusSettings(url)),
        metrics=metrics, notifier=Notifier(), interval=timedelta(seconds=1),
        max_age=timedelta(seconds=90), status_refresh=timedelta(minutes=10), enforce=enforce,
    )  # fmt: skip


def poll_as_the_cluster_is(
    cluster: Cluster, namespace: str, registry: Registry, poller: Poller
) -> dict[str, Any]:
    """One poll over the SLO and the policy as the cluster holds them; the policy afterwards."""
    for plural, name in (("slos", SLO_NAME), ("errorbudgetpolicies", "payments")):
        registry.observe(plural, None, get(cluster, plural, name, namespace) or {})
    asyncio.run(poller.poll())
    return get(cluster, "errorbudgetpolicies", "payments", namespace) or {}


def test_what_enforcement_returns_is_held_in_status_and_a_failing_enforcer_keeps_it(
    cluster: Cluster, namespace: str, recorded: RecordedSeries, prometheus: PrometheusProcess
) -> None:
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")
    scraped(prometheus, namespace, SLO_NAME)
    apply(cluster, slo(namespace))
    apply(cluster, policy(namespace))
    calls: list[tuple[str, Level, tuple[HeldTarget, ...]]] = []
    answers: list[Exception | tuple[HeldTarget, ...]] = [
        (HeldTarget("Rollout", "checkout", paused_by_us=True),),
        RuntimeError("the API server refused the pause"),
    ]
    kube, metrics = Kube.from_environment(str(cluster.kubeconfig)), OperatorMetrics()
    registry = Registry()
    poller = one_second_poller(registry, kube, metrics, prometheus.url, scripted(calls, answers))
    held = [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}]
    try:
        first = poll_as_the_cluster_is(cluster, namespace, registry, poller)
        second = poll_as_the_cluster_is(cluster, namespace, registry, poller)
    finally:
        kube.close()
    assert (first["status"]["heldTargets"], second["status"]["heldTargets"]) == (held, held)
    assert calls == [
        ("payments", Level.PARTIAL_FREEZE, ()),
        ("payments", Level.PARTIAL_FREEZE, (HeldTarget("Rollout", "checkout", True),)),
    ]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert total_of(metrics, "budgetwarden_poll_errors_total", stage="enforcement") == 1
    held_metric = total_of(
        metrics, "budgetwarden_held_targets", namespace=namespace, policy="payments"
    )
    assert held_metric == 1


def total_of(metrics: OperatorMetrics, name: str, **labels: str) -> float:
    """A sample's value in an OperatorMetrics registry (0 when absent)."""
    return metrics.registry.get_sample_value(name, labels) or 0.0
