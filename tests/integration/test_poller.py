"""The budget loop on a real API server and a real Prometheus: status, conditions, Events, queries.

Prometheus scrapes `RecordedSeries` (tests/budget_support.py), a stand-in for the recording rules
that serves the budget series under their real names and labels, so a test sets a budget and the
operator (KopfRunner, polling every second) reads it back through Prometheus' HTTP API. The
fixtures and helpers are in tests/poller_support.py; one query per poll and what enforcement
returns are in test_poller_cycle.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from budget_support import RecordedSeries, between_polls, chat_receiver
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, events, get, running_operator, wait_for
from poller_support import (
    SLO_NAME,
    operator_metrics_fixture,  # noqa: F401
    policy,
    policy_where,
    prometheus_fixture,  # noqa: F401
    reasons,
    recorded_fixture,  # noqa: F401
    scraped,
    slo,
    slo_where,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]

STEADY = ("evaluatedAt", "exhaustionETA")


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
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[Any]]]:
    """A chat webhook receiver on loopback: (its URL, the bodies it was sent)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the webhook receiver is on loopback
    with chat_receiver("/hook") as receiver:
        yield receiver


def webhook_secret(namespace: str, url: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "slack", "namespace": namespace},
        "data": {"url": base64.b64encode(url.encode()).decode()},
    }


def notifying_policy(cluster: Cluster, namespace: str, url: str) -> None:
    """The SLO, and the payments policy notifying the webhook at `url` (its URL in a Secret)."""
    apply(cluster, webhook_secret(namespace, url))
    apply(cluster, slo(namespace))
    notify = [{"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}]
    apply(cluster, policy(namespace, notify=notify))


def held_while_down(cluster: Cluster, namespace: str) -> dict[str, Any]:
    """The policy once it holds PartialFreeze and says Prometheus is unavailable."""
    held = policy_where(cluster, namespace, level="PartialFreeze")
    wait_for("policy MetricsAvailable=False", lambda: reasons(
        get(cluster, "errorbudgetpolicies", "payments", namespace), "MetricsAvailable"
    ) == [("MetricsAvailable", "False", "PrometheusUnavailable")])  # fmt: skip
    return get(cluster, "errorbudgetpolicies", "payments", namespace) or held


def test_prometheus_down_holds_the_level_and_evaluation_resumes_when_it_is_back(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
    webhook: tuple[str, list[Any]],
) -> None:
    url, received = webhook
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")
    scraped(prometheus, namespace, SLO_NAME)
    notifying_policy(cluster, namespace, url)
    with running_operator(namespace):
        policy_where(cluster, namespace, level="PartialFreeze")
        prometheus.stop()
        down = slo_where(cluster, namespace, SLO_NAME, MetricsAvailable="PrometheusUnavailable")
        held = held_while_down(cluster, namespace)
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
