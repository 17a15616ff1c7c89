"""An OpenSLO SLO's `alertPolicies` -> `spec.alerting.burnRateWindows`, where they map.

OpenSLO's burn-rate condition is one window and a threshold; budgetwarden's alerts need a long
and a short window. A `burnrate` condition becomes one row: its `lookbackWindow` is the long
window, a twelfth of it the short one (the SRE Workbook's ratio: 1h/5m, 6h/30m), its
`threshold` the factor, and its `severity` the tier. Whatever does not map is a change, and an
SLO whose policies give no row keeps the default table. Called by `importers.openslo`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.slo.importers.common import as_text, mapping, percent, scalar_text
from budgetwarden.core.slo.importers.openslo_parts import Findings
from budgetwarden.core.slo.importers.results import Resource

SHORT_WINDOW_SHARE = 12  # long / short in each of the Workbook's window pairs
# Severities that wake someone up; any other severity opens a ticket.
PAGE_SEVERITIES = frozenset(("page", "critical", "high", "sev1", "p1", "p0"))
_DEFAULT = "the default burn-rate table is used"


def burn_rate_windows(
    policies: Any,
    known_policies: Mapping[str, Mapping[str, Any]],
    known_conditions: Mapping[str, Mapping[str, Any]],
    found: Findings,
) -> list[Resource]:
    """The rows the SLO's alert policies give, with a change for each one and what is left."""
    rows: list[Resource] = []
    for index, policy in enumerate(policies if isinstance(policies, list) else []):
        where = f"spec.alertPolicies[{index}]"
        name, spec = _resolve(policy, known_policies, "alertPolicyRef")
        if spec is None:
            found.change(where, f'AlertPolicy "{name}" is not in the input; not converted')
            continue
        if spec.get("notificationTargets"):
            why = "Alertmanager routes the alerts by their labels"
            found.change(f"{where}.notificationTargets", f"not kept: {why}")
        for number, condition in enumerate(spec.get("conditions") or []):
            row = _row(condition, known_conditions, f"{where}.conditions[{number}]", found)
            if row is not None:
                rows.append(row)
    if policies and not rows:
        found.change("spec.alertPolicies", f"no burnrate condition maps; {_DEFAULT}")
    elif rows:
        tiers = " and ".join(sorted({row["tier"] for row in rows}))
        why = f"spec.alerting.burnRateWindows replaces the default table: only {tiers} alerts"
        found.change("spec.alertPolicies", why)
    return rows


def _resolve(
    item: Any, known: Mapping[str, Mapping[str, Any]], ref_key: str
) -> tuple[str, Mapping[str, Any] | None]:
    """An inline object's spec, or the spec of the named one; None when it is not given."""
    if isinstance(item, Mapping) and "spec" in item:
        return scalar_text(mapping(item.get("metadata")).get("name") or ""), mapping(item["spec"])
    name = (
        scalar_text(item.get(ref_key) or item.get("conditionRef") or "")
        if isinstance(item, Mapping)
        else scalar_text(item)
    )
    return name, known.get(name)


def _row(
    condition: Any,
    known: Mapping[str, Mapping[str, Any]],
    where: str,
    found: Findings,
) -> Resource | None:
    name, spec = _resolve(condition, known, "conditionRef")
    if spec is None:
        found.change(where, f'AlertCondition "{name}" is not in the input; not converted')
        return None
    body = mapping(spec.get("condition"))
    threshold, lookback = percent(body.get("threshold")), body.get("lookbackWindow")
    if body.get("kind", "burnrate") != "burnrate" or threshold is None or threshold <= 0:
        found.change(where, "not converted: only burnrate conditions with a threshold map")
        return None
    try:
        long_window = parse_duration(scalar_text(lookback or ""))
    except ValueError as error:
        found.change(f"{where}.condition.lookbackWindow", f"not converted: {error}")
        return None
    severity = scalar_text(spec.get("severity") or "")
    tier = "page" if severity.lower() in PAGE_SEVERITIES else "ticket"
    short = format_duration(long_window / SHORT_WINDOW_SHARE)
    long = format_duration(long_window)
    factor = as_text(threshold)
    kept = f"{tier}: burn rate above {factor} over {long} and {short}"
    why = "short window 1/12 of the long"
    note = f'severity "{severity}", burnrate {factor} over {long} -> {kept} ({why})'
    if body.get("alertAfter"):
        note += f"; alertAfter {body['alertAfter']} not kept (burn-rate alerts have no for:)"
    found.change(where, note)
    return {"tier": tier, "longWindow": long, "shortWindow": short, "factor": factor}
