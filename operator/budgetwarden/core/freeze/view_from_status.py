"""The `FreezeView` admission reads, built from policies' specs and statuses and exceptions.

handlers/webhook.py calls `freeze_view` with the ErrorBudgetPolicies and FreezeExceptions of one
namespace as the operator's registry holds them (the poller writes the status; the watch brings
it back), and caches the result until the registry changes. So a decision reads only memory.

Reading status is lenient: a status this version cannot read (missing, an unknown level, a
malformed number) gives Unknown or "no reading" rather than an error, because admission must
answer every request. FreezeExceptions without `spec.approvedBy` are left out: the approver is
recorded by budgetwarden's own admission, so an exception that lacks it never passed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.kernel.levels import Level, level_rank, threshold_of
from budgetwarden.core.kernel.wire import parse_time
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status import HeldTarget


def _level(value: object) -> Level:
    try:
        return Level(str(value))
    except ValueError:
        return Level.UNKNOWN


def _decimal(value: object) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _entries(status: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = status.get(key)
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _deciding_slo(level: Level, status: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    """The SLO status.slos shows at the policy's level (else the worst), least budget first."""
    slos = [e for e in _entries(status, "slos") if isinstance(e.get("name"), str)]
    if not slos:
        return "", None
    at_level = [e for e in slos if _level(e.get("level")) == level]

    def order(entry: Mapping[str, Any]) -> tuple[int, bool, Decimal, str]:
        remaining = _decimal(entry.get("remainingPercent"))
        rank = -level_rank(_level(entry.get("level")))
        return (rank, remaining is None, remaining or Decimal(0), str(entry["name"]))

    chosen = min(at_level or slos, key=order)
    return str(chosen["name"]), _decimal(chosen.get("remainingPercent"))


def held_workloads(status: Mapping[str, Any]) -> tuple[HeldTarget, ...]:
    """status.heldTargets, with the stable template digests rollbacks are recognised by."""
    return tuple(
        HeldTarget(
            kind=str(entry["kind"]),
            name=str(entry["name"]),
            paused_by_us=entry.get("pausedByUs") is True,
            stable_template=str(entry.get("stableTemplate") or ""),
        )
        for entry in _entries(status, "heldTargets")
        if entry.get("kind") and entry.get("name")
    )


def _crossed_threshold(
    level: Level, remaining: Decimal | None, policy: ErrorBudgetPolicy
) -> Decimal | None:
    """The level's threshold when the budget is below it; None when a burn-rate trigger froze
    with budget still above the threshold, so the message never says "99% left (below 10%)"."""
    threshold = threshold_of(level, policy.spec.levels)
    if threshold is None or remaining is None or remaining >= threshold:
        return None
    return threshold


def policy_freeze(policy: ErrorBudgetPolicy, status: Mapping[str, Any] | None) -> PolicyFreeze:
    """One policy as admission sees it: its spec's targets and enforcement, its status' level."""
    status = status or {}
    level = _level(status.get("level")) if status.get("level") else Level.UNKNOWN
    slo, remaining = _deciding_slo(level, status)
    freeze_id = status.get("freezeId")
    return PolicyFreeze(
        policy=policy.metadata.name,
        level=level,
        targets=policy.spec.targets,
        enforcement=policy.spec.enforcement,
        freeze_id=freeze_id if isinstance(freeze_id, str) else "",
        since=parse_time(status.get("since")),
        slo=slo,
        remaining_percent=remaining,
        threshold_percent=_crossed_threshold(level, remaining, policy),
        held=held_workloads(status),
    )


def freeze_view(
    policies: Iterable[tuple[ErrorBudgetPolicy, Mapping[str, Any] | None]],
    exceptions: Iterable[FreezeException],
) -> FreezeView:
    """The view of one namespace: each (policy, status) pair and the approved exceptions."""
    return FreezeView(
        policies=tuple(
            policy_freeze(policy, status)
            for policy, status in sorted(policies, key=lambda pair: pair[0].metadata.name)
        ),
        exceptions=tuple(e for e in exceptions if e.spec.approved_by),
    )
