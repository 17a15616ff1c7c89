"""OpenSLO documents (v1 and v1alpha) -> SLO resources.

Converts SLOs whose indicator is a ratio (good or bad over total) read from Prometheus, with one
rolling window and the Occurrences budgeting method; each objective becomes one SLO. SLI and
DataSource documents of the same import resolve `indicatorRef` and `metricSourceRef` (see
`catalog`). Everything else is named in the document's result line, every reason at once.
The pieces are read by `openslo_parts`. Called by `budgetwarden import`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers import openslo_parts as parts
from budgetwarden.core.slo.importers.common import (
    check,
    kubernetes_labels,
    mapping,
    scalar_text,
    slo_resource,
)
from budgetwarden.core.slo.importers.names import kubernetes_name
from budgetwarden.core.slo.importers.openslo_alerts import burn_rate_windows
from budgetwarden.core.slo.importers.openslo_parts import Findings, Source
from budgetwarden.core.slo.importers.results import Conversion, Resource, not_converted

OPENSLO_API_VERSIONS = ("openslo/v1", "openslo/v1alpha")
_REFERENCED_KINDS = ("SLI", "DataSource", "AlertPolicy", "AlertCondition")
_MAX_DESCRIPTION = 1024
_SPEC_ORDER = ("service", "description", "objective", "window", "indicator", "alerting")


@dataclass(frozen=True)
class Catalog:
    """Named SLIs and data sources from the same input, for `indicatorRef` and `metricSourceRef`."""

    indicators: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source_types: Mapping[str, str] = field(default_factory=dict)
    alert_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    alert_conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """What the command line decides for documents that do not: namespace and window."""

    namespace: str = "default"
    window: str = "30d"


def catalog(documents: Iterable[Any]) -> Catalog:
    """Collect the SLI, DataSource and alert documents of an input by name."""
    by_kind: dict[str, dict[str, Mapping[str, Any]]] = {}
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        if document.get("apiVersion") not in OPENSLO_API_VERSIONS:
            continue
        name = str(mapping(document.get("metadata")).get("name", ""))
        by_kind.setdefault(str(document.get("kind")), {})[name] = mapping(document.get("spec"))
    sources = {
        name: str(spec.get("type", "")) for name, spec in by_kind.get("DataSource", {}).items()
    }
    return Catalog(
        by_kind.get("SLI", {}),
        sources,
        by_kind.get("AlertPolicy", {}),
        by_kind.get("AlertCondition", {}),
    )


def convert_openslo(
    document: Any, known: Catalog | None = None, options: Options = Options()
) -> Conversion:
    """One OpenSLO document -> SLO resources (one per objective), with every change and reason."""
    if not isinstance(document, Mapping):
        return not_converted(Problem("", f"not an OpenSLO document: a {type(document).__name__}"))
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if api_version not in OPENSLO_API_VERSIONS:
        allowed = " or ".join(OPENSLO_API_VERSIONS)
        return not_converted(Problem("apiVersion", f'"{api_version}" is not read; only {allowed}'))
    if kind in _REFERENCED_KINDS:
        why = "holds no SLO: the SLOs that name it in the same import use it"
        return not_converted(Problem("kind", f"{kind} {why}"))
    if kind == "Service":
        return not_converted(
            Problem("kind", "Service holds no SLO: an SLO's spec.service names it")
        )
    if kind == "AlertNotificationTarget":
        why = "has no equivalent: Alertmanager routes budgetwarden's alerts by their labels"
        return not_converted(Problem("kind", f"{kind} {why}"))
    if kind != "SLO":
        return not_converted(Problem("kind", f'"{kind}" is not an OpenSLO kind'))
    return _convert_slo(document, known or Catalog(), options, api_version == "openslo/v1alpha")


@dataclass(frozen=True)
class _Shared:
    """What every objective of one SLO shares."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    body: Resource
    indicator: Resource | None
    v1alpha: bool
    known: Catalog
    several: bool


def _convert_slo(
    document: Mapping[str, Any], known: Catalog, options: Options, v1alpha: bool
) -> Conversion:
    metadata, spec = mapping(document.get("metadata")), mapping(document.get("spec"))
    found = Findings()
    labels = _labels(metadata.get("labels"), found)
    window = parts.window(spec, v1alpha, options.window, found)
    parts.budgeting_method(spec.get("budgetingMethod"), found)
    body = {**_described(spec, found), "window": window}
    indicator = None if v1alpha else _v1_indicator(spec, known, found)
    if v1alpha and "indicator" in spec:
        found.refuse("spec.indicator", "threshold metrics cannot be converted: use ratioMetrics")
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        found.refuse("spec.objectives", "needs at least one objective with a target")
        objectives = []
    name = scalar_text(metadata.get("name") or "")
    namespace = str(metadata.get("namespace") or options.namespace)
    shared = _Shared(name, namespace, labels, body, indicator, v1alpha, known, len(objectives) > 1)
    if rows := burn_rate_windows(
        spec.get("alertPolicies"), known.alert_policies, known.alert_conditions, found
    ):
        body["alerting"] = {"burnRateWindows": rows}
    if found.reasons:
        return not_converted(*found.reasons, *_objective_reasons(shared, objectives))
    resources = [r for i, o in enumerate(objectives) if (r := _objective(shared, o, i, found))]
    if not resources:
        return not_converted(*found.reasons)
    return Conversion(tuple(resources), tuple(found.changes), tuple(found.reasons))


def _objective_reasons(shared: _Shared, objectives: list[Any]) -> list[Problem]:
    """What the objectives alone would be refused for, so that one pass names everything."""
    found = Findings()
    for index, objective in enumerate(objectives):
        _objective(shared, objective, index, found, final=False)
    return found.reasons


