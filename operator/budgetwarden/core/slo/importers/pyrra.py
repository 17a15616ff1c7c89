"""Pyrra `ServiceLevelObjective` resources (pyrra.dev/v1alpha1) -> SLO resources.

Pyrra's indicators name bare series; budgetwarden's take the PromQL that counts the events over
`{{.window}}`, written here the way Pyrra's own rules count them: `ratio` and `latency` as
`sum(rate(...))` of errors or fast requests and of the total, `latencyNative` with
`histogram_fraction` over the native histogram, and `bool_gauge` as an availability gauge.
Pyrra has no service: the SLO's name is its service. Called by `budgetwarden import`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel.conventions import ALERT_ABSENT, ALERT_BUDGET_LOW, ALERT_SERVICE_DOWN
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import (
    as_text,
    check,
    kubernetes_labels,
    mapping,
    objective_percent,
    percent,
    scalar_text,
    slo_resource,
    string_map,
)
from budgetwarden.core.slo.importers.names import kubernetes_name
from budgetwarden.core.slo.importers.openslo_parts import Findings
from budgetwarden.core.slo.importers.results import Conversion, Resource, not_converted

PYRRA_API_VERSION = "pyrra.dev/v1alpha1"
PYRRA_KIND = "ServiceLevelObjective"
WINDOW = "{{.window}}"
_SPEC_FIELDS = (
    "description",
    "target",
    "window",
    "indicator",
    "alerting",
    "partial_response_strategy",
)
_BURN_ALERTS = "SLOErrorBudgetFastBurn and SLOErrorBudgetSlowBurn"


def is_pyrra(document: Any) -> bool:
    """True for a Pyrra ServiceLevelObjective."""
    return (
        isinstance(document, Mapping)
        and document.get("apiVersion") == PYRRA_API_VERSION
        and document.get("kind") == PYRRA_KIND
    )


def convert_pyrra(document: Any, namespace: str = "default") -> Conversion:
    """One ServiceLevelObjective -> one SLO resource, with every change or every reason."""
    if not is_pyrra(document):
        why = f"not a Pyrra SLO: expected apiVersion {PYRRA_API_VERSION} and kind {PYRRA_KIND}"
        return not_converted(Problem("kind", why))
    metadata, spec = mapping(document.get("metadata")), mapping(document.get("spec"))
    found = Findings()
    named = kubernetes_name(scalar_text(metadata.get("name") or ""))
    if named.change:
        found.change("metadata.name", named.change)
    for key in spec:
        if key not in _SPEC_FIELDS:
            found.change(f"spec.{key}", "not a ServiceLevelObjective field (Pyrra ignores it too)")
    if spec.get("partial_response_strategy"):
        found.change("spec.partial_response_strategy", "not kept: a Thanos Ruler setting")
    body: Resource = {"service": named.name}
    if spec.get("description"):
        body["description"] = scalar_text(spec["description"])
    body["objective"] = _target(spec.get("target"), found)
    body["window"] = scalar_text(spec.get("window") or "")
    body["indicator"] = _indicator(mapping(spec.get("indicator")), found)
    if alerting := _alerting(mapping(spec.get("alerting")), found):
        body["alerting"] = alerting
    if found.reasons:
        return not_converted(*found.reasons)
    labels = kubernetes_labels(string_map(metadata.get("labels")))
    resource = slo_resource(named.name, str(metadata.get("namespace") or namespace), labels, body)
    if failed := check(resource, "spec"):
        return not_converted(*failed)
    return Conversion((resource,), tuple(found.changes))


def _target(target: Any, found: Findings) -> str:
    value, written = objective_percent(target), percent(target)
    if value is None or written is None:
        found.refuse("spec.target", f'must be a percent such as "99.9"; got {target!r}')
        return ""
    if written < 1:
        found.change("spec.target", f"{as_text(written)} read as a ratio: {as_text(value)} %")
    return as_text(value)


def _indicator(indicator: Mapping[str, Any], found: Findings) -> Resource:
    kinds = [
        kind for kind in ("ratio", "latency", "latencyNative", "bool_gauge") if kind in indicator
    ]
    if len(kinds) != 1:
        found.refuse(
            "spec.indicator", "needs exactly one of ratio, latency, latencyNative or bool_gauge"
        )
        return {}
    kind = kinds[0]
    where, body = f"spec.indicator.{kind}", mapping(indicator[kind])
    if body.get("grouping"):
        why = "one SLO over all series together; Pyrra keeps one per group"
        labels = body["grouping"] if isinstance(body["grouping"], list) else [body["grouping"]]
        grouping = ", ".join(map(scalar_text, labels))
        found.change(f"{where}.grouping", f"[{grouping}] not kept: {why}")
    if kind == "bool_gauge":
        return {"availability": {"up": _metric(body, where, found)}}
    if kind == "latencyNative":
        return _native_latency(body, where, found)
    bad_or_good = ("errors", "errors") if kind == "ratio" else ("success", "good")
    counted = _metric(mapping(body.get(bad_or_good[0])), f"{where}.{bad_or_good[0]}", found)
    total = _metric(mapping(body.get("total")), f"{where}.total", found)
    return {"ratio": {bad_or_good[1]: _rate(counted), "total": _rate(total)}}


def _metric(query: Mapping[str, Any], where: str, found: Findings) -> str:
    metric = query.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        found.refuse(f"{where}.metric", "needs a metric")
        return ""
    return metric.strip()


def _rate(selector: str) -> str:
    return f"sum(rate({selector}[{WINDOW}]))"


def _native_latency(body: Mapping[str, Any], where: str, found: Findings) -> Resource:
    histogram = _metric(mapping(body.get("total")), f"{where}.total", found)
    try:
        latency = parse_duration(scalar_text(body.get("latency") or ""))
    except ValueError as error:
        found.refuse(f"{where}.latency", str(error))
        return {}
    seconds = as_text(Decimal(latency.total_seconds()).quantize(Decimal("0.001")))
    rates = f"sum(rate({histogram}[{WINDOW}]))"
    # The share of requests at or under the latency, times all requests: the fast ones.
    good = f"histogram_fraction(0, {seconds}, {rates}) * histogram_count({rates})"
    return {"ratio": {"good": good, "total": f"histogram_count({rates})"}}


def _alerting(alerting: Mapping[str, Any], found: Findings) -> Resource:
    result: Resource = {}
    if alerting.get("disabled") is True:
        # Pyrra then sends nothing for the SLO; it has no budget-low alert, so ours go too.
        keys = ("page", "ticket", "serviceDown", "budgetLow", "metricsAbsent")
        result = {key: {"disabled": True} for key in keys}
        off = f"{_BURN_ALERTS}, {ALERT_SERVICE_DOWN}, {ALERT_BUDGET_LOW} and {ALERT_ABSENT}"
        found.change(
            "spec.alerting.disabled",
            f"{off} turned off (spec.alerting.{'/'.join(keys)}.disabled)",
        )
    elif alerting.get("burnrates") is False:
        result = {"page": {"disabled": True}, "ticket": {"disabled": True}}
        found.change(
            "spec.alerting.burnrates",
            f"false: {_BURN_ALERTS} turned off (spec.alerting.page/ticket.disabled)",
        )
    if alerting.get("absent") is False:
        result["metricsAbsent"] = {"disabled": True}
        found.change(
            "spec.alerting.absent",
            f"false: {ALERT_ABSENT} turned off (spec.alerting.metricsAbsent.disabled)",
        )
    for key in ("name", "absentName"):
        if alerting.get(key):
            found.change(f"spec.alerting.{key}", "not kept: budgetwarden names its alerts itself")
    if alerting.get("burnRateType") == "dynamic":
        why = "budgetwarden alerts on fixed multi-window burn rates"
        found.change("spec.alerting.burnRateType", f"dynamic burn rates not converted: {why}")
    return result
