"""A Sloth SLO's `alerting` block -> the SLO's `spec.alerting`, with every change named.

Sloth's labels and annotations move onto the page and ticket tiers, templates that name Sloth's
labels are rewritten to ours, and alerts Sloth was told not to send are turned off here too as
far as the SLO spec allows. Called by `importers.sloth` for each SLO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from budgetwarden.core.kernel.conventions import (
    ALERT_ABSENT,
    ALERT_BUDGET_LOW,
    ALERT_PAGE,
    ALERT_SERVICE_DOWN,
    ALERT_TICKET,
)
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import string_map
from budgetwarden.core.slo.importers.results import Resource

# Alert templates that name Sloth's labels keep working with ours.
_LABEL_RENAMES = {
    "sloth_service": "slo_service",
    "sloth_slo": "slo_name",
    "sloth_id": "slo_name",
    "sloth_severity": "slo_tier",
}
_SLOTH_LABEL = re.compile(r"\b(" + "|".join(_LABEL_RENAMES) + r")\b")
# Sloth's alerts carry the window that fired; ours drop it (one alert per tier), so a template
# that prints it gets the SLO's window, the one the budget is counted over.
_SLOTH_WINDOW = re.compile(r"\{\{-?\s*\$labels\.sloth_window\s*-?\}\}")
_TIERS = (("page_alert", "page", ALERT_PAGE), ("ticket_alert", "ticket", ALERT_TICKET))


def sloth_alerting(
    alerting: Any, labels: Mapping[str, str], where: str, window: timedelta
) -> tuple[Resource, list[Problem]]:
    """Sloth's alert settings as `spec.alerting`, and each change made on the way."""
    alerting = alerting if isinstance(alerting, Mapping) else {}
    notes: list[Problem] = []
    if alerting.get("name"):
        why = f"budgetwarden names its burn-rate alerts {ALERT_PAGE} and {ALERT_TICKET}"
        notes.append(Problem(f"{where}.name", f"not kept: {why}"))
    shared = _templated(string_map(alerting.get("annotations")), f"{where}.annotations", window)
    notes += shared.notes
    annotations = dict(shared.values)
    result: Resource = {}
    runbook = annotations.pop("runbook_url", None) or annotations.pop("runbook", None)
    if runbook:
        result["runbookURL"] = runbook
    all_labels = _templated({**labels, **string_map(alerting.get("labels"))}, where, window)
    notes += all_labels.notes
    if all_labels.values:
        result["labels"] = all_labels.values
    disabled: list[str] = []
    for sloth_key, tier, alert in _TIERS:
        tier_spec, tier_notes = _tier(alerting.get(sloth_key), f"{where}.{sloth_key}", window)
        if annotations:
            tier_spec["annotations"] = {**annotations, **tier_spec.get("annotations", {})}
        if tier_spec.get("disabled"):
            disabled.append(alert)
        notes += tier_notes
        if tier_spec:
            result[tier] = tier_spec
    if disabled:
        notes.append(_disabled_note(where, disabled, result))
    return result, notes


def _tier(block: Any, where: str, window: timedelta) -> tuple[Resource, list[Problem]]:
    block = block if isinstance(block, Mapping) else {}
    tier_spec: Resource = {}
    labels = _templated(string_map(block.get("labels")), f"{where}.labels", window)
    annotations = _templated(string_map(block.get("annotations")), f"{where}.annotations", window)
    if labels.values:
        tier_spec["labels"] = labels.values
    if annotations.values:
        tier_spec["annotations"] = annotations.values
    if block.get("disable") is True:
        tier_spec["disabled"] = True
    notes = labels.notes + annotations.notes
    if block.get("for") is not None:
        why = "burn-rate alerts fire without a for: their short window already ignores blips"
        notes.append(Problem(f"{where}.for", f'"{block["for"]}" not kept: {why}'))
    return tier_spec, notes


def _disabled_note(where: str, disabled: list[str], result: Resource) -> Problem:
    """Sloth's disabled alerts map to disabled tiers; a disabled page also silences our
    service-down page. Sloth has no budget-low or absent-data alerts: with both of its alerts
    disabled (its no-alerts example) ours are turned off too, else they are kept, and said so."""
    if ALERT_PAGE in disabled:
        result["serviceDown"] = {"disabled": True}
        disabled = [*disabled, ALERT_SERVICE_DOWN]
    silent = ALERT_TICKET in disabled and ALERT_PAGE in disabled
    if silent:
        result["budgetLow"] = {"disabled": True}
        result["metricsAbsent"] = {"disabled": True}
        disabled = [*disabled, ALERT_BUDGET_LOW, ALERT_ABSENT]
    fields = ", ".join(
        f"spec.alerting.{key}.disabled"
        for key in ("page", "ticket", "serviceDown", "budgetLow", "metricsAbsent")
        if result.get(key, {}).get("disabled")
    )
    kept = (
        ""
        if silent
        else f"; {ALERT_BUDGET_LOW} and {ALERT_ABSENT}, which Sloth does not have, are kept "
        "(spec.alerting.budgetLow.disabled and spec.alerting.metricsAbsent.disabled turn them off)"
    )
    return Problem(where, f"disabled in Sloth: {', '.join(disabled)} turned off ({fields}){kept}")


@dataclass(frozen=True)
class _Templated:
    """Label or annotation values with Sloth's label names rewritten, and what was rewritten."""

    values: dict[str, str]
    notes: list[Problem]


def _templated(values: dict[str, str], where: str, window: timedelta) -> _Templated:
    written = format_duration(window)
    result: dict[str, str] = {}
    notes: list[Problem] = []
    for key, value in values.items():
        new = _SLOTH_LABEL.sub(lambda match: _LABEL_RENAMES[match.group(1)], value)
        if _SLOTH_WINDOW.search(new):
            new = _SLOTH_WINDOW.sub(written, new)
            why = f"the SLO window {written}: one alert per tier has no firing window to print"
            notes.append(Problem(f"{where}.{key}", f"{{{{$labels.sloth_window}}}} became {why}"))
        result[key] = new
    return _Templated(result, notes)
