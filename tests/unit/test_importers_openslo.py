"""OpenSLO documents converted into SLO resources, and what each leaves behind."""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.openslo import Catalog, convert_openslo
from importer_support import ERRORS, TOTAL, ratio_spec, slo_doc

PROMETHEUS = {"type": "Prometheus"}


def _openslo(name: str, **spec: Any) -> dict[str, Any]:
    body = {
        "service": "api",
        "timeWindow": [{"duration": "7d", "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "indicator": {"spec": {"ratioMetric": {"bad": _source(ERRORS), "total": _source(TOTAL)}}},
        "objectives": [{"targetPercent": 99.9}],
        **spec,
    }
    body = {key: value for key, value in body.items() if value is not None}
    return {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": name}, "spec": body}


def _source(query: str, **source: Any) -> dict[str, Any]:
    return {"metricSource": {**(source or PROMETHEUS), "spec": {"query": query}}}


def _skip(field: str, message: str) -> tuple[list[Any], list[Problem]]:
    return [], [Problem(field, message)]


SLI_CATALOG = Catalog(
    indicators={
        "good-requests": {
            "ratioMetric": {
                "counter": True,
                "good": _source('http_requests_total{code!~"5.."}', metricSourceRef="prom"),
                "total": _source("http_requests_total", metricSourceRef="prom"),
            }
        }
    },
    source_types={"prom": "Prometheus"},
)

WINDOW_WHY = "must contain {{.window}} where the range goes, or count a counter (counter: true)"
TARGET_WHY = "needs target (0.999) or targetPercent (99.9); got None"

OPENSLO_CONVERSIONS = [
    pytest.param(
        _openslo("api"),
        ([slo_doc("api", {"service": "api", **ratio_spec("99.9", "7d")})], []),
        id="a bad-over-total ratio with the window template converts as it is",
    ),
    pytest.param(
        _openslo(
            "api",
            indicator=None,
            indicatorRef="good-requests",
            objectives=[{"target": 0.995}],
        ),
        (
            [
                slo_doc(
                    "api",
                    {
                        "service": "api",
                        "objective": "99.5",
                        "window": "7d",
                        "indicator": {
                            "ratio": {
                                "good": 'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))',
                                "total": "sum(rate(http_requests_total[{{.window}}]))",
                            }
                        },
                    },
                )
            ],
            [
                Problem(
                    "spec.indicatorRef.ratioMetric.good.metricSource.spec.query",
                    'counter "http_requests_total{code!~"5.."}" read as '
                    '"sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))"',
                ),
                Problem(
                    "spec.indicatorRef.ratioMetric.total.metricSource.spec.query",
                    'counter "http_requests_total" read as '
                    '"sum(rate(http_requests_total[{{.window}}]))"',
                ),
            ],
        ),
        id="an SLI and a data source found by name; bare counters get a rate over the window",
    ),
    pytest.param(
        _openslo(
            "api",
            objectives=[{"displayName": "Normal", "target": 0.99}, {"targetPercent": "99.9"}],
        ),
        (
            [
                slo_doc("api-normal", ratio_spec("99", "7d")),
                slo_doc("api-2", ratio_spec("99.9", "7d")),
            ],
            [Problem("metadata.name", 'name "api-Normal" made a Kubernetes name: "api-normal"')],
        ),
        id="two objectives give two SLOs",
    ),
    pytest.param(
        _openslo("api", objectives=[{"displayName": "x"}, {"target": 0.9}]),
        (
            [slo_doc("api-2", ratio_spec("90", "7d"))],
            [Problem("spec.objectives[0].target", TARGET_WHY)],
        ),
        id="an objective without a target is skipped, the other converts",
    ),
    pytest.param(
        _openslo("api", timeWindow=[{"duration": "1M", "calendar": {"timeZone": "UTC"}}]),
        (
            [],
            [
                Problem(
                    "spec.timeWindow[0]",
                    "calendar windows cannot be converted: budgetwarden windows are rolling",
                ),
                Problem(
                    "spec.timeWindow[0].duration",
                    '"1M": months, quarters and years have no fixed length; use days (30d)',
                ),
            ],
        ),
        id="a calendar window",
    ),
    pytest.param(
        _openslo("api", timeWindow=[{"duration": "1Q", "isRolling": True}]),
        _skip(
            "spec.timeWindow[0].duration",
            '"1Q": months, quarters and years have no fixed length; use days (30d)',
        ),
        id="a rolling quarter",
    ),
    pytest.param(
        _openslo("api", budgetingMethod="RatioTimeslices"),
        _skip(
            "spec.budgetingMethod",
            '"RatioTimeslices": only Occurrences (good/total event counts) is '
            "supported; time slices are not",
        ),
        id="time-slice budgeting",
    ),
    pytest.param(
        _openslo("api", indicator={"spec": {"thresholdMetric": _source("latency")}}),
        _skip(
            "spec.indicator.spec.thresholdMetric",
            "threshold metrics cannot be converted: use a ratioMetric (good or bad over total)",
        ),
        id="a threshold metric",
    ),
    pytest.param(
        _openslo("api", indicator={"spec": {"ratioMetric": {"raw": _source("ratio")}}}),
        _skip(
            "spec.indicator.spec.ratioMetric.raw",
            "raw ratio queries cannot be converted: the budget needs good or bad and total",
        ),
        id="a raw ratio",
    ),
    pytest.param(
        _openslo(
            "api",
            indicator={
                "spec": {
                    "ratioMetric": {
                        "good": _source("ok", type="Datadog"),
                        "total": _source("a"),
                    }
                }
            },
        ),
        (
            [],
            [
                Problem(
                    "spec.indicator.spec.ratioMetric.good.metricSource.type",
                    'the metric source is "Datadog"; only Prometheus is converted',
                ),
                Problem(
                    "spec.indicator.spec.ratioMetric.total.metricSource.spec.query",
                    WINDOW_WHY,
                ),
            ],
        ),
        id="a metric source other than Prometheus",
    ),
    pytest.param(
        _openslo(
            "api",
            indicator={"spec": {"ratioMetric": {"good": _source("ok"), "total": _source("a")}}},
        ),
        (
            [],
            [
                Problem(
                    f"spec.indicator.spec.ratioMetric.{side}.metricSource.spec.query", WINDOW_WHY
                )
                for side in ("good", "total")
            ],
        ),
        id="a bare selector not marked as a counter",
    ),
    pytest.param(
        _openslo("api", indicator=None, indicatorRef="missing"),
        _skip("spec.indicatorRef", 'SLI "missing" is not in the input'),
        id="an indicatorRef to an SLI that was not given",
    ),
    pytest.param(
        _openslo("api", objectives=[{"indicatorRef": "other", "target": 0.99}]),
        _skip(
            "spec.objectives[0]",
            "composite SLOs (an indicator per objective) cannot be converted",
        ),
        id="a composite SLO",
    ),
    pytest.param(
        _openslo("api", alertPolicies=["fast"]),
        (
            [slo_doc("api", ratio_spec("99.9", "7d"))],
            [
                Problem(
                    "spec.alertPolicies[0]", 'AlertPolicy "fast" is not in the input; not converted'
                ),
                Problem(
                    "spec.alertPolicies",
                    "no burnrate condition maps; the default burn-rate table is used",
                ),
            ],
        ),
        id="alert policies are reported and the SLO still converts",
    ),
    pytest.param(
        {"apiVersion": "openslo/v1", "kind": "AlertCondition", "metadata": {"name": "x"}},
        _skip(
            "kind",
            "AlertCondition holds no SLO: the SLOs that name it in the same import use it",
        ),
        id="an alert condition is used only through the SLOs that name it",
    ),
    pytest.param(
        {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "api"}},
        _skip("kind", "Service holds no SLO: an SLO's spec.service names it"),
        id="a service has nothing to convert, and says so",
    ),
    pytest.param(
        {"apiVersion": "openslo/v2alpha", "kind": "SLO"},
        _skip("apiVersion", '"openslo/v2alpha" is not read; only openslo/v1 or openslo/v1alpha'),
        id="an OpenSLO version that is not read",
    ),
]


@pytest.mark.parametrize(("document", "expected"), OPENSLO_CONVERSIONS)
def test_convert_openslo(
    document: dict[str, Any], expected: tuple[list[Any], list[Problem]]
) -> None:
    conversion = convert_openslo(document, SLI_CATALOG)
    assert (list(conversion.resources), [*conversion.changes, *conversion.reasons]) == expected
