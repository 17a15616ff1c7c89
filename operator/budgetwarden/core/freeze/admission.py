"""Admission decisions for Rollouts and Deployments under error-budget freezes.

The validating webhook hands `respond` each AdmissionReview body it receives, with the
`FreezeView` it caches for the request's namespace, its own username and `now`, and sends back the
dict it gets. Rules (DESIGN.md §4, research/anchors-enforcement.md §7):

- Normal: allow. Warning: allow; a new version gets a warning. Unknown (no level yet): allow; a
  new version gets a warning that it was not checked.
- PartialFreeze and FullFreeze block new versions: pod template or workloadRef changes, and new
  workloads (a brand-new workload ships new code just as an update does). They also block
  resuming a workload budgetwarden paused, promoting, resuming or retrying a Rollout they hold
  through its status subresource (core/freeze/rollout_status.py; the Argo Rollouts controller,
  `status_writers`, is never judged), changing its budgetwarden.io annotations (the
  operator's record of the freeze), and label changes that take a workload the freeze holds out
  of its policy's targets. An unexpired FreezeException naming the workload (or
  whose selector matched it when the operator recorded the exception's `status.covers`), with
  maxLevel at or above the level, lets the change through with a warning that names it.
- A change of only container resources (requests, limits) passes a PartialFreeze whose policy
  lets it (spec.resourceChanges AllowedAtPartialFreeze, the default): raising a limit is the first
  mitigation of resource exhaustion and ships no new code. FullFreeze refuses it as a new version.
- Always allowed: rollbacks to the stable template the operator recorded, restarts, scaling,
  pausing, other spec fields, other metadata, other status writes, the scale subresource,
  DELETE, and the operator's own user.
- Enforcement Warn turns a denial into a warning with the same text; DryRun allows silently and
  the decision records the denial it would have made. Dry-run requests get the same answer.
- A body that cannot be judged (not an AdmissionReview, no object, a kind we do not guard) is
  allowed with a warning, as failurePolicy Ignore would; nothing here raises on any input.

This module decides. Reading the AdmissionReview and shaping the response are in
core/freeze/admission_review.py, the `Reason` and `AdmissionDecision` types in
core/freeze/admission_decision.py; the names callers use from them are re-exported here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.admission_decision import AdmissionDecision, Reason
from budgetwarden.core.freeze.admission_review import (
    ReviewRequest,
    parse_review,
    request_uid,
    review_namespace,
    review_response,
)
from budgetwarden.core.freeze.rollout_status import STATUS_SUBRESOURCE, promotes
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze, WorkloadRef, covering_exception
from budgetwarden.core.freeze.workload_diff import (
    ChangeKind,
    annotations_of,
    change_facets,
    labels_of,
    most_significant,
)
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level, is_freeze, level_rank

__all__ = [
    "DENIED_CODE",
    "AdmissionDecision",
    "Reason",
    "decide",
    "request_uid",
    "respond",
    "review_namespace",
    "review_response",
]

DENIED_CODE = 403
_PRECEDENCE = tuple(Reason)


@dataclass(frozen=True)
class _Subject:
    """The workload a request is about and what the request does to it."""

    ref: WorkloadRef
    facets: frozenset[ChangeKind]
    labels: tuple[dict[str, str], ...]  # old and new labels: a policy selecting either holds
    paused_by_us: bool
    releases: bool  # the new labels take it out of the targets of a freeze that holds it
    held: bool  # a freeze holds it (status.heldTargets)


@dataclass(frozen=True)
class _Verdict:
    """One policy's view of the request."""

    policy: PolicyFreeze
    reason: Reason
    denial: str = ""
    warning: str = ""
    exception: str | None = None


def _facets(request: ReviewRequest, stable: str, previous: str) -> frozenset[ChangeKind]:
    old, new = request.old, request.new
    if request.subresource == STATUS_SUBRESOURCE:
        return frozenset({ChangeKind.PROMOTE if promotes(old, new) else ChangeKind.STATUS})
    if old is not None and new is not None:
        return change_facets(old, new, stable, previous)
    return frozenset({ChangeKind.DELETE if new is None else ChangeKind.CREATE})


def _subject(request: ReviewRequest, policies: Sequence[PolicyFreeze]) -> _Subject:
    """What the request does, told apart with the policies' records of the workload."""
    held = [h for p in policies if (h := p.holds(request.ref)) is not None]
    stable = next((h.stable_template for h in held if h.stable_template), "")
    previous = next((h.previous_template for h in held if h.previous_template), "")
    paused = bool(annotations_of(request.old).get(ANNOTATION_PAUSED_BY))
    labels = (labels_of(request.old), labels_of(request.new))
    facets = _facets(request, stable, previous)
    return _Subject(
        ref=request.ref,
        facets=facets,
        labels=labels,
        paused_by_us=paused or any(h.paused_by_us and h.kind == request.ref.kind for h in held),
        releases=ChangeKind.RELABEL in facets
        and any(_releases(p, request.ref, *labels) for p in policies),
        held=any(is_freeze(p.level) and p.holds(request.ref) is not None for p in policies),
    )


def _releases(
    policy: PolicyFreeze, ref: WorkloadRef, old: dict[str, str], new: dict[str, str]
) -> bool:
    """True when a freeze holds the workload and its targets select the old labels only."""
    if not is_freeze(policy.level) or policy.holds(ref) is None:
        return False
    return policy.targets_select(ref, old) and not policy.targets_select(ref, new)


