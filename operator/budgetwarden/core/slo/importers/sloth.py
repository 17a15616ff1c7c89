"""Sloth specs -> SLO resources.

Reads Sloth's `prometheus/v1` file format and its `sloth.slok.dev/v1` `PrometheusServiceLevel`
resource (the same fields in camelCase). Sloth has no window per SLO (its `--default-slo-period`
sets one for the whole run), so the caller passes the window. Called by `budgetwarden import`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from budgetwarden.core.kernel.conventions import ALERT_PAGE, ALERT_TICKET
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import (
    Resource,
    as_text,
    check,
    dns_name,
    kubernetes_labels,
    percent,
    slo_resource,
    string_map,
)

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
# Alert templates that name Sloth's labels keep working with ours.
_LABEL_RENAMES = {
    "sloth_service": "slo_service",
    "sloth_slo": "slo_name",
    "sloth_id": "slo_name",
    "sloth_severity": "slo_tier",
}
_SLOTH_LABEL = re.compile(r"\b(" + "|".join(_LABEL_RENAMES) + r")\b")


def is_sloth(document: Mapping[str, Any]) -> bool:
    """True for a Sloth file spec or a PrometheusServiceLevel resource."""
    return document.get("version") == SLOTH_VERSION or (
        document.get("apiVersion") == SLOTH_CRD_API_VERSION
        and document.get("kind") == SLOTH_CRD_KIND
    )


def _snake_case(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_SNAKE.get(str(k), str(k)): _snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_case(item) for item in value]
    return value


def convert_sloth(
    document: Mapping[str, Any],
    namespace: str = "default",
    window: timedelta = timedelta(days=30),
) -> tuple[list[Resource], list[Problem]]:
    """One Sloth spec -> its SLOs as resources, plus one Problem per part left behind."""
    if not is_sloth(document):
        return [], [Problem("version", f'not a Sloth spec: expected version "{SLOTH_VERSION}"')]
    prefix, spec = "", document
    if document.get("kind") == SLOTH_CRD_KIND:
        prefix, spec = "spec.", _snake_case(document.get("spec") or {})
        metadata = document.get("metadata") or {}
        namespace = str(metadata.get("namespace") or namespace)
    problems: list[Problem] = []
    if _has_plugins(spec.get("slo_plugins")):
        problems.append(
            Problem(f"{prefix}slo_plugins", "not converted: Sloth SLO plugins have no equivalent")
        )
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        return [], [*problems, Problem(f"{prefix}slos", "no SLOs to convert")]
    resources: list[Resource] = []
    for index, slo in enumerate(slos):
        where = f"{prefix}slos[{index}]"
        resource, found = _convert_slo(spec, slo, where, namespace, window)
        problems.extend(found)
        if resource is not None:
            resources.append(resource)
    return resources, problems


def _has_plugins(plugins: Any) -> bool:
    """Sloth's `{overridePrevious, chain: [...]}`; an empty chain changes nothing."""
    return isinstance(plugins, Mapping) and bool(plugins.get("chain"))


def _convert_slo(
    spec: Mapping[str, Any], slo: Any, where: str, namespace: str, window: timedelta
) -> tuple[Resource | None, list[Problem]]:
    if not isinstance(slo, Mapping) or not slo.get("name"):
        return None, [Problem(f"{where}.name", "SLO skipped: it has no name")]
    service, name = str(spec.get("service") or ""), str(slo["name"])
    indicator, problems = _indicator(slo.get("sli"), f"{where}.sli", name)
    objective = percent(slo.get("objective"))
    if objective is None:
        problems.append(Problem(f"{where}.objective", f"SLO {name} skipped: must be a number"))
    if _has_plugins(slo.get("plugins")):
        problems.append(
            Problem(f"{where}.plugins", "not converted: Sloth SLO plugins have no equivalent")
        )
    labels = {**string_map(spec.get("labels")), **string_map(slo.get("labels"))}
    alerting, notes = _alerting(slo.get("alerting"), labels, f"{where}.alerting")
    problems.extend(notes)
    if indicator is None or objective is None:
        return None, problems
    body: Resource = {"service": service}
    if slo.get("description"):
        body["description"] = str(slo["description"])
    body |= {"objective": as_text(objective), "window": format_duration(window)}
    body |= {"indicator": indicator, "alerting": alerting} if alerting else {"indicator": indicator}
    resource = slo_resource(
        dns_name(f"{service}-{name}"), namespace, kubernetes_labels(labels), body
    )
    failed = check(resource, where)
    return (None if failed else resource), problems + failed


def _indicator(sli: Any, where: str, name: str) -> tuple[Resource | None, list[Problem]]:
    """Sloth's events SLI becomes a ratio; raw and plugin SLIs cannot be carried over."""
    sli = sli if isinstance(sli, Mapping) else {}
    events = sli.get("events")
    if isinstance(events, Mapping):
        return {
            "ratio": {"errors": events.get("error_query"), "total": events.get("total_query")}
        }, []
    if "raw" in sli:
        why = (
            "raw error-ratio SLIs cannot be converted: the period budget is weighted by "
            "traffic, which needs separate error and total queries (rewrite it as sli.events)"
        )
        return None, [Problem(f"{where}.raw", f"SLO {name} skipped: {why}")]
    if "plugin" in sli:
        plugin = (sli.get("plugin") or {}).get("id", "?")
        why = (
            f'SLI plugins cannot be converted (plugin "{plugin}" runs Go code inside Sloth); '
            "write the error and total queries it produces as sli.events"
        )
        return None, [Problem(f"{where}.plugin", f"SLO {name} skipped: {why}")]
    return None, [Problem(where, f"SLO {name} skipped: needs one of events, raw or plugin")]


def _alerting(
    alerting: Any, labels: Mapping[str, str], where: str
) -> tuple[Resource, list[Problem]]:
    """Sloth's alert labels and annotations, moved onto the page and ticket tiers."""
    alerting = alerting if isinstance(alerting, Mapping) else {}
    notes: list[Problem] = []
    if alerting.get("name"):
        why = f"budgetwarden names its burn-rate alerts {ALERT_PAGE} and {ALERT_TICKET}"
        notes.append(Problem(f"{where}.name", f"not kept: {why}"))
    annotations = _renamed(string_map(alerting.get("annotations")))
    result: Resource = {}
    runbook = annotations.pop("runbook_url", None) or annotations.pop("runbook", None)
    if runbook:
        result["runbookURL"] = runbook
    all_labels = {**labels, **string_map(alerting.get("labels"))}
    if all_labels:
        result["labels"] = all_labels
    for sloth_key, tier in (("page_alert", "page"), ("ticket_alert", "ticket")):
        block = alerting.get(sloth_key)
        block = block if isinstance(block, Mapping) else {}
        tier_spec: Resource = {}
        if tier_labels := string_map(block.get("labels")):
            tier_spec["labels"] = tier_labels
        if tier_annotations := {**annotations, **_renamed(string_map(block.get("annotations")))}:
            tier_spec["annotations"] = tier_annotations
        if block.get("disable") is True:
            tier_spec["disabled"] = True
        if tier_spec:
            result[tier] = tier_spec
    return result, notes


def _renamed(annotations: dict[str, str]) -> dict[str, str]:
    return {
        key: _SLOTH_LABEL.sub(lambda match: _LABEL_RENAMES[match.group(1)], value)
        for key, value in annotations.items()
    }
