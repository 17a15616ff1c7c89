"""The one builder of status writes, and the conditions every resource's handler shares.

Every writer of status (the SLO, policy and exception handlers, the poller for SLOs and
policies) computes its write with `status_patch`: the conditions it owns set into the current
list (transition times move only when a status flips), its fields merged in, and the result a
JSON merge patch against the status it read, or None when status already says so. Returning None
is what keeps a restart quiet. The kube adapter sends the patch with the resourceVersion the
status was read at, so a write computed from a stale read fails with a conflict instead of
replacing the conditions another writer just set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, set_conditions
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.wire import merge_diff


def status_patch(
    current: Mapping[str, Any] | None,
    *,
    generation: int,
    conditions: Sequence[Condition],
    fields: Mapping[str, Any] | None = None,
    now: datetime,
    observe_generation: bool = True,
) -> dict[str, Any] | None:
    """The status merge patch for these conditions and fields; None when nothing changes.

    `generation` goes into each condition; with `observe_generation` (the resource handler's
    writes) also into status.observedGeneration, which only that handler owns.
    """
    current = current or {}
    desired: dict[str, Any] = {"observedGeneration": generation} if observe_generation else {}
    existing = current.get("conditions") or []
    desired["conditions"] = set_conditions(existing, conditions, generation=generation, now=now)
    desired.update(fields or {})
    return merge_diff(current, desired) or None


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