# --- Deciding --------------------------------------------------------------------------------
def _blocked(subject: _Subject, policy: PolicyFreeze) -> str:
    """What `policy`'s freeze refuses in this request; "" when nothing."""
    if ChangeKind.CREATE in subject.facets:
        return text.BLOCKED_CREATE
    if ChangeKind.TEMPLATE in subject.facets:
        return text.BLOCKED_TEMPLATE
    if ChangeKind.RESOURCES in subject.facets and not policy.lets_resources_through():
        return text.BLOCKED_TEMPLATE
    if ChangeKind.UNPAUSE in subject.facets and subject.paused_by_us:
        return text.BLOCKED_UNPAUSE
    if ChangeKind.PROMOTE in subject.facets and subject.held:
        return text.BLOCKED_PROMOTE
    if ChangeKind.MARKS in subject.facets and ChangeKind.ROLLBACK not in subject.facets:
        # `kubectl rollout undo` replaces a Deployment's annotations with its ReplicaSet's, marks
        # included; a rollback is always allowed, and the next poll writes the marks back.
        return text.BLOCKED_MARKS
    if subject.releases:
        return text.BLOCKED_RELABEL
    return ""


def _judge(policy: PolicyFreeze, subject: _Subject, view: FreezeView, now: datetime) -> _Verdict:
    new_version = bool({ChangeKind.CREATE, ChangeKind.TEMPLATE} & subject.facets)
    if policy.level == Level.UNKNOWN and new_version:
        return _Verdict(
            policy, Reason.BUDGET_UNKNOWN, warning=text.unknown_warning(policy, subject.ref)
        )
    if policy.level == Level.WARNING and new_version:
        return _Verdict(
            policy, Reason.BUDGET_WARNING, warning=text.budget_warning(policy, subject.ref)
        )
    if not is_freeze(policy.level):
        return _Verdict(policy, Reason.NOT_FROZEN)
    blocked = _blocked(subject, policy)
    if not blocked:
        return _Verdict(policy, Reason.ALLOWED_DURING_FREEZE)
    exception = covering_exception(view.exceptions, policy.level, subject.ref, now)
    if exception is not None:
        warning = text.exception_warning(policy, subject.ref, exception)
        return _Verdict(
            policy, Reason.EXCEPTION, warning=warning, exception=exception.metadata.name
        )
    denial = text.denial_message(policy, subject.ref, blocked)
    if policy.enforcement == "Warn":
        return _Verdict(policy, Reason.WARN_ONLY, denial=denial, warning=denial)
    mode = Reason.DRY_RUN if policy.enforcement == "DryRun" else Reason.FROZEN
    return _Verdict(policy, mode, denial=denial)


def _combine(verdicts: Sequence[_Verdict], change: ChangeKind) -> AdmissionDecision:
    if not verdicts:
        return AdmissionDecision(True, Reason.NOT_FROZEN, change=change)
    top = min(verdicts, key=lambda v: _PRECEDENCE.index(v.reason))  # first of the strongest
    if top.reason == Reason.FROZEN:
        return AdmissionDecision(
            False,
            Reason.FROZEN,
            DENIED_CODE,
            top.denial,
            change=change,
            freeze_id=top.policy.freeze_id,
        )
    return AdmissionDecision(
        allowed=True,
        reason_code=top.reason,
        message=top.denial or next((v.denial for v in verdicts if v.denial), ""),
        warnings=tuple(dict.fromkeys(v.warning for v in verdicts if v.warning)),
        exception_used=next((v.exception for v in verdicts if v.exception), None),
        dry_run=any(v.reason == Reason.DRY_RUN for v in verdicts),
        change=change,
        freeze_id=next(
            (v.policy.freeze_id for v in (top, *verdicts) if is_freeze(v.policy.level)), ""
        ),
    )


def decide(
    review: object,
    view: FreezeView,
    *,
    operator_username: str,
    now: datetime,
    status_writers: Collection[str] = (),
) -> AdmissionDecision:
    """Judge one AdmissionReview body against the namespace's cached freeze state.
    `status_writers` (the Argo Rollouts controller) write Rollout status unjudged."""
    request = parse_review(review)
    if isinstance(request, AdmissionDecision):
        return request
    if request.subresource == STATUS_SUBRESOURCE and request.username in status_writers:
        return AdmissionDecision(True, Reason.SUBRESOURCE, change=ChangeKind.STATUS)
    # view.holding: only a policy holding a workload tells its changes apart or is released
    subject = _subject(request, view.holding)
    change = most_significant(subject.facets)
    if operator_username and request.username == operator_username:
        return AdmissionDecision(True, Reason.OWN_CHANGE, change=change)
    # view.may_select: the engaged policies (a Normal one holding nothing never judges) whose
    # targets can select the workload, looked up rather than matched one by one
    policies = sorted(
        (
            p
            for p in view.may_select(subject.ref, subject.labels)
            if p.level != Level.NORMAL and p.selects(subject.ref, subject.labels)
        ),
        key=lambda p: (-level_rank(p.level), p.policy),
    )
    return _combine([_judge(p, subject, view, now) for p in policies], change)


# --- The wire (core/freeze/admission_review.py) ----------------------------------------------
def respond(
    review: object,
    view: FreezeView,
    *,
    operator_username: str,
    now: datetime,
    status_writers: Collection[str] = (),
) -> dict[str, Any]:
    """decide() and review_response() in one: the body to send back for `review`."""
    decision = decide(
        review, view, operator_username=operator_username, now=now, status_writers=status_writers
    )
    return review_response(request_uid(review), decision)
