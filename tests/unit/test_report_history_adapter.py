"""The history reader (adapters/prometheus_history.py) against a fake transport: chunked range
queries merged into one series each, loaded rules, and one-sentence errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from budgetwarden.adapters.prometheus import PrometheusSettings
from budgetwarden.adapters.prometheus_history import PrometheusHistory, PrometheusHistoryError
from budgetwarden.core.report.model import LoadedRule, Period, Series

URL = "http://prometheus.test:9090"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
LABELS = {"alertname": "SLOServiceDown", "slo_name": "a"}


def history(handler: Any, token: str | None = None) -> PrometheusHistory:
    return PrometheusHistory(PrometheusSettings(URL, token), transport=httpx.MockTransport(handler))


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


def test_range_queries_are_chunked_and_each_series_merged() -> None:
    seen: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        start = float(params["start"])
        metric = {**LABELS, "alertstate": "firing"}
        return ok(
            {"resultType": "matrix", "result": [{"metric": metric, "values": [[start, "1"]]}]}
        )

    period = Period(T0, T0 + timedelta(days=30), timedelta(minutes=1))
    reader = history(answer)
    found = reader.firing_series(period)
    starts = [T0 + timedelta(minutes=11_000 * i) for i in range(4)]
    assert found == [Series(LABELS, tuple(starts))]
    assert reader.queries_issued == 4
    assert seen[0]["query"] == 'present_over_time(ALERTS{alertstate="firing"}[1m])'
    assert (seen[0]["step"], seen[1]["start"]) == ("60", f"{starts[1].timestamp():.3f}")


def test_alerting_rules_carry_labels_annotations_and_their_group_interval() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["type"] == "alert"
        assert request.headers["Authorization"] == "Bearer s3cret"
        rule = {
            "type": "alerting",
            "name": "SLOServiceDown",
            # a template is written out per alert, as the budget-low rule's level and priority
            "labels": {"priority": "P0", "slo_budget_level": "{{ if lt $value 0.1 }}A{{ end }}"},
            "annotations": {"runbook_url": "https://x.io/r"},
            "query": "vector(0) > 1",
        }
        recording = {"type": "recording", "name": "slo:sli_error:ratio_rate5m"}
        return ok({"groups": [{"name": "g", "interval": 30, "rules": [rule, recording]}]})

    assert history(answer, token="s3cret").alerting_rules() == [
        LoadedRule(
            "SLOServiceDown",
            {"priority": "P0"},
            {"runbook_url": "https://x.io/r"},
            group="g",
            interval=timedelta(seconds=30),
        )
    ]


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        pytest.param(
            _refused,
            f"Prometheus at {URL} cannot be reached (ConnectError: Connection refused)",
            id="a refused connection",
        ),
        pytest.param(
            lambda r: httpx.Response(200, text="<html>login</html>"),
            f"Prometheus at {URL} answered /api/v1/rules with HTTP 200, not with its API's JSON",
            id="a page that is not the API (a login proxy)",
        ),
        pytest.param(
            lambda r: httpx.Response(503, json={"status": "error", "error": "shutting down"}),
            f"Prometheus at {URL} answered /api/v1/rules with HTTP 503: shutting down",
            id="an API error",
        ),
        pytest.param(
            lambda r: ok({"groups": [{"rules": [{"type": "alerting"}]}]}),
            f"Prometheus at {URL} answered rules in an unknown shape",
            id="rules without names",
        ),
    ],
)
def test_failures_are_one_sentence_naming_the_url(handler: Any, message: str) -> None:
    with pytest.raises(PrometheusHistoryError) as raised:
        history(handler).alerting_rules()
    assert str(raised.value) == message
