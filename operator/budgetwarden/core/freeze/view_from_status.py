"""The `FreezeView` admission reads, built from policies' specs and statuses and exceptions.

The webhook's reviewers and the VAP params sync (budgetwarden.runtime) call `freeze_view` with
the ErrorBudgetPolicies and FreezeExceptions of one namespace as the operator's registry holds
them (the poller writes the status; the watch brings it back), and cache the result until the
registry changes, so a decision reads only memory; `budgetwarden status` and `explain` build the
same view from a listing.

Status is read through `PolicyStatus.read` (core/policy/status_model.py), which is lenient: a status
this version cannot read (missing, an unknown level, a malformed number) gives Unknown or "no
reading" rather than an error, because admission must answer every request. FreezeExceptions without
`spec.approvedBy` are left out: the approver is recorded by budgetwarden's own admission, so an
exception that lacks it never passed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.kernel.levels import Level, is_freeze, level_rank, threshold_of
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status_model import PolicyStatus, SLOLevel


def _deciding_slo(level: Level, slos: Sequence[SLOLevel]) -> SLOLevel | None:
    """The SLO status.slos shows at the policy's level (else the worst), least budget first."""
    if not slos:
        return None
    at_level = [slo for slo in slos if slo.level == level]

    def order(slo: SLOLevel) -> tuple[int, bool, Decimal, str]:
        remaining = slo.remaining_percent
        return (-level_rank(slo.level), remaining is None, remaining or Decimal(0), slo.name)

    return min(at_level or slos, key=order)


def _crossed_threshold(
    level: Level, remaining: Decimal | None, policy: ErrorBudgetPolicy
) -> Decimal | None:
    """The level's threshold when the budget is below it; None when a burn-rate trigger froze
    with budget still above the threshold, so the message never says "99% left (below 10%)"."""
    threshold = threshold_of(level, policy.spec.levels)
    if threshold is None or remaining is None or remaining >= threshold:
        return None
    return threshold


def policy_freeze(
    policy: ErrorBudgetPolicy, status: object, runbooks: RunbookLinks = SHIPPED_RUNBOOKS
) -> PolicyFreeze:
    """One policy as admission sees it: its spec's targets and enforcement, its status' level,
    and the freeze runbook its denials link."""
    read = PolicyStatus.read(status)
    level = read.level or Level.UNKNOWN
    deciding = _deciding_slo(level, read.slos)
    remaining = deciding.remaining_percent if deciding is not None else None
    threshold = _crossed_threshold(level, remaining, policy)
    cause = read.reason if is_freeze(level) and remaining is not None and threshold is None else ""
    hold = policy.spec.hysteresis.minimum_hold
    return PolicyFreeze(
        policy=policy.metadata.name,
        level=level,
        targets=policy.spec.targets,
        enforcement=policy.spec.enforcement,
        freeze_id=read.freeze_id,
        since=read.since,
        slo=deciding.name if deciding is not None else "",
        remaining_percent=remaining,
        threshold_percent=threshold,
        runbook_url=runbooks.freeze,
        held=read.held_targets,
        cause=cause,
        earliest_thaw=read.since + hold if cause and read.since is not None else None,
        resources_at_partial=policy.spec.lets_resources_through(Level.PARTIAL_FREEZE),
    )


def freeze_view(
    policies: Iterable[tuple[ErrorBudgetPolicy, object]],
    exceptions: Iterable[FreezeException],
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> FreezeView:
    """The view of one namespace: each (policy, status) pair and the approved exceptions."""
    return FreezeView(
        policies=tuple(
            policy_freeze(policy, status, runbooks)
            for policy, status in sorted(policies, key=lambda pair: pair[0].metadata.name)
        ),
        exceptions=tuple(e for e in exceptions if e.spec.approved_by),
    )
