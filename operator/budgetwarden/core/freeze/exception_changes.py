"""What an UPDATE may do to a FreezeException: end it sooner, under the changer's name.

core/freeze/exception_admission.py asks these on every UPDATE that touches the spec. An approver
approves what an exception says when they create it; letting anyone holding the approver role
change it afterwards would widen someone else's approval. So:
- `targets`, `maxLevel`, `reason` and `ticket` never change: a different permission is a new
  exception, with its own approver;
- `expiresAt` only moves earlier (ending it sooner, even into the past, revokes it); more time is
  a new exception, so no exception outlives the maximum lifetime counted from its creation;
- an exception that has expired does not change at all: it can only be deleted;
- the one admitted change records its maker as `spec.approvedBy` (the mutating webhook writes it,
  `shortens` says when), and `approvedBy` changes with nothing else never.
A change to metadata alone (labels, kopf's annotations, finalizers) is not judged. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from budgetwarden.core.freeze.admission_message import clip
from budgetwarden.core.freeze.exception_spec import Timestamp
from budgetwarden.core.freeze.workload_diff import as_mapping
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.wire import format_time

FIXED = ("targets", "maxLevel", "reason", "ticket")
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)


def spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object's spec as sent; empty when there is none."""
    return as_mapping(obj.get("spec"))


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The spec fields whose values differ between the two objects, in the spec's order."""
    before, after = spec_of(old), spec_of(new)
    return [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]


def expiry_of(obj: Mapping[str, Any]) -> datetime | None:
    """spec.expiresAt as a time, or None when it cannot be read."""
    try:
        return _TIMESTAMP.validate_python(spec_of(obj).get("expiresAt"))
    except ValidationError:
        return None


def shortens(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when the update moves expiresAt earlier and changes nothing else but approvedBy."""
    before, after = expiry_of(old), expiry_of(new)
    rest = set(changed_fields(old, new)) - {"expiresAt", "approvedBy"}
    return not rest and before is not None and after is not None and after < before


def _named(value: object) -> str:
    return f'"{clip(str(value), 256)}"' if value is not None else "nothing"


def _fixed(field: str) -> str:
    return (
        f"spec.{field}: cannot change once the FreezeException exists; only spec.expiresAt may"
        " move earlier, to end it sooner. Create a new FreezeException for anything else."
    )


def update_problem(
    old: Mapping[str, Any], new: Mapping[str, Any], username: str, now: datetime
) -> str | None:
    """Why this spec change is refused (the message without its prefix), or None."""
    changed = changed_fields(old, new)
    before, after = expiry_of(old), expiry_of(new)
    if before is not None and before <= now:
        return (
            f"spec.expiresAt: this FreezeException expired at {format_time(before)} (now is"
            f" {format_time(now)}) and can no longer change, only be deleted. Create a new"
            " FreezeException if it is still needed."
        )
    fixed = next((field for field in FIXED if field in changed), None)
    if fixed is not None:
        return _fixed(fixed)
    if before is not None and after is not None and after > before:
        return (
            "spec.expiresAt: may only move earlier on an existing FreezeException (it ends at"
            f" {format_time(before)}); got {format_time(after)}. For more time, create a new"
            " FreezeException."
        )
    return _approver_problem(old, new, username, shortened=shortens(old, new))


def _approver_problem(
    old: Mapping[str, Any], new: Mapping[str, Any], username: str, *, shortened: bool
) -> str | None:
    was, now_named = spec_of(old).get("approvedBy"), spec_of(new).get("approvedBy")
    if shortened and now_named != username:
        return (
            "spec.approvedBy: every change to a FreezeException records who makes it and must be"
            f" {_named(username)} (who is changing it); got {_named(now_named)}. Check that"
            f" MutatingWebhookConfiguration {c.WEBHOOK_CONFIGURATION_NAME} is installed."
        )
    if shortened or was == now_named or was is None:
        return None  # unchanged, or filled in where missing (the caller checks it is the user's)
    return (
        "spec.approvedBy: changes only together with an earlier spec.expiresAt, to whoever makes"
        f" that change; it is {_named(was)}, got {_named(now_named)}."
    )
