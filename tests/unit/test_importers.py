"""Sloth and OpenSLO documents converted into SLO resources, and what each leaves behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.openslo import Catalog, catalog, convert_openslo
from budgetwarden.core.slo.importers.sloth import convert_sloth
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
ERRORS = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'
RAW_WHY = (
    "raw error-ratio SLIs cannot be converted: the period budget is weighted by traffic, "
    "which needs separate error and total queries (rewrite it as sli.events)"
)


def _slo(name: str, spec: dict[str, Any], namespace: str = "default", **labels: str) -> dict:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "SLO",
        "metadata": metadata,
        "spec": spec,
    }


def _sloth(*slos: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "prometheus/v1", "service": "api", **top, "slos": list(slos)}


def _events(**slo: Any) -> dict[str, Any]:
    return {"sli": {"events": {"error_query": ERRORS, "total_query": TOTAL}}, **slo}


def _ratio_spec(objective: str, window: str = "30d", **extra: Any) -> dict[str, Any]:
    return {
        "service": "api",
        "objective": objective,
        "window": window,
        "indicator": {"ratio": {"errors": ERRORS, "total": TOTAL}},
        **extra,
    }


@pytest.mark.parametrize(
    ("document", "window", "expected"),
    [
        pytest.param(
            _sloth(_events(name="requests", objective=99.95)),
            timedelta(days=30),
            ([_slo("api-requests", _ratio_spec("99.95"))], []),
            id="an events SLI becomes a ratio and the float objective a string",
        ),
        pytest.param(
            _sloth(_events(name="Requests_OK", objective=99)),
            timedelta(days=28),
            ([_slo("api-requests-ok", _ratio_spec("99", "28d"))], []),
            id="the name is made a Kubernetes name and the window comes from the caller",
        ),
        pytest.param(
            _sloth(
                _events(
                    name="requests",
                    objective=99.9,
                    labels={"tier": 1},
                    alerting={
                        "name": "ApiErrors",
                        "annotations": {"summary": "{{$labels.sloth_slo}} burns"},
                        "page_alert": {"labels": {"severity": "page"}},
                        "ticket_alert": {"disable": True},
                    },
                ),
                labels={"owner": "team-a", "slack": "#team a"},
            ),
            timedelta(days=30),
            (
                [
                    _slo(
                        "api-requests",
                        _ratio_spec(
                            "99.9",
                            alerting={
                                "labels": {"owner": "team-a", "slack": "#team a", "tier": "1"},
                                "page": {
                                    "labels": {"severity": "page"},
                                    "annotations": {"summary": "{{$labels.slo_name}} burns"},
                                },
                                "ticket": {
                                    "annotations": {"summary": "{{$labels.slo_name}} burns"},
                                    "disabled": True,
                                },
                            },
                        ),
                        owner="team-a",
                        tier="1",
                    )
                ],
                [
                    Problem(
                        "slos[0].alerting.name",
                        "not kept: budgetwarden names its burn-rate alerts "
                        "SLOErrorBudgetFastBurn and SLOErrorBudgetSlowBurn",
                    )
                ],
            ),
            id="labels go to the alerts, valid ones to metadata, and Sloth label names are renamed",
        ),
        pytest.param(
            _sloth(
                {"name": "ratio", "objective": 99, "sli": {"raw": {"error_ratio_query": "x"}}},
                _events(name="ok", objective=99),
            ),
            timedelta(days=30),
            (
                [_slo("api-ok", _ratio_spec("99"))],
                [Problem("slos[0].sli.raw", f"SLO ratio skipped: {RAW_WHY}")],
            ),
            id="a raw SLI is skipped and the next SLO still converts",
        ),
        pytest.param(
            _sloth({"name": "up", "objective": 99, "sli": {"plugin": {"id": "x/up"}}}),
            timedelta(days=30),
            (
                [],
                [
                    Problem(
                        "slos[0].sli.plugin",
                        'SLO up skipped: SLI plugins cannot be converted (plugin "x/up" runs Go '
                        "code inside Sloth); write the error and total queries it produces as "
                        "sli.events",
                    )
                ],
            ),
            id="a plugin SLI is skipped",
        ),
        pytest.param(
            _sloth(_events(name="all", objective=100)),
            timedelta(days=30),
            (
                [],
                [
                    Problem(
                        "slos[0]",
                        "SLO api-all skipped: spec.objective: must be below 100 (a 100% "
                        'objective leaves no error budget); got "100"',
                    )
                ],
            ),
            id="a 100% objective, legal in Sloth, is reported with the SLO parser's message",
        ),
        pytest.param(
            _sloth(_events(name="x", objective="lots")),
            timedelta(days=30),
            ([], [Problem("slos[0].objective", "SLO x skipped: must be a number")]),
            id="an objective that is not a number",
        ),
        pytest.param(
            {"version": "prometheus/v1", "service": "api", "slo_plugins": {"chain": []}},
            timedelta(days=30),
            ([], [Problem("slos", "no SLOs to convert")]),
            id="a spec without SLOs",
        ),
        pytest.param(
            {"apiVersion": "sloth.slok.dev/v1", "kind": "AlertWindows"},
            timedelta(days=30),
            ([], [Problem("version", 'not a Sloth spec: expected version "prometheus/v1"')]),
            id="a document that is no Sloth spec",
        ),
    ],
)
def test_convert_sloth(
    document: dict[str, Any], window: timedelta, expected: tuple[list[Any], list[Problem]]
) -> None:
    assert convert_sloth(document, "default", window) == expected


def test_sloth_resource_form_keeps_its_namespace() -> None:
    document = yaml.safe_load((FIXTURES / "sloth-crd.yaml").read_text())
    resources, problems = convert_sloth(document, "ignored")
    assert (resources, problems) == (
        [
            _slo(
                "search-grpc-availability",
                {
                    "service": "search",
                    "objective": "99.95",
                    "window": "30d",
                    "indicator": {
                        "ratio": {
                            "errors": 'sum(rate(grpc_server_handled_total{job="search",'
                            'grpc_code!="OK"}[{{.window}}]))',
                            "total": 'sum(rate(grpc_server_handled_total{job="search"}'
                            "[{{.window}}]))",
                        }
                    },
                    "alerting": {
                        "labels": {"team": "discovery"},
                        "page": {"labels": {"severity": "critical"}},
                        "ticket": {"disabled": True},
                    },
                },
                namespace="discovery",
                team="discovery",
            )
        ],
        [],
    )


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
TARGET_WHY = "objective skipped: needs target or targetPercent"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            _openslo("api"),
            ([_slo("api", {"service": "api", **_ratio_spec("99.9", "7d")})], []),
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
                    _slo(
                        "api",
                        {
                            "service": "api",
                            "objective": "99.5",
                            "window": "7d",
                            "indicator": {
                                "ratio": {
                                    "good": 'sum(rate(http_requests_total{code!~"5.."}'
                                    "[{{.window}}]))",
                                    "total": "sum(rate(http_requests_total[{{.window}}]))",
                                }
                            },
                        },
                    )
                ],
                [],
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
                    _slo("api-normal", _ratio_spec("99", "7d")),
                    _slo("api-2", _ratio_spec("99.9", "7d")),
                ],
                [],
            ),
            id="two objectives give two SLOs",
        ),
        pytest.param(
            _openslo("api", objectives=[{"displayName": "x"}, {"target": 0.9}]),
            (
                [_slo("api-2", _ratio_spec("90", "7d"))],
                [Problem("spec.objectives[0].target", TARGET_WHY)],
            ),
            id="an objective without a target is skipped, the other converts",
        ),
        pytest.param(
            _openslo("api", timeWindow=[{"duration": "1M", "calendar": {"timeZone": "UTC"}}]),
            _skip(
                "spec.timeWindow[0]",
                "skipped: calendar windows cannot be converted: budgetwarden windows are rolling",
            ),
            id="a calendar window",
        ),
        pytest.param(
            _openslo("api", timeWindow=[{"duration": "1Q", "isRolling": True}]),
            _skip(
                "spec.timeWindow[0].duration",
                'skipped: "1Q": months, quarters and years have no fixed length; use days (30d)',
            ),
            id="a rolling quarter",
        ),
        pytest.param(
            _openslo("api", budgetingMethod="RatioTimeslices"),
            _skip(
                "spec.budgetingMethod",
                'skipped: "RatioTimeslices": only Occurrences (good/total event counts) is '
                "supported; time slices are not",
            ),
            id="time-slice budgeting",
        ),
        pytest.param(
            _openslo("api", indicator={"spec": {"thresholdMetric": _source("latency")}}),
            _skip(
                "spec.indicator.spec.thresholdMetric",
                "skipped: threshold metrics cannot be converted: use a ratioMetric (good or bad "
                "over total)",
            ),
            id="a threshold metric",
        ),
        pytest.param(
            _openslo("api", indicator={"spec": {"ratioMetric": {"raw": _source("ratio")}}}),
            _skip(
                "spec.indicator.spec.ratioMetric.raw",
                "skipped: raw ratio queries cannot be converted: the budget needs good or bad "
                "and total",
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
            _skip(
                "spec.indicator.spec.ratioMetric.good.metricSource",
                'skipped: the metric source is "Datadog"; only Prometheus sources are converted',
            ),
            id="a metric source other than Prometheus",
        ),
        pytest.param(
            _openslo(
                "api",
                indicator={"spec": {"ratioMetric": {"good": _source("ok"), "total": _source("a")}}},
            ),
            _skip(
                "spec.indicator.spec.ratioMetric.good.metricSource.spec.query",
                "skipped: the query must contain {{.window}} where the range goes, or be a bare "
                "counter",
            ),
            id="a bare selector not marked as a counter",
        ),
        pytest.param(
            _openslo("api", indicator=None, indicatorRef="missing"),
            _skip("spec.indicatorRef", 'skipped: SLI "missing" is not in the input'),
            id="an indicatorRef to an SLI that was not given",
        ),
        pytest.param(
            _openslo("api", objectives=[{"indicatorRef": "other", "target": 0.99}]),
            _skip(
                "spec.objectives[0]",
                "objective skipped: composite SLOs (an indicator per objective) cannot be "
                "converted",
            ),
            id="a composite SLO",
        ),
        pytest.param(
            _openslo("api", alertPolicies=["fast"]),
            (
                [_slo("api", _ratio_spec("99.9", "7d"))],
                [
                    Problem(
                        "spec.alertPolicies",
                        "not converted: budgetwarden generates multi-window burn-rate alerts "
                        "from the SLO itself",
                    )
                ],
            ),
            id="alert policies are reported and the SLO still converts",
        ),
        pytest.param(
            {"apiVersion": "openslo/v1", "kind": "AlertCondition", "metadata": {"name": "x"}},
            _skip(
                "kind",
                "AlertCondition not converted: budgetwarden generates multi-window burn-rate "
                "alerts from each SLO itself",
            ),
            id="an alert condition",
        ),
        pytest.param(
            {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "api"}},
            ([], []),
            id="a service has nothing to convert and nothing to report",
        ),
        pytest.param(
            {"apiVersion": "openslo/v1alpha", "kind": "SLO"},
            _skip("apiVersion", 'only "openslo/v1" documents are read'),
            id="an older OpenSLO version",
        ),
    ],
)
def test_convert_openslo(
    document: dict[str, Any], expected: tuple[list[Any], list[Problem]]
) -> None:
    assert convert_openslo(document, SLI_CATALOG) == expected


def test_openslo_catalog_collects_slis_and_sources() -> None:
    documents = list(yaml.safe_load_all((FIXTURES / "openslo-shop.yaml").read_text()))
    found = catalog(documents)
    assert (sorted(found.indicators), dict(found.source_types)) == (
        ["cart-good-requests"],
        {"cluster-prometheus": "Prometheus"},
    )


@pytest.mark.parametrize(
    ("fixture", "names"),
    [
        pytest.param("sloth-checkout.yaml", ["checkout-requests-availability"], id="Sloth spec"),
        pytest.param("sloth-crd.yaml", ["search-grpc-availability"], id="Sloth resource"),
        pytest.param(
            "openslo-shop.yaml",
            ["cart-availability", "payments-errors-standard", "payments-errors-strict"],
            id="OpenSLO documents",
        ),
    ],
)
def test_converted_fixtures_generate_rules(fixture: str, names: list[str]) -> None:
    documents = list(yaml.safe_load_all((FIXTURES / fixture).read_text()))
    known = catalog(documents)
    resources = [
        resource
        for document in documents
        for resource in (
            convert_openslo(document, known)[0]
            if fixture.startswith("openslo")
            else convert_sloth(document)[0]
        )
    ]
    slos = [parse_slo(resource) for resource in resources]
    groups = {slo.metadata.name: len(build_rule_groups(slo)) for slo in slos}
    assert groups == dict.fromkeys(names, 3)
