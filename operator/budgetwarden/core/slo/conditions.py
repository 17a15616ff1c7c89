"""The conditions the SLO handler sets: rules applied, a spec that cannot be used, an apply that
failed. Pure; handlers record them with the kernel's status builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, find_condition
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.status import spec_message


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
