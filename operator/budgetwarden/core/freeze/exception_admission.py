"""Admission for FreezeExceptions: the approver is recorded from the request, lives are short,
and an exception changes only to end sooner.

The webhook server hands `mutate` each AdmissionReview that /mutate/freezeexceptions receives
and `validate` each one /validate/freezeexceptions receives, with `now`, the longest lifetime
an exception may have and whether ServiceAccounts may approve; `review_response` turns the
`ExceptionDecision` into the body to send.

Rules (docs/security.md has the threats they answer):
- CREATE records the creator as `spec.approvedBy` with a JSONPatch: RBAC decides who may create
  FreezeExceptions, so the creator is the approver, as the API server authenticated them. A
  name typed into the object is accepted only when it is that same user; any other is refused.
- `spec.expiresAt` must lie in the future and at most `max_ttl` (default 24h) from now; one
  minute of clock skew is tolerated so "now + 24h" computed on a laptop is not refused.
  Beyond the cap the request is refused with the latest time allowed: a silently shortened
  exception would expire in the middle of someone's fix.
- UPDATE (core/freeze/exception_changes.py): only `expiresAt` may change, and only to an earlier
  time, and not once the exception has expired; that change re-records `approvedBy` as whoever
  makes it (mutation writes it, validation checks it). A change to metadata alone is not judged.
- A ServiceAccount (`system:serviceaccount:...`) neither creates nor changes an exception unless
  the operator allows it (BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS): a controller bound
  broadly would otherwise approve whatever it is told to apply.
- Validation repeats the approver check after every mutating webhook has run, so nothing that
  runs between the two can put a forged name in.
- A body that is not a FreezeException CREATE or UPDATE is refused: these webhooks run with
  failurePolicy Fail, and an exception nobody checked must not come into being.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from budgetwarden.core.freeze.admission_message import PREFIX, clip
from budgetwarden.core.freeze.exception_changes import changed_fields, shortens, update_problem
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.workload_diff import as_mapping
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.wire import format_time

DEFAULT_MAX_TTL = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=1)
APPROVED_BY_PATH = "/spec/approvedBy"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
# Refusals by rule are Forbidden, as workload denials are: kubectl then prints our message
# whole ("Invalid" without field causes reads "The request is invalid"). A spec the model cannot
# read is a BadRequest.
FORBIDDEN = (403, "Forbidden")
BAD_REQUEST = (400, "BadRequest")


@dataclass(frozen=True)
class ExceptionDecision:
    """What admission answers about one FreezeException request."""

    allowed: bool
    status_code: int = 200
    status_reason: str = ""  # metav1.StatusReason; kubectl prints it as "(Forbidden)"
    message: str = ""
    patch: tuple[dict[str, Any], ...] = ()  # JSONPatch operations (mutate only)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Request:
    operation: str
    username: str
    new: Mapping[str, Any]
    old: Mapping[str, Any]  # empty on CREATE


def _refuse(kind: tuple[int, str], message: str) -> ExceptionDecision:
    return ExceptionDecision(False, kind[0], kind[1], f"{PREFIX} {message}")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _parse(review: object) -> _Request | ExceptionDecision:
    """The parts of the request these rules read, or the refusal of a body they cannot judge."""
    request = as_mapping(as_mapping(review).get("request"))
    kind = as_mapping(request.get("kind"))
    if (_text(kind.get("group")), _text(kind.get("kind"))) != (c.GROUP, c.KIND_EXCEPTION):
        return _refuse(BAD_REQUEST, "not an AdmissionReview about a FreezeException")
    operation = _text(request.get("operation"))
    new, old = as_mapping(request.get("object")), as_mapping(request.get("oldObject"))
    if operation not in ("CREATE", "UPDATE") or not new or (operation == "UPDATE" and not old):
        shown = clip(operation, 16) or "(none)"
        return _refuse(
            BAD_REQUEST,
            f"FreezeException admission judges CREATE and UPDATE with their objects; "
            f"got operation {shown}",
        )
    username = _text(as_mapping(request.get("userInfo")).get("username"))
    if not username:
        return _refuse(FORBIDDEN, "the request names no user to record as the approver")
    return _Request(operation, username, new, old)


def _approved_by(obj: Mapping[str, Any]) -> str | None:
    value = as_mapping(obj.get("spec")).get("approvedBy")
    return None if value is None else str(value)


def _forged(request: _Request) -> ExceptionDecision | None:
    """The refusal of an approvedBy that is not the requester's and was not there before."""
    typed, before = _approved_by(request.new), _approved_by(request.old)
    if typed is None or typed == request.username or typed == before:
        return None
    return _refuse(
        FORBIDDEN,
        f'spec.approvedBy: is recorded from the request and must be "{clip(request.username, 256)}"'
        f' (who is creating this FreezeException); got "{clip(typed, 256)}". Remove the field,'
        " or have that person create the exception.",
    )


