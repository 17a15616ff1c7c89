"""Admission decisions for Rollouts, Deployments and StatefulSets under error-budget freezes.

The validating webhook hands `respond` each AdmissionReview body it receives, with the
`FreezeView` it caches for the request's namespace, its own username and `now`, and sends back the
dict it gets. Rules (DESIGN.md §4, research/anchors-enforcement.md §7):

- Normal: allow. Warning: allow; a new version gets a warning. Unknown (no level yet): allow; a
  new version gets a warning that it was not checked.
- PartialFreeze and FullFreeze block new versions: pod template or workloadRef changes, and new
  workloads (a brand-new workload ships new code just as an update does). They also block
  resuming a workload budgetwarden paused. An unexpired FreezeException naming the workload, with
  maxLevel at or above the level, lets the change through with a warning that names it.
- Always allowed: rollbacks to the stable template the operator recorded, restarts, scaling,
  pausing, other spec fields, metadata, status, subresources, DELETE, and the operator's own user.
- Enforcement Warn turns a denial into a warning with the same text; DryRun allows silently and
  the decision records the denial it would have made. Dry-run requests get the same answer.
- A body that cannot be judged (not an AdmissionReview, no object, a kind we do not guard) is
  allowed with a warning, as failurePolicy Ignore would; nothing here raises on any input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze, WorkloadRef, covering_exception
from budgetwarden.core.freeze.workload_diff import (
    ChangeKind,
    annotations_of,
    as_mapping,
    change_facets,
    labels_of,
    most_significant,
)
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level, is_freeze, level_rank

ADMISSION_API_VERSION = "admission.k8s.io/v1"
ADMISSION_REVIEW_KIND = "AdmissionReview"
GUARDED_KINDS = frozenset(
    {("argoproj.io", "Rollout"), ("apps", "Deployment"), ("apps", "StatefulSet")}
)
DENIED_CODE = 403
DENIED_STATUS_REASON = "Forbidden"  # metav1.StatusReason: kubectl prints "(Forbidden)"


class Reason(StrEnum):
    """Why a decision came out as it did, strongest first (the first that applies wins)."""

    FROZEN = "Frozen"
    WARN_ONLY = "FrozenWarnOnly"
    DRY_RUN = "FrozenDryRun"
    EXCEPTION = "AllowedByException"
    BUDGET_WARNING = "BudgetWarning"
    BUDGET_UNKNOWN = "BudgetUnknown"
    ALLOWED_DURING_FREEZE = "AllowedDuringFreeze"
    NOT_FROZEN = "NotFrozen"
    OWN_CHANGE = "OwnChange"
    SUBRESOURCE = "Subresource"
    NOT_CHECKED = "NotChecked"


_PRECEDENCE = tuple(Reason)


@dataclass(frozen=True)
class AdmissionDecision:
    """What admission answers; `message` also holds the denial a Warn/DryRun policy would make."""

    allowed: bool
    reason_code: Reason
    status_code: int = 200
    message: str = ""
    warnings: tuple[str, ...] = ()
    exception_used: str | None = None
    dry_run: bool = False  # a DryRun policy would have denied this
    change: ChangeKind = ChangeKind.NONE
    freeze_id: str = ""


@dataclass(frozen=True)
class _Request:
    """The parts of an AdmissionReview request a decision reads."""

    ref: WorkloadRef
    old: Mapping[str, Any] | None  # None on CREATE (and on a DELETE without oldObject)
    new: Mapping[str, Any] | None  # None on DELETE
    username: str


@dataclass(frozen=True)
class _Subject:
    """The workload a request is about and what the request does to it."""

    ref: WorkloadRef
    facets: frozenset[ChangeKind]
    labels: tuple[dict[str, str], ...]  # old and new labels: a policy selecting either holds
    exception_labels: dict[str, str]  # the existing workload's labels (the new ones on CREATE)
    paused_by_us: bool


@dataclass(frozen=True)
class _Verdict:
    """One policy's view of the request."""

    policy: PolicyFreeze
    reason: Reason
    denial: str = ""
    warning: str = ""
    exception: str | None = None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _not_checked(detail: str) -> AdmissionDecision:
    warning = text.not_checked_warning(detail)
    return AdmissionDecision(True, Reason.NOT_CHECKED, warnings=(warning,))


_Objects = tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]


def _objects(request: Mapping[str, Any]) -> _Objects | str:
    """(old, new) for the operation, or what is missing."""
    operation = _str(request.get("operation"))
    old, new = request.get("oldObject"), request.get("object")
    old_map = old if isinstance(old, Mapping) else None
    new_map = new if isinstance(new, Mapping) else None
    if operation == "DELETE":
        return old_map, None
    if operation not in ("CREATE", "UPDATE"):
        shown = text.clip(operation, 16) or "(none)"
        return f"operation {shown} is not one budgetwarden judges"
    if new_map is None or (operation == "UPDATE" and old_map is None):
        return f"the {operation} request carries no object to compare"
    return (None if operation == "CREATE" else old_map), new_map


