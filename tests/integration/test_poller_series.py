"""Which series the budget loop reads, on a real API server and a real Prometheus.

Prometheus scrapes two targets here: `recorded`, the stand-in for the SLO's recording rules
(tests/budget_support.py: its series carry exactly the rules' labels), and `foreign`, a plain
target exposing the same metric names and SLO labels with other values, as a pod of another
namespace could. The operator reads only the rules' series, one per SLO and window; two such
series for one SLO make it Unknown, with a condition that says so. Fixtures and helpers are in
tests/poller_support.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from budget_support import RecordedSeries
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, condition, running_operator, wait_for
from poller_support import (
    SLO_NAME,
    operator_metrics_fixture,  # noqa: F401
    policy,
    policy_where,
    reasons,
    recorded_fixture,  # noqa: F401
    slo,
    slo_where,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]


@pytest.fixture
def foreign() -> Iterator[RecordedSeries]:
    """Look-alike series on a plain scrape target: Prometheus adds its job and instance."""
    series = RecordedSeries("other-namespace-pod", as_rules=False)
    yield series
    series.close()


@pytest.fixture
def prometheus(
    prometheus_factory: Any, recorded: RecordedSeries, foreign: RecordedSeries
) -> PrometheusProcess:
    """A real Prometheus scraping the rules' stand-in and the look-alike target."""
    configs = [recorded.scrape_config(), foreign.scrape_config()]
    started: PrometheusProcess = prometheus_factory(scrape_configs=configs)
    return started


def stored(prometheus: PrometheusProcess, namespace: str, count: int) -> list[dict[str, str]]:
    """The SLO's budget series once Prometheus holds `count` of them (their labels)."""
    query = f'{c.METRIC_BUDGET_REMAINING}{{{c.PROM_LABEL_NAMESPACE}="{namespace}"}}'

    def found() -> list[dict[str, str]]:
        answer = httpx.get(f"{prometheus.url}/api/v1/query", params={"query": query}, timeout=10)
        series = [s["metric"] for s in answer.json()["data"]["result"]]
        return series if len(series) == count else []

    return wait_for(f"Prometheus to hold {count} budget series", found)


def test_a_look_alike_target_does_not_change_the_slo_status(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    foreign: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
) -> None:
    recorded.set(namespace, SLO_NAME, "0.05", w5m="1", w1h="1")
    foreign.set(namespace, SLO_NAME, "0.99", w5m="0", w1h="0")
    labels = sorted(sorted(series) for series in stored(prometheus, namespace, 2))
    own = ["__name__", "slo_name", "slo_namespace", "slo_service"]
    assert labels == [sorted([*own, "instance", "job"]), own]
    apply(cluster, slo(namespace))
    apply(cluster, policy(namespace))
    with running_operator(namespace):
        obj = slo_where(cluster, namespace, SLO_NAME, MetricsAvailable="SeriesFound")
        frozen = policy_where(cluster, namespace, level="FullFreeze")
    budget = obj["status"]["errorBudget"]
    assert (budget["remainingPercent"], budget["burnRates"]) == ("5.0", {"5m": "1.0", "1h": "1.0"})
    assert frozen["status"]["reason"] == (
        f"SLO {SLO_NAME} has 5.0% error budget left (full freeze below 10%)"
    )


def test_two_series_of_the_rules_for_one_slo_make_it_unknown_and_say_so(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
) -> None:
    recorded.set(namespace, SLO_NAME, "0.05", w1h="1")
    recorded.set(namespace, SLO_NAME, "0.9", service="impostor", w1h="0.1")
    stored(prometheus, namespace, 2)
    apply(cluster, slo(namespace))
    apply(cluster, policy(namespace))
    with running_operator(namespace):
        obj = slo_where(cluster, namespace, SLO_NAME, MetricsAvailable="DuplicateSeries")
        unknown = policy_where(cluster, namespace, level="Unknown")
    assert reasons(obj, "MetricsAvailable", "BudgetExhausted") == [
        ("MetricsAvailable", "False", "DuplicateSeries"),
        ("BudgetExhausted", "Unknown", "DuplicateSeries"),
    ]
    message = (condition(obj, "MetricsAvailable") or {})["message"]
    assert message.startswith(
        f"Prometheus has more than one {c.METRIC_BUDGET_REMAINING}, "
        f'{c.METRIC_BURN_RATE}{{slo_window="1h"}} series for this SLO '
    )
    assert sorted(obj["status"]["errorBudget"]) == ["evaluatedAt", "total"]
    assert unknown["status"]["slos"] == [{"name": SLO_NAME, "level": "Unknown"}]
