"""Kubernetes-style status conditions on our resources, kept in their wire form (a list of dicts).

The SLO, policy and exception handlers (and later the budget poller) describe what they found
as `Condition` values and call `set_condition` to merge one into the current list. The rules are
the ones prometheus-operator and Argo Rollouts follow: `lastTransitionTime` moves only when the
status flips, every condition records the generation it describes, reasons are one CamelCase
word with a runbook page each (runbooks/reasons/<Reason>.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from budgetwarden.core.kernel.wire import format_time

REASON_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# metav1.Condition caps messages at 32768 characters; stay well below so status stays readable.
MAX_MESSAGE_LENGTH = 4096

Status = Literal["True", "False", "Unknown"]


@dataclass(frozen=True)
class Condition:
    """What a controller concluded about one aspect of a resource, and why."""

    type: str
    status: Status
    reason: str
    message: str

    def __post_init__(self) -> None:
        if not REASON_PATTERN.fullmatch(self.reason):
            raise ValueError(f"condition reasons are one CamelCase word; got {self.reason!r}")


def find_condition(conditions: Sequence[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    """The condition of this type in a wire-form list, or None."""
    return next((c for c in conditions if c.get("type") == type_), None)


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    condition: Condition,
    *,
    generation: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return the list with `condition` set; its transition time moves only if the status flips."""
    existing = find_condition(conditions, condition.type)
    transition = format_time(now)
    if existing is not None and existing.get("status") == condition.status:
        transition = existing.get("lastTransitionTime") or transition
    entry: dict[str, Any] = {
        "type": condition.type,
        "status": condition.status,
        "reason": condition.reason,
        "message": _clip(condition.message),
        "lastTransitionTime": transition,
        "observedGeneration": generation,
    }
    merged = [entry if c is existing else dict(c) for c in conditions]
    return merged if existing is not None else [*merged, entry]


def set_conditions(
    conditions: Sequence[Mapping[str, Any]],
    updates: Sequence[Condition],
    *,
    generation: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Set several conditions in order; see `set_condition`."""
    merged = [dict(c) for c in conditions]
    for condition in updates:
        merged = set_condition(merged, condition, generation=generation, now=now)
    return merged


def conditions_hold(
    conditions: Sequence[Mapping[str, Any]], updates: Sequence[Condition], *, generation: int
) -> bool:
    """Whether `set_conditions` would leave `conditions` as they are, for updates of distinct
    types (as every caller sets them): each update is already there, as the first of its type,
    with its status, reason, message and generation, a transition time and nothing else. The
    poller asks this of 10,000 SLOs on every poll; it builds nothing."""
    for condition in updates:
        existing = find_condition(conditions, condition.type)
        if (
            existing is None
            or len(existing) != len(_WIRE_KEYS)
            or existing.get("status") != condition.status
            or existing.get("reason") != condition.reason
            or existing.get("message") != _clip(condition.message)
            or existing.get("observedGeneration") != generation
            or not existing.get("lastTransitionTime")
        ):
            return False
    return True


# The keys `set_condition` writes.
_WIRE_KEYS = ("type", "status", "reason", "message", "lastTransitionTime", "observedGeneration")


def _clip(message: str) -> str:
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    return message[: MAX_MESSAGE_LENGTH - 1] + "…"
