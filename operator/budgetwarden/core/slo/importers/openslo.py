"""OpenSLO v1 SLO documents -> SLO resources.

Converts SLOs whose indicator is a `ratioMetric` (good or bad over total) read from Prometheus,
with one rolling window and the Occurrences budgeting method. SLI and DataSource documents given
alongside are used to resolve `indicatorRef` and `metricSourceRef` (see `catalog`). Everything
else is reported as a Problem saying why it cannot be carried over. Called by `budgetwarden import`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import promql_parser

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import (
    Resource,
    as_text,
    check,
    dns_name,
    kubernetes_labels,
    percent,
    slo_resource,
)

OPENSLO_API_VERSION = "openslo/v1"
WINDOW_TEMPLATE = "{{.window}}"
_ALERT_KINDS = ("AlertPolicy", "AlertCondition", "AlertNotificationTarget")
_NO_SLO_KINDS = ("SLI", "DataSource", "Service")
_MAX_DESCRIPTION = 1024


class Skip(Exception):
    """An SLO (or one of its objectives) that cannot be converted, with the field and reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(field, message)


@dataclass(frozen=True)
class Catalog:
    """Named SLIs and data sources from the same input, for `indicatorRef` and `metricSourceRef`."""

    indicators: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source_types: Mapping[str, str] = field(default_factory=dict)


def catalog(documents: Iterable[Any]) -> Catalog:
    """Collect the SLI and DataSource documents of an input by name."""
    indicators: dict[str, Mapping[str, Any]] = {}
    sources: dict[str, str] = {}
    for document in documents:
        if not isinstance(document, Mapping) or document.get("apiVersion") != OPENSLO_API_VERSION:
            continue
        name = str((document.get("metadata") or {}).get("name", ""))
        spec = document.get("spec") or {}
        if document.get("kind") == "SLI":
            indicators[name] = spec
        elif document.get("kind") == "DataSource":
            sources[name] = str(spec.get("type", ""))
    return Catalog(indicators, sources)


def convert_openslo(
    document: Mapping[str, Any], known: Catalog | None = None, namespace: str = "default"
) -> tuple[list[Resource], list[Problem]]:
    """One OpenSLO document -> SLO resources (one per objective), plus what was left behind."""
    kind = document.get("kind")
    if document.get("apiVersion") != OPENSLO_API_VERSION:
        return [], [Problem("apiVersion", f'only "{OPENSLO_API_VERSION}" documents are read')]
    if kind in _NO_SLO_KINDS:
        return [], []
    if kind in _ALERT_KINDS:
        why = "budgetwarden generates multi-window burn-rate alerts from each SLO itself"
        return [], [Problem("kind", f"{kind} not converted: {why}")]
    if kind != "SLO":
        return [], [Problem("kind", f"{kind} is not an OpenSLO v1 kind")]
    try:
        return _convert_slo(document, known or Catalog(), namespace)
    except Skip as skip:
        return [], [skip.problem]


def _convert_slo(
    document: Mapping[str, Any], known: Catalog, namespace: str
) -> tuple[list[Resource], list[Problem]]:
    metadata, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = str(metadata.get("name", ""))
    namespace = str(metadata.get("namespace") or namespace)
    labels = kubernetes_labels(
        {k: v for k, v in (metadata.get("labels") or {}).items() if isinstance(v, str)}
    )
    body, problems = _described(spec)
    window = _window(spec.get("timeWindow"))
    _budgeting_method(spec.get("budgetingMethod"))
    indicator = _indicator(spec, known)
    if spec.get("alertPolicies"):
        why = "budgetwarden generates multi-window burn-rate alerts from the SLO itself"
        problems.append(Problem("spec.alertPolicies", f"not converted: {why}"))
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        raise Skip("spec.objectives", "skipped: needs one objective with a target")
    resources: list[Resource] = []
    for index, objective in enumerate(objectives):
        where = f"spec.objectives[{index}]"
        try:
            target = _target(objective, where)
        except Skip as skip:
            problems.append(skip.problem)
            continue
        slo_name = name if len(objectives) == 1 else _objective_name(name, objective, index)
        slo_spec = {**body, "objective": target, "window": window, "indicator": indicator}
        resource = slo_resource(slo_name, namespace, labels, slo_spec)
        failed = check(resource, where)
        problems.extend(failed)
        if not failed:
            resources.append(resource)
    return resources, problems


def _described(spec: Mapping[str, Any]) -> tuple[Resource, list[Problem]]:
    """The service and description every objective's SLO shares, and a note if shortened."""
    body: Resource = {"service": str(spec.get("service", ""))}
    problems: list[Problem] = []
    description = str(spec.get("description") or "")
    if len(description) > _MAX_DESCRIPTION:
        problems.append(Problem("spec.description", f"shortened to {_MAX_DESCRIPTION} characters"))
    if description:
        body["description"] = description[:_MAX_DESCRIPTION]
    return body, problems


