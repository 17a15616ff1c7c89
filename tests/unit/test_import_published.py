"""The published example specs of Sloth, OpenSLO and Pyrra, imported one file at a time: the
exact result line of every document, and the exit status.

The files under tests/fixtures/import/{sloth,openslo,pyrra}/ are the projects' own (see the
NOTICE file in each folder).
"""

from __future__ import annotations

import re

import pytest
import yaml

from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from cli_support import IMPORTS, run

NAME_NOT_KEPT = (
    "alerting.name: not kept: budgetwarden names its burn-rate alerts SLOErrorBudgetFastBurn "
    "and SLOErrorBudgetSlowBurn"
)
RAW_SLI = (
    "raw error-ratio SLIs cannot be converted: the period budget is weighted by traffic, which "
    "needs separate error and total queries (rewrite it as sli.events)"
)
NO_FOR = "not kept: burn-rate alerts fire without a for: their short window already ignores blips"
NO_PROMETHEUS = 'the metric source is "{}"; only Prometheus is converted'
TIMESLICES = (
    'spec.budgetingMethod: "{}": only Occurrences (good/total event counts) is supported; '
    "time slices are not"
)
CALENDAR = "calendar windows cannot be converted: budgetwarden windows are rolling"
OCCURRENCES = "spec.budgetingMethod: none given: read as Occurrences"
REFERENCED = "kind: {} holds no SLO: the SLOs that name it in the same import use it"
POLICY = REFERENCED.format("AlertPolicy")
RATIO = "spec.indicator.spec.ratioMetric"
PYRRA_NAME = "spec.alerting.name: not kept: budgetwarden names its alerts itself"
DYNAMIC = (
    "spec.alerting.burnRateType: dynamic burn rates not converted: budgetwarden alerts on fixed "
    "multi-window burn rates"
)
GROUPING = "not kept: one SLO over all series together; Pyrra keeps one per group"

SLOTH = [
    ("getting-started.yml", [
        "converted with changes: default/myservice-requests-availability: slo_plugins: not "
        f"kept: Sloth SLO plugins have no equivalent | slos[0].{NAME_NOT_KEPT} | "
        f'slos[0].alerting.page_alert.for: "5m" {NO_FOR} | '
        f'slos[0].alerting.ticket_alert.for: "10m" {NO_FOR}',
    ]),
    ("home-wifi.yml", [
        "converted with changes: default/home-wifi-good-wifi-client-satisfaction, "
        f"default/home-wifi-risk-wifi-client-satisfaction: slos[0].{NAME_NOT_KEPT} | "
        f"slos[1].{NAME_NOT_KEPT}",
    ]),
    ("in-base.yaml", [
        f"converted with changes: default/svc01-slo1: slos[0].{NAME_NOT_KEPT} | "
        f"slos[1].sli.raw: SLO slo02 not converted: {RAW_SLI}",
    ]),
    ("in-multifile.yaml", [
        f"document 1: converted with changes: default/svc01-slo1: slos[0].{NAME_NOT_KEPT} | "
        f"slos[1].sli.raw: SLO slo02 not converted: {RAW_SLI}",
        f"document 2: converted with changes: default/svc02-slo1: slos[0].{NAME_NOT_KEPT} | "
        f"slos[1].sli.raw: SLO slo02 not converted: {RAW_SLI}",
    ]),
    ("k8s-getting-started.yml", [
        "PrometheusServiceLevel/sloth-slo-my-service: converted with changes: "
        f"monitoring/myservice-requests-availability: spec.slos[0].{NAME_NOT_KEPT}",
    ]),
    ("k8s-home-wifi.yml", [
        "PrometheusServiceLevel/sloth-slo-home-wifi: converted with changes: "
        "monitoring/home-wifi-good-wifi-client-satisfaction, "
        f"monitoring/home-wifi-risk-wifi-client-satisfaction: spec.slos[0].{NAME_NOT_KEPT} | "
        f"spec.slos[1].{NAME_NOT_KEPT}",
    ]),
    ("kubernetes-apiserver.yml", [
        "converted with changes: default/k8s-apiserver-requests-availability, "
        f"default/k8s-apiserver-requests-latency: slos[0].{NAME_NOT_KEPT} | "
        f"slos[1].{NAME_NOT_KEPT}",
    ]),
    ("multifile.yml", [
        "document 1: converted with changes: default/myservice-requests-availability: "
        f"slos[0].{NAME_NOT_KEPT}",
        "document 2: converted with changes: default/myservice2-requests-availability: "
        f"slos[0].{NAME_NOT_KEPT}",
    ]),
    ("no-alerts.yml", [
        "converted with changes: default/myapp-http-availability: slos[0].alerting: disabled "
        "in Sloth: SLOErrorBudgetFastBurn, SLOErrorBudgetSlowBurn, SLOServiceDown, "
        "SLOErrorBudgetLow, SLOMetricsAbsent turned off (spec.alerting.page.disabled, "
        "spec.alerting.ticket.disabled, spec.alerting.serviceDown.disabled, "
        "spec.alerting.budgetLow.disabled, spec.alerting.metricsAbsent.disabled)",
    ]),
    ("plugin-getting-started.yml", [
        "not converted: slos[0].sli.plugin: SLO requests-availability not converted: SLI "
        'plugins cannot be converted (plugin "getting_started_availability" runs Go code '
        "inside Sloth); write the error and total queries it produces as sli.events",
    ]),
    ("raw-home-wifi.yml", [
        f"not converted: slos[0].sli.raw: SLO wifi-client-satisfaction not converted: {RAW_SLI}",
    ]),
]  # fmt: skip

