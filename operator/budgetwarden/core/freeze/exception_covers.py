"""Selector targets resolved to names, once: what `status.covers` of a FreezeException records.

An approver who writes a selector approves the workloads it matches at that moment. Matching at
admission time instead would let anyone who may label a workload (a metadata change, allowed
during every freeze) bring it under the exception and ship a new version through it. So the
exception handler (handlers/exception.py, runtime/exception_covers.py) lists the namespace's
workloads the first time it sees an exception with selector targets, and records the names
`resolve_covers` gives; admission, enforcement and the drift watch then let a selector target
through for those names only (core/freeze/view.py), and an exception whose status records
nothing yet covers nothing by selector. Name targets need no record. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.workload import Workload
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import TargetKind

COVERS = "covers"  # the status field


def selector_kinds(exception: FreezeException) -> list[TargetKind]:
    """The kinds the exception's selector targets choose from, each once, in target order."""
    kinds = [t.kind for t in exception.spec.targets if t.selector is not None]
    return list(dict.fromkeys(kinds))


def needs_covers(exception: FreezeException, status: object, now: datetime) -> bool:
    """True when the exception has selector targets, is in force, and has nothing recorded."""
    if isinstance(status, Mapping) and COVERS in status:
        return False  # recorded once, never again: a later label must not widen it
    expires = exception.spec.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return bool(selector_kinds(exception)) and expires > now


def resolve_covers(
    exception: FreezeException, workloads: Iterable[Workload]
) -> list[dict[str, Any]]:
    """status.covers: the workloads of the exception's namespace its selectors match now."""
    selectors = [(t.kind, t.selector) for t in exception.spec.targets if t.selector is not None]
    matched = {
        (w.kind.value, w.name)
        for w in workloads
        if w.namespace == exception.metadata.namespace
        and any(kind is w.kind and selector_matches(s, w.labels) for kind, s in selectors)
    }
    return [{"kind": kind, "name": name} for kind, name in sorted(matched)]
