"""What users hit importing real specs, one row each: names, disabled alerts, templates, label
values, OpenSLO forms and targets, Pyrra indicators; and one bad file among good ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.slo.importers.names import unique_names
from budgetwarden.core.slo.importers.openslo import catalog, convert_openslo
from budgetwarden.core.slo.importers.pyrra import convert_pyrra
from budgetwarden.core.slo.importers.results import Conversion, result_line
from budgetwarden.core.slo.importers.sloth import convert_sloth
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from cli_support import IMPORTS, run
from importer_support import ERRORS, TOTAL

EVENTS = {"events": {"error_query": ERRORS, "total_query": TOTAL}}


def _sloth(service: str, *slos: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "prometheus/v1", "service": service, **top, "slos": list(slos)}


def _slo(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "objective": 99.9, "sli": EVENTS, **fields}


def _openslo(version: str = "openslo/v1", **spec: Any) -> dict[str, Any]:
    bad = {"metricSource": {"type": "Prometheus", "spec": {"query": ERRORS}}}
    total = {"metricSource": {"type": "Prometheus", "spec": {"query": TOTAL}}}
    body = {
        "service": "api",
        "timeWindow": [{"duration": "28d", "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "indicator": {"spec": {"ratioMetric": {"bad": bad, "total": total}}},
        "objectives": [{"target": 0.999}],
        **spec,
    }
    return {"apiVersion": version, "kind": "SLO", "metadata": {"name": "api"}, "spec": body}


def _pyrra(indicator: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "pyrra.dev/v1alpha1",
        "kind": "ServiceLevelObjective",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"target": "99.5", "window": "28d", "indicator": indicator, **spec},
    }


LONG = "checkout-" + "very-" * 12
SHORT = "api-checkout-" + "very-" * 8 + "ver"  # 56 characters, then "-" and six of the hash
SLOTH_LINES = [
    pytest.param(
        _sloth("My Checkout Service", _slo("requests")),
        "converted with changes: default/my-checkout-service-requests: service: service "
        '"My Checkout Service" made a Kubernetes name: "my-checkout-service" | '
        'slos[0].name: name "My Checkout Service-requests" made a Kubernetes name: '
        '"my-checkout-service-requests"',
        id="a service with spaces and capitals is made a Kubernetes name, and that is said",
    ),
    pytest.param(
        _sloth("api", _slo(LONG + "reads"), _slo(LONG + "writes")),
        f"converted with changes: default/{SHORT}-b853bb, default/{SHORT}-ba19e1: "
        f'slos[0].name: name "api-{LONG}reads" shortened to '
        f'"{SHORT}-b853bb" (63 characters at most; '
        f'the suffix keeps it unique) | slos[1].name: name "api-{LONG}writes" shortened to '
        f'"{SHORT}-ba19e1" (63 characters at most; '
        "the suffix keeps it unique)",
        id="two long names that share their first 63 characters stay apart and are reported",
    ),
    pytest.param(
        _sloth(
            "api",
            _slo(
                "requests",
                alerting={"annotations": {"summary": "burning over {{$labels.sloth_window}}"}},
            ),
        ),
        "converted with changes: default/api-requests: slos[0].alerting.annotations.summary: "
        "{{$labels.sloth_window}} became the SLO window 28d: one alert per tier has no firing "
        "window to print",
        id="a sloth_window template becomes the SLO window, and that is said",
    ),
    pytest.param(
        _sloth("api", _slo("requests", alerting={"page_alert": {"disable": True}})),
        "converted with changes: default/api-requests: slos[0].alerting: disabled in Sloth: "
        "SLOErrorBudgetFastBurn, SLOServiceDown turned off (spec.alerting.page.disabled, "
        "spec.alerting.serviceDown.disabled); SLOErrorBudgetLow and SLOMetricsAbsent, which "
        "Sloth does not have, are kept (spec.alerting.budgetLow.disabled and "
        "spec.alerting.metricsAbsent.disabled turn them off)",
        id="a disabled page also turns off the service-down page",
    ),
    pytest.param(
        _sloth("api", _slo("requests", objective=100), _slo("raw", sli={"raw": {}})),
        "not converted: slos[0]: SLO requests not converted: the SLO is refused: spec.objective: "
        'must be below 100 (a 100% objective leaves no error budget); got "100" | '
        "slos[1].sli.raw: SLO raw not converted: raw error-ratio SLIs cannot be converted: the "
        "period budget is weighted by traffic, which needs separate error and total queries "
        "(rewrite it as sli.events)",
        id="every SLO that is not converted is named with its reason",
    ),
]


@pytest.mark.parametrize(("document", "line"), SLOTH_LINES)
def test_sloth_result_lines(document: dict[str, Any], line: str) -> None:
    conversion = convert_sloth(document, "default", timedelta(days=28))
    assert result_line("slos.yaml", conversion) == f"slos.yaml: {line}"
    assert all(parse_slo(resource) for resource in conversion.resources)


def test_sloth_yaml_booleans_and_numbers_keep_their_spelling_in_labels() -> None:
    document = _sloth("api", _slo("requests", labels={"critical": True, "tier": 1, "ratio": 0.5}))
    (resource,) = convert_sloth(document).resources
    labels = {"critical": "true", "tier": "1", "ratio": "0.5"}
    assert (resource["metadata"]["labels"], resource["spec"]["alerting"]["labels"]) == (
        labels,
        labels,
    )


def test_a_name_taken_by_an_earlier_document_gets_a_suffix_and_a_change() -> None:
    first = convert_sloth(_sloth("api", _slo("requests")))
    second = convert_sloth(_sloth("API", _slo("requests")))
    (_, kept), (_, renamed) = unique_names([("a.yaml", first), ("b.yaml", second)])
    assert (kept, result_line("b.yaml", renamed)) == (
        first,
        "b.yaml: converted with changes: default/api-requests-132365: service: service "
        '"API" made a Kubernetes name: "api" | slos[0].name: name "API-requests" made a '
        'Kubernetes name: "api-requests" | metadata.name: renamed "api-requests-132365": '
        "default/api-requests is already taken by an earlier SLO of this import",
    )


OPENSLO_LINES = [
    pytest.param(
        _openslo(
            indicator={
                "spec": {
                    "ratioMetric": {
                        "good": {"metricSource": {"type": "Prometheus", "spec": "sum(up)"}},
                        "total": {"metricSource": {"type": "Prometheus", "spec": {}}},
                    }
                }
            },
            budgetingMethod="Timeslices",
        ),
        'not converted: spec.budgetingMethod: "Timeslices": only Occurrences (good/total event '
        "counts) is supported; time slices are not | "
        "spec.indicator.spec.ratioMetric.good.metricSource.spec: must be a mapping such as "
        "{query: ...}; got str | spec.indicator.spec.ratioMetric.total.metricSource.spec.query: "
        "no query",
        id="a string metricSource.spec is a reason, not a crash, and every reason is named",
    ),
    pytest.param(
        _openslo(objectives=[{"target": 99.9}]),
        "converted with changes: default/api: spec.objectives[0].target: 99.9 read as a "
        "percent, not a ratio",
        id="a target written as a percent is read as one, and that is said",
    ),
    pytest.param(
        _openslo(
            indicator={
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "good": {
                            "metricSource": {
                                "type": "Prometheus",
                                "spec": {"query": 'sum(http_requests{code=~"2.."})'},
                            }
                        },
                        "total": {
                            "metricSource": {
                                "type": "Prometheus",
                                "spec": {"query": "sum(http_requests)"},
                            }
                        },
                    }
                }
            }
        ),
        "converted with changes: default/api: "
        'spec.indicator.spec.ratioMetric.good.metricSource.spec.query: counter "sum(http_requests'
        '{code=~"2.."})" read as "sum(rate(http_requests{code=~"2.."}[{{.window}}]))" | '
        "spec.indicator.spec.ratioMetric.total.metricSource.spec.query: counter "
        '"sum(http_requests)" read as "sum(rate(http_requests{}[{{.window}}]))"',
        id="a counter summed without rate gets its rate over the window",
    ),
    pytest.param(
        {
            "apiVersion": "openslo/v1alpha",
            "kind": "SLO",
            "metadata": {"name": "api"},
            "spec": {
                "service": "api",
                "budgetingMethod": "Occurrences",
                "timeWindows": [{"count": 4, "unit": "Week", "isRolling": True}],
                "objectives": [
                    {
                        "targetPercent": 99.5,
                        "ratioMetrics": {
                            "good": {"source": "prometheus", "query": ERRORS},
                            "total": {"source": "prometheus", "query": TOTAL},
                        },
                    }
                ],
            },
        },
        "converted: default/api",
        id="a v1alpha SLO with its ratio on the objective",
    ),
]


@pytest.mark.parametrize(("document", "line"), OPENSLO_LINES)
def test_openslo_result_lines(document: dict[str, Any], line: str) -> None:
    conversion = convert_openslo(document)
    assert result_line("slos.yaml", conversion) == f"slos.yaml: {line}"
    assert all(parse_slo(resource) for resource in conversion.resources)


PYRRA_INDICATORS = [
    pytest.param(
        {"latencyNative": {"total": {"metric": 'http_seconds{job="a"}'}, "latency": "250ms"}},
        {
            "ratio": {
                "good": "histogram_fraction(0, 0.25, "
                'sum(rate(http_seconds{job="a"}[{{.window}}]))) '
                '* histogram_count(sum(rate(http_seconds{job="a"}[{{.window}}])))',
                "total": 'histogram_count(sum(rate(http_seconds{job="a"}[{{.window}}])))',
            }
        },
        id="latencyNative counts the requests at or under the latency",
    ),
    pytest.param(
        {"bool_gauge": {"metric": 'up{job="a"}'}},
        {"availability": {"up": 'up{job="a"}'}},
        id="bool_gauge is an availability gauge",
    ),
    pytest.param(
        {
            "latency": {
                "success": {"metric": 'h_bucket{job="a",le="0.5"}'},
                "total": {"metric": 'h_count{job="a"}'},
            }
        },
        {
            "ratio": {
                "good": 'sum(rate(h_bucket{job="a",le="0.5"}[{{.window}}]))',
                "total": 'sum(rate(h_count{job="a"}[{{.window}}]))',
            }
        },
        id="latency counts the bucket Pyrra names as the good events",
    ),
]


@pytest.mark.parametrize(("indicator", "expected"), PYRRA_INDICATORS)
def test_pyrra_indicators(indicator: dict[str, Any], expected: dict[str, Any]) -> None:
    conversion = convert_pyrra(_pyrra(indicator))
    assert conversion == Conversion(
        (
            {
                "apiVersion": "budgetwarden.io/v1alpha1",
                "kind": "SLO",
                "metadata": {"name": "api", "namespace": "shop"},
                "spec": {
                    "service": "api",
                    "objective": "99.5",
                    "window": "28d",
                    "indicator": expected,
                },
            },
        )
    )
    assert parse_slo(conversion.resources[0])


def test_pyrra_disabled_alerting_turns_off_every_alert() -> None:
    conversion = convert_pyrra(
        _pyrra({"bool_gauge": {"metric": "up"}}, alerting={"disabled": True})
    )
    assert (conversion.resources[0]["spec"]["alerting"], result_line("x", conversion)) == (
        {
            "page": {"disabled": True},
            "ticket": {"disabled": True},
            "serviceDown": {"disabled": True},
            "budgetLow": {"disabled": True},
            "metricsAbsent": {"disabled": True},
        },
        "x: converted with changes: shop/api: spec.alerting.disabled: SLOErrorBudgetFastBurn and "
        "SLOErrorBudgetSlowBurn, SLOServiceDown, SLOErrorBudgetLow and SLOMetricsAbsent turned "
        "off (spec.alerting.page/ticket/serviceDown/budgetLow/metricsAbsent.disabled)",
    )
    assert build_rule_groups(parse_slo(conversion.resources[0]))[2]["rules"] == []


def test_pyrra_absent_false_turns_off_only_the_absent_data_alert() -> None:
    conversion = convert_pyrra(_pyrra({"bool_gauge": {"metric": "up"}}, alerting={"absent": False}))
    assert (conversion.resources[0]["spec"]["alerting"], result_line("x", conversion)) == (
        {"metricsAbsent": {"disabled": True}},
        "x: converted with changes: shop/api: spec.alerting.absent: false: SLOMetricsAbsent "
        "turned off (spec.alerting.metricsAbsent.disabled)",
    )


def test_one_bad_file_in_a_folder_does_not_stop_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = _openslo(indicator={"spec": {"ratioMetric": {"good": {"metricSource": {"spec": "x"}}}}})
    (tmp_path / "a-bad.yaml").write_text(yaml.safe_dump(bad))
    (tmp_path / "b-list.yaml").write_text(yaml.safe_dump([_openslo(), "not a document"]))
    code, out, err = run(capsys, "import", "openslo", str(tmp_path))
    assert (code, [r["metadata"]["name"] for r in yaml.safe_load_all(out)]) == (0, ["api"])
    assert err.splitlines() == [
        f"{tmp_path}/a-bad.yaml: SLO/api: not converted: "
        "spec.indicator.spec.ratioMetric.good.metricSource.spec: must be a mapping such as "
        "{query: ...}; got str | spec.indicator.spec.ratioMetric: needs total and one of good or "
        "bad",
        f"{tmp_path}/b-list.yaml: SLO/api: converted: default/api",
        f"{tmp_path}/b-list.yaml: item 2: not converted: not an OpenSLO document: a str",
    ]


def test_openslo_burn_rate_alert_policies_become_burn_rate_windows() -> None:
    policy = yaml.safe_load((IMPORTS / "openslo" / "v1-alert-policies.yaml").read_text())
    document = _openslo(alertPolicies=["high-priority", {"alertPolicyRef": "low-priority"}])
    conversion = convert_openslo(document, catalog(policy))
    assert conversion.resources[0]["spec"]["alerting"] == {
        "burnRateWindows": [
            {"tier": "page", "longWindow": "1h", "shortWindow": "5m", "factor": "2"}
        ]
    }
    assert result_line("x", conversion) == (
        "x: converted with changes: default/api: spec.alertPolicies[0].notificationTargets: not "
        "kept: Alertmanager routes the alerts by their labels | "
        'spec.alertPolicies[0].conditions[0]: severity "page", burnrate 2 over 1h -> page: burn '
        "rate above 2 over 1h and 5m (short "
        "window 1/12 of the long); alertAfter 5m not kept (burn-rate alerts have no for:) | "
        "spec.alertPolicies[1].notificationTargets: not kept: Alertmanager routes the alerts by "
        'their labels | spec.alertPolicies[1].conditions[0]: AlertCondition "cpu-usage-breach" is '
        "not in the input; not converted | spec.alertPolicies: spec.alerting.burnRateWindows "
        "replaces the default table: only page alerts"
    )