OPENSLO = [
    ("occurences-slo.yaml", [
        "SLO/search-slo: not converted: spec.indicator.spec.thresholdMetric: threshold metrics "
        "cannot be converted: use a ratioMetric (good or bad over total)",
    ]),
    ("ratio-timeslices.yaml", [
        f"SLO/main-page: not converted: {TIMESLICES.format('RatioTimeslices')} | "
        f"{RATIO}.good.metricSource.type: {NO_PROMETHEUS.format('Any')} | "
        f"{RATIO}.total.metricSource.type: {NO_PROMETHEUS.format('Any')}",
    ]),
    ("sequence_of_objects.yaml", [
        f"Service/users-{who}: not converted: kind: Service holds no SLO: an SLO's "
        "spec.service names it"
        for who in ("auth", "login")
    ]),
    ("sli-description-ratio-good-metricsourceref.yaml", [
        f"SLI/GreatSLI: not converted: {REFERENCED.format('SLI')}",
    ]),
    ("slo-indicatorref-rolling-no-alerts.yaml", [
        'SLO/test-slo: not converted: spec.indicatorRef: SLI "indicator-ref-string" is not in '
        "the input",
    ]),
    ("slo-no-indicatorref-rolling-alerts.yaml", [
        'SLO/test-slo: not converted: spec.timeWindow[0].duration: "1M": months, quarters and '
        "years have no fixed length; use days (30d) | "
        f"{RATIO}.good.metricSource.type: {NO_PROMETHEUS.format('Datadog')} | "
        f"{RATIO}.total.metricSource.type: {NO_PROMETHEUS.format('Datadog')}",
    ]),
    ("sloth-in-openslo.yaml", ["SLO/slo1: converted: default/slo1"]),
    ("sloth-openslo-getting-started.yml", [
        "SLO/sloth-slo-my-service: converted with changes: default/sloth-slo-my-service: "
        f"{OCCURRENCES}",
    ]),
    ("sloth-openslo-kubernetes-apiserver.yml", [
        "SLO/requests-availability-openslo: converted with changes: "
        f"default/requests-availability-openslo: {OCCURRENCES}",
        "SLO/requests-latency-openslo: converted with changes: "
        "default/requests-latency-openslo-1, default/requests-latency-openslo-2: "
        f"{OCCURRENCES}",
    ]),
    ("timeslices-slo.yaml", [
        f"SLO/service-availability: not converted: spec.timeWindow[0]: {CALENDAR} | "
        f"{TIMESLICES.format('Timeslices')} | "
        f"{RATIO}.good.metricSource.type: {NO_PROMETHEUS.format('Any')} | "
        f"{RATIO}.total.metricSource.type: {NO_PROMETHEUS.format('Any')}",
    ]),
    ("v1-alert-policies.yaml", [
        f"AlertPolicy/{name}: not converted: {POLICY}"
        for name in ("low-priority", "high-priority", "medium-priority")
    ]),
    ("v1-data-sources.yaml", [
        f"DataSource/{name}: not converted: {REFERENCED.format('DataSource')}"
        for name in ("prometheus", "datadog")
    ]),
    ("v1-slis.yaml", [
        f"SLI/{name}: not converted: {REFERENCED.format('SLI')}"
        for name in (
            "search-availability",
            "end-user-response",
            "wifi-client-satisfaction",
            "annotator-throughput",
        )
    ]),
    ("v1-slos.yaml", [
        f"SLO/web-availability: not converted: spec.timeWindow[0]: {CALENDAR} | "
        f"{TIMESLICES.format('Timeslices')}",
    ]),
    ("v1_slos.yaml", [
        "SLO/foo-slo: converted with changes: default/foo-slo: spec.timeWindow: none given: the "
        f"SLO window is 30d (--window) | {OCCURRENCES} | "
        f'{RATIO}.good.metricSource.spec.query: counter "http_requests_total{{status_code="200"}}" '
        'read as "sum(rate(http_requests_total{status_code="200"}[{{.window}}]))" | '
        f'{RATIO}.total.metricSource.spec.query: counter "http_requests_total{{}}" read as '
        '"sum(rate(http_requests_total{}[{{.window}}]))"',
    ]),
    ("v1alpha-slos.yaml", [
        f"SLO/web-latency-threshold: not converted: spec.timeWindows[0]: {CALENDAR} | "
        "spec.indicator: threshold metrics cannot be converted: use ratioMetrics | "
        "spec.objectives[0].ratioMetrics: needs ratioMetrics (good or bad over total)",
        f"SLO/web-availability-ratio: not converted: spec.timeWindows[0]: {CALENDAR} | "
        f"{TIMESLICES.format('Timeslices')} | "
        f"spec.objectives[0].ratioMetrics.good.source: {NO_PROMETHEUS.format('datadog')} | "
        f"spec.objectives[0].ratioMetrics.total.source: {NO_PROMETHEUS.format('datadog')}",
    ]),
]  # fmt: skip

