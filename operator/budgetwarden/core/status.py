"""Pure builders of the status the handlers write: which conditions an outcome sets, and the
merge patch that brings `status` there (or None when status already says so).

Returning None for "nothing to change" is what keeps a restart quiet: a resumed, unchanged
resource gets no status write. Handlers call these; the kube adapter sends the patch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from budgetwarden.core import conventions as c
from budgetwarden.core.conditions import Condition, find_condition, set_conditions
from budgetwarden.core.errors import SpecError


def status_patch(
    current: Mapping[str, Any] | None,
    *,
    generation: int,
    conditions: Sequence[Condition],
    fields: Mapping[str, Any] | None = None,
    now: datetime,
) -> dict[str, Any] | None:
    """The status merge patch for these conditions and fields; None when nothing changes."""
    current = current or {}
    desired: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": set_conditions(
            current.get("conditions") or [], conditions, generation=generation, now=now
        ),
        **(fields or {}),
    }
    patch = {key: value for key, value in desired.items() if current.get(key) != value}
    return patch or None


# --- SLO -------------------------------------------------------------------------------------
def slo_rules_applied(rule_ref: str) -> list[Condition]:
    """The SLO's rules are in place as PrometheusRule `rule_ref` ("namespace/name")."""
    message = f"Rules are applied as PrometheusRule {rule_ref}."
    return [
        Condition(c.CONDITION_RULES_APPLIED, "True", c.REASON_RULES_APPLIED, message),
        Condition(c.CONDITION_READY, "True", c.REASON_RULES_APPLIED, message),
    ]


def slo_invalid(error: SpecError, current: Mapping[str, Any] | None) -> list[Condition]:
    """The spec cannot be used; rules applied for an earlier generation stay in place."""
    ready = Condition(c.CONDITION_READY, "False", c.REASON_INVALID_SPEC, spec_message(error))
    conditions = (current or {}).get("conditions") or []
    if find_condition(conditions, c.CONDITION_RULES_APPLIED) is not None:
        # RulesApplied keeps describing the rules still in place, with their generation.
        return [ready]
    never = "No rules were generated because the spec is invalid."
    return [Condition(c.CONDITION_RULES_APPLIED, "False", c.REASON_INVALID_SPEC, never), ready]


def slo_apply_failed(rule_ref: str, cause: str) -> list[Condition]:
    """The API server refused or could not take the PrometheusRule; the handler retries."""
    message = f"Could not apply PrometheusRule {rule_ref}: {cause}. Retrying with backoff."
    return [
        Condition(c.CONDITION_RULES_APPLIED, "False", c.REASON_APPLY_FAILED, message),
        Condition(c.CONDITION_READY, "False", c.REASON_APPLY_FAILED, message),
    ]


# --- ErrorBudgetPolicy and FreezeException ---------------------------------------------------
def spec_valid(kind: str) -> list[Condition]:
    """A policy or exception parsed cleanly."""
    message = f"The {kind} spec is valid."
    return [
        Condition(c.CONDITION_VALID, "True", c.REASON_SPEC_VALID, message),
        Condition(c.CONDITION_READY, "True", c.REASON_SPEC_VALID, message),
    ]


def spec_invalid(error: SpecError) -> list[Condition]:
    """A policy or exception that cannot be used as written."""
    message = spec_message(error)
    return [
        Condition(c.CONDITION_VALID, "False", c.REASON_INVALID_SPEC, message),
        Condition(c.CONDITION_READY, "False", c.REASON_INVALID_SPEC, message),
    ]


def spec_message(error: SpecError) -> str:
    """One sentence naming every bad field: `spec.objective: must be below 100; got "100".`"""
    text = str(error).rstrip(".")
    return f"Invalid spec: {text}."
