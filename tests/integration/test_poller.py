"""The budget loop on a real API server and a real Prometheus: status, conditions, Events, queries.

Prometheus scrapes `RecordedSeries` (tests/budget_support.py), a stand-in for the recording rules
that serves the budget series under their real names and labels, so a test sets a budget and the
operator (KopfRunner, polling every second) reads it back through Prometheus' HTTP API.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from budget_support import RecordedSeries, between_polls, chat_receiver, total
from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status import HeldTarget
from budgetwarden.devenv.cluster import Cluster
from budgetwarden.devenv.processes import free_port
from budgetwarden.devenv.prometheus import PrometheusProcess
from budgetwarden.handlers.poller import Poller
from budgetwarden.handlers.registry import Registry
from operator_support import apply, condition, events, example, get, running_operator, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]

SLO_NAME = "checkout-availability"
STEADY = ("evaluatedAt", "exhaustionETA")


@pytest.fixture
def recorded() -> Iterator[RecordedSeries]:
    series = RecordedSeries()
    yield series
    series.close()


@pytest.fixture
def prometheus(prometheus_factory: Any, recorded: RecordedSeries) -> PrometheusProcess:
    prometheus: PrometheusProcess = prometheus_factory(scrape_configs=[recorded.scrape_config()])
    return prometheus


@pytest.fixture
def operator_metrics(monkeypatch: pytest.MonkeyPatch, prometheus: PrometheusProcess) -> str:
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
    resource = example("01-availability-ratio.yaml", namespace)
    resource["metadata"]["name"] = name
    return resource


def policy(namespace: str, **spec: Any) -> dict[str, Any]:
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


def test_budget_and_conditions_are_written_once_and_not_again_while_nothing_changes(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
) -> None:
    recorded.set(namespace, SLO_NAME, "0.632", w5m="0.4", w1h="1.2")
    scraped(prometheus, namespace, SLO_NAME)
    apply(cluster, slo(namespace))
    with running_operator(namespace):
        obj = slo_where(
            cluster, namespace, SLO_NAME, Ready="RulesApplied", MetricsAvailable="SeriesFound"
        )
        budget = obj["status"]["errorBudget"]
        assert {k: v for k, v in budget.items() if k not in STEADY} == {
            "total": "3h36m",
            "remainingPercent": "63.2",
            "consumedPercent": "36.8",
            "burnRates": {"5m": "0.4", "1h": "1.2"},
            "fastBurnRate": "1.2",
        }
        assert reasons(obj, "RulesApplied", "Ready", "MetricsAvailable", "BudgetExhausted") == [
            ("RulesApplied", "True", "RulesApplied"),
            ("Ready", "True", "RulesApplied"),
            ("MetricsAvailable", "True", "SeriesFound"),
            ("BudgetExhausted", "False", "BudgetLeft"),
        ]
        # Six polls with the same numbers (evaluatedAt and the ETA move): no write at all.
        versions = {
            between_polls(
                operator_metrics,
                lambda: get(cluster, "slos", SLO_NAME, namespace)["metadata"]["resourceVersion"],
            )[1]
            for _ in range(6)
        }
        assert versions == {obj["metadata"]["resourceVersion"]}


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[Any]]]:
    with chat_receiver("/hook") as receiver:
        yield receiver


def webhook_secret(namespace: str, url: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "slack", "namespace": namespace},
        "data": {"url": base64.b64encode(url.encode()).decode()},
    }


def test_prometheus_down_holds_the_level_and_evaluation_resumes_when_it_is_back(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
    webhook: tuple[str, list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the webhook receiver is on loopback
    url, received = webhook
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")
    scraped(prometheus, namespace, SLO_NAME)
    apply(cluster, webhook_secret(namespace, url))
    apply(cluster, slo(namespace))
    notify = [{"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}]
    apply(cluster, policy(namespace, notify=notify))
    with running_operator(namespace):
        policy_where(cluster, namespace, level="PartialFreeze")
        prometheus.stop()
        down = slo_where(cluster, namespace, SLO_NAME, MetricsAvailable="PrometheusUnavailable")
        held = policy_where(cluster, namespace, level="PartialFreeze")
        wait_for("policy MetricsAvailable=False", lambda: reasons(
            get(cluster, "errorbudgetpolicies", "payments", namespace), "MetricsAvailable"
        ) == [("MetricsAvailable", "False", "PrometheusUnavailable")])  # fmt: skip
        held = get(cluster, "errorbudgetpolicies", "payments", namespace) or held
        assert held["status"]["reason"].startswith(
            "Holding PartialFreeze: metrics unavailable since "
        )
        assert down["status"]["errorBudget"]["remainingPercent"] == "21.4"
        assert reasons(down, "BudgetExhausted") == [
            ("BudgetExhausted", "Unknown", "PrometheusUnavailable")
        ]
        prometheus.start()
        recorded.set(namespace, SLO_NAME, "0.05", w1h="1")
        policy_where(cluster, namespace, level="FullFreeze")
        back = slo_where(cluster, namespace, SLO_NAME, MetricsAvailable="SeriesFound")
        assert back["status"]["errorBudget"]["remainingPercent"] == "5.0"
        wait_for("two notifications", lambda: len(received) == 2)
    assert events(cluster, namespace, "payments") == [
        ("Warning", "BudgetThreshold"),
        ("Warning", "BudgetThreshold"),
    ]
    assert [body["text"] for body in received] == [
        f"[budgetwarden] {namespace}/payments: Level set to PartialFreeze — SLO {SLO_NAME} has "
        "21.4% error budget left (partial freeze below 30%)",
        f"[budgetwarden] {namespace}/payments: PartialFreeze → FullFreeze — SLO {SLO_NAME} has "
        "5.0% error budget left (full freeze below 10%)",
    ]


def test_an_slo_without_series_is_unknown_never_normal_or_exhausted(
    cluster: Cluster, namespace: str, operator_metrics: str
) -> None:
    apply(cluster, slo(namespace, "no-series"))
    apply(cluster, policy(namespace))
    with running_operator(namespace):
        obj = slo_where(cluster, namespace, "no-series", MetricsAvailable="NoSeries")
        unknown = policy_where(cluster, namespace, level="Unknown")
    assert reasons(obj, "MetricsAvailable", "BudgetExhausted") == [
        ("MetricsAvailable", "False", "NoSeries"),
        ("BudgetExhausted", "Unknown", "NoSeries"),
    ]
    assert sorted(obj["status"]["errorBudget"]) == ["evaluatedAt", "total"]
    assert unknown["status"]["reason"].startswith(
        "Unknown: no error budget series for SLO no-series since "
    )
    assert unknown["status"]["slos"] == [{"name": "no-series", "level": "Unknown"}]


@pytest.mark.parametrize(
    "count", [pytest.param(1, id="one SLO"), pytest.param(50, id="fifty SLOs")]
)
def test_one_prometheus_query_per_poll_whatever_the_number_of_slos(
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

    def settled() -> bool:
        found = json.loads(cluster.kubectl("get", "slos", "-n", namespace, "-o", "json").stdout)
        ready = [(condition(i, "Ready") or {}).get("status") for i in found["items"]]
        left = [((i.get("status") or {}).get("errorBudget") or {}) for i in found["items"]]
        return ready == ["True"] * count and all(b.get("remainingPercent") == "90.0" for b in left)

    def queries() -> tuple[float, float]:
        page = f"{prometheus.url}/metrics"
        served = total(page, "prometheus_http_requests_total", handler="/api/v1/query")
        return total(operator_metrics, "budgetwarden_poll_queries_total"), served

    with running_operator(namespace):
        wait_for(f"{count} SLOs ready with their budget", settled, timeout=120)
        for _ in range(3):  # let the writes that made them ready finish
            between_polls(operator_metrics, lambda: 0)
        polls_before, (asked_before, served_before) = between_polls(operator_metrics, queries)
        for _ in range(4):
            between_polls(operator_metrics, lambda: 0)
        polls_after, (asked_after, served_after) = between_polls(operator_metrics, queries)
    polls = polls_after - polls_before
    asked, served = asked_after - asked_before, served_after - served_before
    assert (asked, served) == (polls, polls)
    assert polls >= 5


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

    async def enforce(
        policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> tuple[HeldTarget, ...]:
        calls.append((policy.metadata.name, decision.level, held))
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    kube, metrics = Kube.from_environment(str(cluster.kubeconfig)), OperatorMetrics()
    registry = Registry()
    poller = Poller(
        registry=registry, kube=kube, reader=PrometheusReader(PrometheusSettings(prometheus.url)),
        metrics=metrics, notifier=Notifier(), interval=timedelta(seconds=1),
        max_age=timedelta(seconds=90), status_refresh=timedelta(minutes=10), enforce=enforce,
    )  # fmt: skip

    def poll_as_the_cluster_is() -> dict[str, Any]:
        for plural, name in (("slos", SLO_NAME), ("errorbudgetpolicies", "payments")):
            registry.observe(plural, None, get(cluster, plural, name, namespace) or {})
        asyncio.run(poller.poll())
        return get(cluster, "errorbudgetpolicies", "payments", namespace) or {}

    held = [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}]
    try:
        first = poll_as_the_cluster_is()
        second = poll_as_the_cluster_is()
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