def _budgeting_method(method: Any) -> None:
    """Skip the SLO unless its budgeting method is Occurrences."""
    if method != "Occurrences":
        why = "only Occurrences (good/total event counts) is supported; time slices are not"
        raise Skip("spec.budgetingMethod", f'skipped: "{method}": {why}')


def _window(windows: Any) -> str:
    if not isinstance(windows, list) or len(windows) != 1:
        raise Skip("spec.timeWindow", "skipped: needs exactly one time window")
    window = windows[0] if isinstance(windows[0], Mapping) else {}
    if window.get("calendar") is not None or window.get("isRolling") is False:
        why = "calendar windows cannot be converted: budgetwarden windows are rolling"
        raise Skip("spec.timeWindow[0]", f"skipped: {why}")
    duration = str(window.get("duration", ""))
    if duration[-1:] in ("M", "Q", "Y"):
        why = f'"{duration}": months, quarters and years have no fixed length; use days (30d)'
        raise Skip("spec.timeWindow[0].duration", f"skipped: {why}")
    return duration


def _indicator(spec: Mapping[str, Any], known: Catalog) -> Resource:
    if isinstance(spec.get("indicator"), Mapping):
        where, sli = "spec.indicator.spec", spec["indicator"].get("spec") or {}
    elif spec.get("indicatorRef") in known.indicators:
        where, sli = "spec.indicatorRef", known.indicators[spec["indicatorRef"]]
    else:
        ref = spec.get("indicatorRef")
        why = f'SLI "{ref}" is not in the input' if ref else "no indicator or indicatorRef"
        raise Skip("spec.indicatorRef", f"skipped: {why}")
    if "thresholdMetric" in sli:
        why = "threshold metrics cannot be converted: use a ratioMetric (good or bad over total)"
        raise Skip(f"{where}.thresholdMetric", f"skipped: {why}")
    ratio = sli.get("ratioMetric")
    if not isinstance(ratio, Mapping):
        raise Skip(f"{where}.ratioMetric", "skipped: needs a ratioMetric")
    where = f"{where}.ratioMetric"
    if "raw" in ratio:
        why = "raw ratio queries cannot be converted: the budget needs good or bad and total"
        raise Skip(f"{where}.raw", f"skipped: {why}")
    counter = ratio.get("counter") is True
    result: Resource = {}
    for theirs, ours in (("bad", "errors"), ("good", "good"), ("total", "total")):
        if theirs in ratio:
            result[ours] = _query(ratio[theirs], known, f"{where}.{theirs}", counter)
    return {"ratio": result}


def _query(metric: Any, known: Catalog, where: str, counter: bool) -> str:
    source = (metric or {}).get("metricSource") or {}
    kind = source.get("type") or known.source_types.get(str(source.get("metricSourceRef")), "")
    if str(kind).lower() != "prometheus":
        why = f'the metric source is "{kind or "unknown"}"; only Prometheus sources are converted'
        raise Skip(f"{where}.metricSource", f"skipped: {why}")
    query = (source.get("spec") or {}).get("query") or (source.get("spec") or {}).get("promql")
    if not isinstance(query, str) or not query.strip():
        raise Skip(f"{where}.metricSource.spec.query", "skipped: no query")
    if WINDOW_TEMPLATE in query:
        return query
    if counter and _is_selector(query):
        # A bare counter: its rate over the window is what the event ratio needs.
        return f"sum(rate({query.strip()}[{WINDOW_TEMPLATE}]))"
    why = f"the query must contain {WINDOW_TEMPLATE} where the range goes, or be a bare counter"
    raise Skip(f"{where}.metricSource.spec.query", f"skipped: {why}")


def _is_selector(query: str) -> bool:
    try:
        return isinstance(promql_parser.parse(query), promql_parser.VectorSelector)
    except ValueError:
        return False


def _target(objective: Any, where: str) -> str:
    objective = objective if isinstance(objective, Mapping) else {}
    if "indicator" in objective or "indicatorRef" in objective:
        why = "composite SLOs (an indicator per objective) cannot be converted"
        raise Skip(where, f"objective skipped: {why}")
    if "targetPercent" in objective:
        value = percent(objective["targetPercent"])
    else:
        fraction = percent(objective.get("target"))
        value = None if fraction is None else fraction * Decimal(100)
    if value is None:
        raise Skip(f"{where}.target", "objective skipped: needs target or targetPercent")
    return as_text(value)


def _objective_name(name: str, objective: Any, index: int) -> str:
    label = objective.get("displayName") if isinstance(objective, Mapping) else None
    suffix = dns_name(str(label)) if label else str(index + 1)
    return dns_name(f"{name}-{suffix}")
