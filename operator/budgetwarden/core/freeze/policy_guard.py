"""Policies in force: during a freeze an ErrorBudgetPolicy is not weakened and not deleted.

The webhook server hands `decide` each AdmissionReview /validate/errorbudgetpolicies receives
(UPDATE and DELETE of ErrorBudgetPolicies in enforced namespaces, only when the spec changed or
the policy goes: core/freeze/webhook_config.py), with the operator's own user name; `respond`
shapes the answer. In VAP mode core/freeze/vap_policy_guard.py says the same in CEL, with the same
text (`in_force_message`).

Rules (docs/security.md, "Policies in force", has the threat):
- A policy is in force while its old object's `status.level` is PartialFreeze or FullFreeze. The
  status is the operator's alone (the status subresource; only the operator's role has
  `errorbudgetpolicies/status`), so whoever edits the spec cannot thaw it there first.
- In force, a change that weakens it (core/freeze/policy_weakening.py) is refused, naming every
  field that does, and so is deleting it. Strengthening and neutral changes go through.
- The operator's own user always passes, and so does a DELETE by kube-controller-manager or a
  kube-system ServiceAccount (the namespace and garbage collectors), so a namespace can go.
- Holders of the breakglass verb never get here when the cluster enables break glass: the API
  server skips the webhook for them (a match condition), as for workloads.
- Status writes are not judged. A body this cannot read is allowed with a warning, as the
  workload webhook does; the entry's failurePolicy is the workload webhook's.
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.admission_decision import AdmissionDecision, Reason
from budgetwarden.core.freeze.admission_review import request_uid, review_response
from budgetwarden.core.freeze.policy_weakening import weakened
from budgetwarden.core.freeze.workload_diff import as_mapping
from budgetwarden.core.kernel import conventions as c

FREEZES: Final = ("PartialFreeze", "FullFreeze")
# Who deletes what is left of a namespace being deleted (and garbage): never judged on DELETE.
COLLECTORS: Final = ("system:kube-controller-manager",)
COLLECTOR_GROUP: Final = "system:serviceaccounts:kube-system"
ALLOWED: Final = (
    "changes that strengthen it (stricter enforcement, more targets, higher thresholds),"
    " notify and metadata"
)
HOW: Final = (
    "To ship through the freeze, an approver creates a FreezeException; to weaken or delete the"
    " policy, wait for the thaw"
)
RUNBOOK: Final = c.runbook_url(c.RUNBOOK_FREEZE)
DELETING: Final = "deleting it would lift the freeze"


def refusal(fields: tuple[str, ...]) -> str:
    """What is refused: deleting (no fields) or changing the fields that weaken the policy."""
    return f"changing {', '.join(fields)} would weaken it" if fields else DELETING


def in_force_message(
    name: str, level: str, since: str, refused: str, runbook: str = RUNBOOK
) -> str:
    """The one-line denial; VAP mode builds the same text in CEL."""
    when = f" since {text.clip(since, 64)}" if since else ""
    return (
        f"{text.PREFIX} ErrorBudgetPolicy {text.clip(name, 63)} is in force ({level}{when}):"
        f" {refused}. Allowed during the freeze: {ALLOWED}. {HOW} (runbook: {runbook})."
    )


@dataclass(frozen=True)
class _Request:
    operation: str  # UPDATE or DELETE
    old: Mapping[str, Any]
    new: Mapping[str, Any]  # empty on DELETE
    username: str
    groups: tuple[str, ...]


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _not_checked(detail: str) -> AdmissionDecision:
    return AdmissionDecision(True, Reason.NOT_CHECKED, warnings=(text.not_checked_warning(detail),))


def _parse(review: object) -> _Request | AdmissionDecision:
    """The request to judge, or the answer to a body that needs no judging."""
    request = as_mapping(as_mapping(review).get("request"))
    if not request:
        return _not_checked("the body is not an AdmissionReview with a request")
    kind = as_mapping(request.get("kind"))
    group, name = _str(kind.get("group")), _str(kind.get("kind"))
    if (group, name) != (c.GROUP, c.KIND_POLICY):
        return _not_checked(
            f"{text.clip(group or 'core', 40)}/{text.clip(name, 40)} is not a policy"
        )
    if _str(request.get("subResource")):
        return AdmissionDecision(True, Reason.SUBRESOURCE)
    operation = _str(request.get("operation"))
    if operation not in ("UPDATE", "DELETE"):
        shown = text.clip(operation, 16) or "(none)"
        return _not_checked(f"operation {shown} is not one the policy guard judges")
    old, new = as_mapping(request.get("oldObject")), as_mapping(request.get("object"))
    if not old or (operation == "UPDATE" and not new):
        return _not_checked(f"the {operation} request carries no object to compare")
    user = as_mapping(request.get("userInfo"))
    groups = user.get("groups")
    groups = tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else ()
    return _Request(
        operation, old, new if operation == "UPDATE" else {}, _str(user.get("username")), groups
    )


def _exempt(request: _Request, operator_username: str) -> bool:
    if operator_username and request.username == operator_username:
        return True
    collector = request.username in COLLECTORS or COLLECTOR_GROUP in request.groups
    return request.operation == "DELETE" and collector


def decide(
    review: object, *, operator_username: str = "", runbook: str = RUNBOOK
) -> AdmissionDecision:
    """Refuse weakening or deleting a frozen ErrorBudgetPolicy; allow everything else. The
    denial links `runbook`, the freeze page under the operator's runbook base URL."""
    request = _parse(review)
    if isinstance(request, AdmissionDecision):
        return request
    if _exempt(request, operator_username):
        return AdmissionDecision(True, Reason.OWN_CHANGE)
    status = as_mapping(request.old.get("status"))
    level = _str(status.get("level"))
    if level not in FREEZES:
        return AdmissionDecision(True, Reason.NOT_FROZEN)
    freeze_id = text.clip(_str(status.get("freezeId")), 64)
    if request.operation == "UPDATE":
        old_spec, new_spec = (
            as_mapping(request.old.get("spec")),
            as_mapping(request.new.get("spec")),
        )
        fields = weakened(old_spec, new_spec)
        if not fields:
            return AdmissionDecision(True, Reason.ALLOWED_DURING_FREEZE, freeze_id=freeze_id)
    else:
        fields = ()
    name = _str(as_mapping(request.old.get("metadata")).get("name"))
    message = in_force_message(name, level, _str(status.get("since")), refusal(fields), runbook)
    return AdmissionDecision(False, Reason.FROZEN, 403, message, freeze_id=freeze_id)


def respond(review: object, *, operator_username: str = "") -> dict[str, Any]:
    """The AdmissionReview response to one request."""
    return review_response(request_uid(review), decide(review, operator_username=operator_username))