def mutate(review: object) -> ExceptionDecision:
    """Record the requester as spec.approvedBy on CREATE and on an UPDATE that ends the
    exception sooner; refuse a different typed name."""
    request = _parse(review)
    if isinstance(request, ExceptionDecision):
        return request
    spec = request.new.get("spec")
    if not isinstance(spec, Mapping):
        return ExceptionDecision(True)  # a missing spec is the schema's to refuse
    recorded = spec.get("approvedBy")
    if request.operation == "UPDATE" and shortens(request.old, request.new):
        return _record(request) if recorded != request.username else ExceptionDecision(True)
    forged = _forged(request)
    if forged is not None:
        return forged
    if request.operation != "CREATE" or recorded is not None:
        return ExceptionDecision(True)  # kept, or the requester's own name, checked above
    return _record(request)


def _record(request: _Request) -> ExceptionDecision:
    operation = {"op": "add", "path": APPROVED_BY_PATH, "value": request.username}
    return ExceptionDecision(True, patch=(operation,))


def _service_account(request: _Request, allowed: bool) -> ExceptionDecision | None:
    if allowed or not request.username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    return _refuse(
        FORBIDDEN,
        "spec.approvedBy: a ServiceAccount cannot approve or change a FreezeException; got"
        f' "{clip(request.username, 256)}". Have a person with the approver role do it (or allow'
        " ServiceAccount approvers with the chart value admission.allowServiceAccountApprovers).",
    )


def _expiry_problem(
    exception: FreezeException, now: datetime, max_ttl: timedelta
) -> ExceptionDecision | None:
    expires = exception.spec.expires_at
    if expires <= now:
        return _refuse(
            FORBIDDEN,
            f"spec.expiresAt: must be in the future (now is {format_time(now)}); "
            f"got {format_time(expires)}",
        )
    latest = now + max_ttl
    if expires > latest + CLOCK_SKEW:
        return _refuse(
            FORBIDDEN,
            f"spec.expiresAt: must be at most {format_duration(max_ttl)} from now, at the latest "
            f"{format_time(latest)}; got {format_time(expires)}. "
            "Ask again for more time before it ends.",
        )
    return None


def validate(
    review: object,
    *,
    now: datetime,
    max_ttl: timedelta = DEFAULT_MAX_TTL,
    allow_service_accounts: bool = False,
) -> ExceptionDecision:
    """Refuse a forged or missing approver, an expiresAt in the past or beyond the cap, any
    change but ending the exception sooner, and ServiceAccount approvers unless allowed."""
    request = _parse(review)
    if isinstance(request, ExceptionDecision):
        return request
    if request.operation == "UPDATE" and not changed_fields(request.old, request.new):
        return ExceptionDecision(True)  # metadata alone: nothing an approver approved changes
    try:
        exception = parse_exception(request.new)
    except SpecError as error:
        return _refuse(BAD_REQUEST, f"FreezeException {clip(_name(request.new), 63)}: {error}")
    problem = _forged(request) or _judged(request, exception, now, max_ttl)
    if problem is not None:
        return problem
    service_account = _service_account(request, allow_service_accounts)
    if service_account is not None:
        return service_account
    return ExceptionDecision(True, warnings=_granted(request, exception))


def _judged(
    request: _Request, exception: FreezeException, now: datetime, max_ttl: timedelta
) -> ExceptionDecision | None:
    """The refusal of the change itself: its lifetime on CREATE, what changed on UPDATE."""
    if request.operation == "UPDATE":
        problem = update_problem(request.old, request.new, request.username, now)
        return None if problem is None else _refuse(FORBIDDEN, problem)
    if exception.spec.approved_by is None:
        return _refuse(
            FORBIDDEN,
            "spec.approvedBy: missing; budgetwarden's mutating webhook records it on CREATE. "
            f"Check that MutatingWebhookConfiguration {c.WEBHOOK_CONFIGURATION_NAME} is installed.",
        )
    return _expiry_problem(exception, now, max_ttl)


def _name(obj: Mapping[str, Any]) -> str:
    return _text(as_mapping(obj.get("metadata")).get("name")) or "(unnamed)"


def _granted(request: _Request, exception: FreezeException) -> tuple[str, ...]:
    """The one-line note an approver sees when creating an exception."""
    if request.operation != "CREATE":
        return ()
    spec = exception.spec
    targets = ", ".join(
        f"{t.kind.value}/{t.name}" if t.name else f"{t.kind.value} by selector"
        for t in spec.targets
    )
    return (
        f"{PREFIX} FreezeException {clip(exception.metadata.name, 63)} approved by "
        f"{clip(spec.approved_by or '', 63)}: {clip(targets, 120)} may ship through "
        f"{spec.max_level.value} until {format_time(spec.expires_at)}.",
    )


def review_response(request_uid: str, decision: ExceptionDecision) -> dict[str, Any]:
    """The AdmissionReview v1 response body for a decision (JSONPatch base64-encoded)."""
    response: dict[str, Any] = {"uid": request_uid, "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {
            "code": decision.status_code,
            "reason": decision.status_reason,
            "message": decision.message,
        }
    if decision.patch:
        encoded = json.dumps(list(decision.patch), separators=(",", ":")).encode()
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(encoded).decode()
    if decision.warnings:
        response["warnings"] = list(decision.warnings)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