def _labels(labels: Any, found: Findings) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in mapping(labels).items():
        if isinstance(value, list):
            found.change(
                f"metadata.labels.{key}", "a list of values is no Kubernetes label; not kept"
            )
        elif value is not None:
            kept[str(key)] = scalar_text(value)
    return kubernetes_labels(kept)


def _described(spec: Mapping[str, Any], found: Findings) -> Resource:
    """The service and description every objective's SLO shares."""
    service = kubernetes_name(scalar_text(spec.get("service") or ""), "service")
    if not spec.get("service"):
        found.refuse("spec.service", "needed: budgetwarden SLOs belong to a service")
    elif service.change:
        found.change("spec.service", service.change)
    body: Resource = {"service": service.name}
    description = scalar_text(spec.get("description") or "")
    if len(description) > _MAX_DESCRIPTION:
        found.change("spec.description", f"shortened to {_MAX_DESCRIPTION} characters")
    if description:
        body["description"] = description[:_MAX_DESCRIPTION]
    return body


def _v1_indicator(spec: Mapping[str, Any], known: Catalog, found: Findings) -> Resource | None:
    if isinstance(spec.get("indicator"), Mapping):
        where, sli = "spec.indicator.spec", mapping(spec["indicator"].get("spec"))
    elif (ref := scalar_text(spec.get("indicatorRef") or "")) in known.indicators:
        where, sli = "spec.indicatorRef", known.indicators[ref]
    else:
        found.refuse(
            "spec.indicatorRef",
            f'SLI "{ref}" is not in the input' if ref else "no indicator or indicatorRef",
        )
        return None
    if "thresholdMetric" in sli:
        why = "threshold metrics cannot be converted: use a ratioMetric (good or bad over total)"
        found.refuse(f"{where}.thresholdMetric", why)
        return None
    ratio = sli.get("ratioMetric")
    if not isinstance(ratio, Mapping):
        found.refuse(f"{where}.ratioMetric", "needs a ratioMetric")
        return None
    if "raw" in ratio:
        why = "raw ratio queries cannot be converted: the budget needs good or bad and total"
        found.refuse(f"{where}.ratioMetric.raw", why)
        return None
    return _ratio(ratio, f"{where}.ratioMetric", known, ratio.get("counter") is True, found)


def _ratio(
    ratio: Mapping[str, Any], where: str, known: Catalog, counter: bool, found: Findings
) -> Resource | None:
    result: Resource = {}
    for theirs, ours in (("bad", "errors"), ("good", "good"), ("total", "total")):
        if theirs in ratio:
            source = _source(ratio[theirs], known, f"{where}.{theirs}", found)
            query = source and parts.window_query(source[1], counter, source[0], found)
            if query:
                result[ours] = query
    if "total" not in ratio or not ({"good", "bad"} & set(ratio)):
        found.refuse(where, "needs total and one of good or bad")
    return {"ratio": result} if len(result) == 2 else None


def _source(metric: Any, known: Catalog, where: str, found: Findings) -> tuple[str, Source] | None:
    """Where the query of one side of a ratio is: v1 `metricSource`, v1alpha flat fields."""
    metric = mapping(metric)
    if "metricSource" not in metric:  # v1alpha: {source, queryType, query}
        return where, Source(str(metric.get("source", "")), metric.get("query"), f"{where}.source")
    where = f"{where}.metricSource"
    source = mapping(metric["metricSource"])
    kind = source.get("type") or known.source_types.get(str(source.get("metricSourceRef")), "")
    spec = source.get("spec")
    if not isinstance(spec, Mapping):
        got = type(spec).__name__ if spec is not None else "nothing"
        found.refuse(f"{where}.spec", f"must be a mapping such as {{query: ...}}; got {got}")
        return None
    return f"{where}.spec", Source(
        str(kind), spec.get("query") or spec.get("promql"), f"{where}.type"
    )


def _objective(
    shared: _Shared, objective: Any, index: int, found: Findings, final: bool = True
) -> Resource | None:
    """The SLO of one objective; `final` False only looks for the objective's own reasons."""
    where, objective = f"spec.objectives[{index}]", mapping(objective)
    own = Findings()
    indicator = shared.indicator
    if shared.v1alpha:
        indicator = _v1alpha_indicator(objective, where, shared.known, own)
    elif "indicator" in objective or "indicatorRef" in objective:
        own.refuse(where, "composite SLOs (an indicator per objective) cannot be converted")
    target = parts.target(objective, where, own)
    name = _objective_name(shared, objective, index, own)
    if own.reasons or indicator is None or target is None or not final:
        found.reasons.extend(own.reasons)
        return None
    spec = {**shared.body, "objective": target, "indicator": indicator}
    spec = {key: spec[key] for key in _SPEC_ORDER if key in spec}
    resource = slo_resource(name, shared.namespace, shared.labels, spec)
    if failed := check(resource, where):
        found.reasons.extend(failed)
        return None
    found.changes.extend(own.changes)
    return resource


def _v1alpha_indicator(
    objective: Mapping[str, Any], where: str, known: Catalog, found: Findings
) -> Resource | None:
    ratio = objective.get("ratioMetrics")
    if not isinstance(ratio, Mapping):
        found.refuse(f"{where}.ratioMetrics", "needs ratioMetrics (good or bad over total)")
        return None
    return _ratio(ratio, f"{where}.ratioMetrics", known, ratio.get("incremental") is True, found)


def _objective_name(
    shared: _Shared, objective: Mapping[str, Any], index: int, found: Findings
) -> str:
    text = shared.name
    if shared.several:
        text = f"{shared.name}-{objective.get('displayName') or index + 1}"
    named = kubernetes_name(text)
    if named.change:
        found.change("metadata.name", named.change)
    return named.name
