"""Pure builders of the status the handlers write: which conditions an outcome sets, and the
merge patch that brings `status` there (or None when status already says so).

Returning None for "nothing to change" is what keeps a restart quiet: a resumed, unchanged
resource gets no status write. Handlers call these; the kube adapter sends the patch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, set_conditions
from budgetwarden.core.kernel.errors import SpecError


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
