"""The AdmissionReview wire of the workload webhook: reading requests, shaping responses.

core/freeze/admission.py's `decide` calls `parse_review` to get the parts of a request a decision
reads (or the decision for a body it need not judge: not an AdmissionReview, a kind budgetwarden
does not guard, a subresource other than a Rollout's status), and its `respond` calls
`request_uid` and `review_response`. runtime/admission.py calls `request_uid`,
`review_namespace` and `review_response` through core/freeze/admission.py, which re-exports them.
Nothing here raises on any input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.admission_decision import AdmissionDecision, Reason
from budgetwarden.core.freeze.rollout_status import STATUS_SUBRESOURCE
from budgetwarden.core.freeze.view import WorkloadRef
from budgetwarden.core.freeze.workload_diff import ChangeKind, as_mapping

ADMISSION_API_VERSION = "admission.k8s.io/v1"
ADMISSION_REVIEW_KIND = "AdmissionReview"
GUARDED_KINDS = frozenset({("argoproj.io", "Rollout"), ("apps", "Deployment")})
DENIED_STATUS_REASON = "Forbidden"  # metav1.StatusReason: kubectl prints "(Forbidden)"


@dataclass(frozen=True)
class ReviewRequest:
    """The parts of an AdmissionReview request a decision reads."""

    ref: WorkloadRef
    old: Mapping[str, Any] | None  # None on CREATE (and on a DELETE without oldObject)
    new: Mapping[str, Any] | None  # None on DELETE
    username: str
    subresource: str = ""  # "status" for a Rollout's status (core/freeze/rollout_status.py)


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


def parse_review(review: object) -> ReviewRequest | AdmissionDecision:
    """The request to judge, or the decision for a body that needs no judging."""
    request = as_mapping(as_mapping(review).get("request"))
    if not request:
        return _not_checked("the body is not an AdmissionReview with a request")
    kind = as_mapping(request.get("kind"))
    group, name = _str(kind.get("group")), _str(kind.get("kind"))
    if (group, name) not in GUARDED_KINDS:
        shown = text.clip(f"{group or 'core'}/{name or '(none)'}", 80)
        return _not_checked(f"{shown} is not a kind budgetwarden guards")
    subresource = _str(request.get("subResource"))
    if subresource and (name, subresource) != ("Rollout", STATUS_SUBRESOURCE):
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
    return ReviewRequest(ref, old, new, username, subresource)


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
