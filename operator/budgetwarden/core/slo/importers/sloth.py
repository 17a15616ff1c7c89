"""Sloth specs -> SLO resources.

Reads Sloth's `prometheus/v1` file format and its `sloth.slok.dev/v1` `PrometheusServiceLevel`
resource (the same fields in camelCase). Sloth has no window per SLO (its `--default-slo-period`
sets one for the whole run), so the caller passes the window. The alert settings go through
`sloth_alerts`. Called by `budgetwarden import`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import (
    as_text,
    check,
    kubernetes_labels,
    mapping,
    percent,
    scalar_text,
    slo_resource,
    string_map,
)
from budgetwarden.core.slo.importers.names import kubernetes_name
from budgetwarden.core.slo.importers.results import Conversion, Resource, not_converted
from budgetwarden.core.slo.importers.sloth_alerts import sloth_alerting

SLOTH_VERSION = "prometheus/v1"
SLOTH_CRD_API_VERSION = "sloth.slok.dev/v1"
SLOTH_CRD_KIND = "PrometheusServiceLevel"
# The Kubernetes resource spells these in camelCase; the file format in snake_case.
_SNAKE = {
    "errorQuery": "error_query",
    "totalQuery": "total_query",
    "errorRatioQuery": "error_ratio_query",
    "pageAlert": "page_alert",
    "ticketAlert": "ticket_alert",
    "sloPlugins": "slo_plugins",
}
_NO_PLUGINS = "not kept: Sloth SLO plugins have no equivalent"


def is_sloth(document: Any) -> bool:
    """True for a Sloth file spec or a PrometheusServiceLevel resource."""
    return isinstance(document, Mapping) and (
        document.get("version") == SLOTH_VERSION
        or (
            document.get("apiVersion") == SLOTH_CRD_API_VERSION
            and document.get("kind") == SLOTH_CRD_KIND
        )
    )


def _snake_case(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_SNAKE.get(str(k), str(k)): _snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_case(item) for item in value]
    return value


@dataclass
class _Found:
    """What converting the SLOs of one spec has found so far."""

    resources: list[Resource] = field(default_factory=list)
    changes: list[Problem] = field(default_factory=list)
    reasons: list[Problem] = field(default_factory=list)

    def conversion(self) -> Conversion:
        if not self.resources:
            return not_converted(*self.reasons)
        return Conversion(tuple(self.resources), tuple(self.changes), tuple(self.reasons))


@dataclass(frozen=True)
class _Context:
    """What every SLO of one spec shares."""

    spec: Mapping[str, Any]
    service: str
    namespace: str
    window: timedelta


def convert_sloth(
    document: Any, namespace: str = "default", window: timedelta = timedelta(days=30)
) -> Conversion:
    """One Sloth spec -> its SLOs as resources, with every change and every SLO left behind."""
    if not is_sloth(document):
        why = f'not a Sloth spec: expected version "{SLOTH_VERSION}" or kind {SLOTH_CRD_KIND}'
        return not_converted(Problem("version", why))
    prefix, spec = "", document
    if document.get("kind") == SLOTH_CRD_KIND:
        prefix, spec = "spec.", mapping(_snake_case(document.get("spec")))
        namespace = str(mapping(document.get("metadata")).get("namespace") or namespace)
    found = _Found()
    if _has_plugins(spec.get("slo_plugins")):
        found.changes.append(Problem(f"{prefix}slo_plugins", _NO_PLUGINS))
    service = kubernetes_name(scalar_text(spec.get("service") or ""), "service")
    if service.change:
        found.changes.append(Problem(f"{prefix}service", service.change))
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        return not_converted(Problem(f"{prefix}slos", "no SLOs to convert"))
    context = _Context(spec, service.name, namespace, window)
    for index, slo in enumerate(slos):
        _convert_slo(context, slo, f"{prefix}slos[{index}]", found)
    return found.conversion()


def _has_plugins(plugins: Any) -> bool:
    """Sloth's `{overridePrevious, chain: [...]}`; an empty chain changes nothing."""
    return isinstance(plugins, Mapping) and bool(plugins.get("chain"))


def _convert_slo(context: _Context, slo: Any, where: str, found: _Found) -> None:
    if not isinstance(slo, Mapping) or not slo.get("name"):
        found.reasons.append(Problem(f"{where}.name", "SLO not converted: it has no name"))
        return
    name = scalar_text(slo["name"])
    indicator, reasons = _indicator(slo.get("sli"), f"{where}.sli", name)
    objective = percent(slo.get("objective"))
    if objective is None:
        reasons.append(Problem(f"{where}.objective", f"SLO {name} not converted: not a number"))
    if reasons or indicator is None or objective is None:
        found.reasons.extend(reasons)
        return
    changes: list[Problem] = []
    if _has_plugins(slo.get("plugins")):
        changes.append(Problem(f"{where}.plugins", _NO_PLUGINS))
    labels = {**string_map(context.spec.get("labels")), **string_map(slo.get("labels"))}
    alerting, notes = sloth_alerting(
        slo.get("alerting"), labels, f"{where}.alerting", context.window
    )
    body: Resource = {"service": context.service}
    if slo.get("description"):
        body["description"] = scalar_text(slo["description"])
    body |= {"objective": as_text(objective), "window": format_duration(context.window)}
    body |= {"indicator": indicator, "alerting": alerting} if alerting else {"indicator": indicator}
    named = kubernetes_name(f"{scalar_text(context.spec.get('service') or '')}-{name}")
    if named.change:
        changes.append(Problem(f"{where}.name", named.change))
    resource = slo_resource(named.name, context.namespace, kubernetes_labels(labels), body)
    if failed := check(resource, where):
        found.reasons.extend(
            Problem(p.field, f"SLO {name} not converted: {p.message}") for p in failed
        )
        return
    found.resources.append(resource)
    found.changes.extend(changes + notes)


def _indicator(sli: Any, where: str, name: str) -> tuple[Resource | None, list[Problem]]:
    """Sloth's events SLI becomes a ratio; raw and plugin SLIs cannot be carried over."""
    sli = mapping(sli)
    events = sli.get("events")
    if isinstance(events, Mapping):
        queries = {"errors": events.get("error_query"), "total": events.get("total_query")}
        missing = [
            Problem(f"{where}.events.{key}_query", f"SLO {name} not converted: no query")
            for key, query in (("error", queries["errors"]), ("total", queries["total"]))
            if not isinstance(query, str) or not query.strip()
        ]
        return ({"ratio": queries}, []) if not missing else (None, missing)
    if "raw" in sli:
        why = (
            "raw error-ratio SLIs cannot be converted: the period budget is weighted by "
            "traffic, which needs separate error and total queries (rewrite it as sli.events)"
        )
        return None, [Problem(f"{where}.raw", f"SLO {name} not converted: {why}")]
    if "plugin" in sli:
        plugin = mapping(sli.get("plugin")).get("id", "?")
        why = (
            f'SLI plugins cannot be converted (plugin "{plugin}" runs Go code inside Sloth); '
            "write the error and total queries it produces as sli.events"
        )
        return None, [Problem(f"{where}.plugin", f"SLO {name} not converted: {why}")]
    why = "needs one of events, raw or plugin"
    return None, [Problem(where, f"SLO {name} not converted: {why}")]