PYRRA = [
    ("apiserver-request-errors.yaml", [
        f"ServiceLevelObjective/apiserver-{verb}-response-errors: converted: "
        f"monitoring/apiserver-{verb}-response-errors"
        for verb in ("read", "write")
    ]),
    ("apiserver-request-latency.yaml", [
        "ServiceLevelObjective/apiserver-read-resource-request-latency: converted: "
        "monitoring/apiserver-read-resource-request-latency",
    ]),
    ("caddy-response-latency.yaml", [
        "ServiceLevelObjective/caddy-response-latency: converted: default/caddy-response-latency",
    ]),
    ("coredns-request-latency.yaml", [
        "ServiceLevelObjective/coredns-request-latency: converted: "
        "monitoring/coredns-request-latency",
    ]),
    ("coredns-response-errors.yaml", [
        "ServiceLevelObjective/coredns-response-errors: converted: "
        "monitoring/coredns-response-errors",
    ]),
    ("dynamic-burn-rate-bool-gauge.yaml", [
        "ServiceLevelObjective/prometheus-availability-dynamic: converted with changes: "
        f"monitoring/prometheus-availability-dynamic: {PYRRA_NAME} | {DYNAMIC}",
    ]),
    ("dynamic-burn-rate-latency-native.yaml", [
        "ServiceLevelObjective/pyrra-connect-native-latency-dynamic: converted with changes: "
        "monitoring/pyrra-connect-native-latency-dynamic: "
        f"spec.indicator.latencyNative.grouping: [service, method] {GROUPING} | "
        f"{PYRRA_NAME} | {DYNAMIC}",
    ]),
    ("dynamic-burn-rate-latency.yaml", [
        "ServiceLevelObjective/prometheus-http-latency-dynamic: converted with changes: "
        f"monitoring/prometheus-http-latency-dynamic: {PYRRA_NAME} | {DYNAMIC}",
    ]),
    ("dynamic-burn-rate-ratio.yaml", [
        "ServiceLevelObjective/apiserver-requests-dynamic: converted with changes: "
        f"monitoring/apiserver-requests-dynamic: {PYRRA_NAME} | {DYNAMIC}",
    ]),
    ("mimir-example-slo.yaml", [
        "ServiceLevelObjective/apiserver-read-cluster-latency: converted: "
        "default/apiserver-read-cluster-latency",
    ]),
    ("nginx.yaml", [
        "ServiceLevelObjective/nginx-api-errors: converted: monitoring/nginx-api-errors",
        "ServiceLevelObjective/nginx-api-latency: converted with changes: "
        "monitoring/nginx-api-latency: spec.latency: not a ServiceLevelObjective field (Pyrra "
        "ignores it too)",
    ]),
    ("prometheus-http-errors.yaml", [
        "ServiceLevelObjective/prometheus-http-errors: converted: "
        "monitoring/prometheus-http-errors",
    ]),
    ("slo-prometheus-operator-reconcile-errors.yaml", [
        "ServiceLevelObjective/prometheus-operator-reconcile-errors: converted with changes: "
        "test-mika/prometheus-operator-reconcile-errors: spec.indicator.ratio.grouping: "
        f"[controller] {GROUPING}",
    ]),
]  # fmt: skip