def _parse(review: object) -> _Request | AdmissionDecision:
    request = as_mapping(as_mapping(review).get("request"))
    if not request:
        return _not_checked("the body is not an AdmissionReview with a request")
    kind = as_mapping(request.get("kind"))
    group, name = _str(kind.get("group")), _str(kind.get("kind"))
    if (group, name) not in GUARDED_KINDS:
        shown = text.clip(f"{group or 'core'}/{name or '(none)'}", 80)
        return _not_checked(f"{shown} is not a kind budgetwarden guards")
    if subresource := _str(request.get("subResource")):
        change = ChangeKind.SCALE if subresource == "scale" else ChangeKind.STATUS
        return AdmissionDecision(True, Reason.SUBRESOURCE, change=change)
    objects = _objects(request)
    if isinstance(objects, str):
        return _not_checked(objects)
    old, new = objects
    meta = as_mapping(as_mapping(old if old is not None else new).get("metadata"))
    namespace = _str(request.get("namespace")) or _str(meta.get("namespace"))
    ref = WorkloadRef(namespace, name, _str(request.get("name")) or _str(meta.get("name")))
    username = _str(as_mapping(request.get("userInfo")).get("username"))
    return _Request(ref, old, new, username)


def _subject(request: _Request, policies: Sequence[PolicyFreeze]) -> _Subject:
    """What the request does, told apart with the policies' records of the workload."""
    held = [h for p in policies if (h := p.holds(request.ref)) is not None]
    stable = next((h.stable_template for h in held if h.stable_template), "")
    paused = bool(annotations_of(request.old).get(ANNOTATION_PAUSED_BY))
    old, new = request.old, request.new
    if old is not None and new is not None:
        facets = change_facets(old, new, stable)
    else:
        facets = frozenset({ChangeKind.DELETE if new is None else ChangeKind.CREATE})
    current = labels_of(old if old is not None else new)
    return _Subject(
        ref=request.ref,
        facets=facets,
        labels=(labels_of(old), labels_of(new)),
        exception_labels=current,
        paused_by_us=paused or any(h.paused_by_us for h in held),
    )


# --- Deciding --------------------------------------------------------------------------------
def _blocked(subject: _Subject) -> str:
    """What a freeze refuses in this request; "" when nothing."""
    if ChangeKind.CREATE in subject.facets:
        return text.BLOCKED_CREATE
    if ChangeKind.TEMPLATE in subject.facets:
        return text.BLOCKED_TEMPLATE
    if ChangeKind.UNPAUSE in subject.facets and subject.paused_by_us:
        return text.BLOCKED_UNPAUSE
    return ""


def _judge(
    policy: PolicyFreeze, subject: _Subject, blocked: str, view: FreezeView, now: datetime
) -> _Verdict:
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
    if not blocked:
        return _Verdict(policy, Reason.ALLOWED_DURING_FREEZE)
    exception = covering_exception(
        view.exceptions, policy.level, subject.ref, subject.exception_labels, now
    )
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
    review: object, view: FreezeView, *, operator_username: str, now: datetime
) -> AdmissionDecision:
    """Judge one AdmissionReview body against the namespace's cached freeze state."""
    request = _parse(review)
    if isinstance(request, AdmissionDecision):
        return request
    subject = _subject(request, view.policies)
    change = most_significant(subject.facets)
    if operator_username and request.username == operator_username:
        return AdmissionDecision(True, Reason.OWN_CHANGE, change=change)
    policies = sorted(
        (
            p
            for p in view.policies
            if p.level != Level.NORMAL and p.selects(subject.ref, subject.labels)
        ),
        key=lambda p: (-level_rank(p.level), p.policy),
    )
    blocked = _blocked(subject)
    return _combine([_judge(p, subject, blocked, view, now) for p in policies], change)


# --- The wire --------------------------------------------------------------------------------
def request_uid(review: object) -> str:
    """The request's uid, to echo back; "" when the body has none."""
    return _str(as_mapping(as_mapping(review).get("request")).get("uid"))


def review_namespace(review: object) -> str:
    """The namespace a request is about, to pick the FreezeView; "" when unknown."""
    return _str(as_mapping(as_mapping(review).get("request")).get("namespace"))


def review_response(request_uid: str, decision: AdmissionDecision) -> dict[str, Any]:
    """The AdmissionReview v1 response body for a decision."""
    response: dict[str, Any] = {"uid": request_uid, "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {
            "code": decision.status_code,
            "message": decision.message,
            "reason": DENIED_STATUS_REASON,
        }
    if decision.warnings:
        response["warnings"] = list(decision.warnings)
    if decision.freeze_id:
        # The audit log then records every decision a freeze touched, DryRun ones included.
        notes = {"decision": decision.reason_code.value, "freeze-id": decision.freeze_id}
        if decision.exception_used:
            notes["exception"] = decision.exception_used
        response["auditAnnotations"] = notes
    return {
        "apiVersion": ADMISSION_API_VERSION,
        "kind": ADMISSION_REVIEW_KIND,
        "response": response,
    }


def respond(
    review: object, view: FreezeView, *, operator_username: str, now: datetime
) -> dict[str, Any]:
    """decide() and review_response() in one: the body to send back for `review`."""
    decision = decide(review, view, operator_username=operator_username, now=now)
    return review_response(request_uid(review), decision)