ROWS = [
    pytest.param(source, name, lines, id=f"{source}/{name}")
    for source, table in (("sloth", SLOTH), ("openslo", OPENSLO), ("pyrra", PYRRA))
    for name, lines in table
]


@pytest.mark.parametrize(("source", "name", "lines"), ROWS)
def test_each_published_document_gets_its_result_line(
    capsys: pytest.CaptureFixture[str], source: str, name: str, lines: list[str]
) -> None:
    path = IMPORTS / source / name
    code, _, err = run(capsys, "import", source, str(path))
    converted = any(_status(line) != "not converted" for line in lines)
    expected = [f"{path}: {line}" for line in lines]
    if not converted:
        expected.append(f"nothing converted from {path}")
    assert (code, err.splitlines()) == (0 if converted else 1, expected)


def _status(line: str) -> str:
    """The first status a result line states (a converted document may name SLOs it left)."""
    found = re.search(r"(?:^|: )(not converted|converted with changes|converted): ", line)
    assert found, line
    return found.group(1)


def test_every_published_file_is_in_the_table() -> None:
    listed = {(source, name) for source, name, _ in (row.values for row in ROWS)}
    on_disk = {
        (folder.name, path.name)
        for folder in (IMPORTS / "sloth", IMPORTS / "openslo", IMPORTS / "pyrra")
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml")
    }
    assert listed == on_disk


def test_sloths_no_alerts_example_generates_no_alert_at_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "import", "sloth", str(IMPORTS / "sloth" / "no-alerts.yml"))
    (resource,) = yaml.safe_load_all(out)
    groups = build_rule_groups(parse_slo(resource))
    assert (code, [rule.get("alert") for rule in groups[2]["rules"]]) == (0, [])
    assert [len(group["rules"]) > 0 for group in groups[:2]] == [True, True]  # still recorded
