"""FreezeException admission without a webhook: the approver recorded, lives capped, changes
limited to ending an exception sooner.

In ValidatingAdmissionPolicy mode nothing serves core/freeze/exception_admission.py, yet an
exception counts only with `spec.approvedBy` (core/freeze/view_from_status.py). runtime/vap_sync.py
installs these:
- a MutatingAdmissionPolicy (Kubernetes 1.36+) that records the requester as `spec.approvedBy`
  on CREATE when the exception names no one, and on an UPDATE that only moves `expiresAt`
  earlier, as the webhook's mutation does;
- a ValidatingAdmissionPolicy with the webhook's rules: a typed approver must be the requester;
  on UPDATE `targets`, `maxLevel`, `reason` and `ticket` stay as they are, `expiresAt` only moves
  earlier and the change is recorded under the requester's name; ServiceAccounts approve nothing
  unless allowed; on CREATE `expiresAt` lies after the exception's creation and at most the
  maximum lifetime after it.
CEL has no clock, so the lifetime is counted from `metadata.creationTimestamp` (set before
admission runs) instead of from the moment of the request, and a change to an exception that has
already expired cannot be told apart from one that has not: since nothing but an earlier
`expiresAt` is admitted, such a change can only end it sooner, never bring it back. Pure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from budgetwarden.core.freeze.admission_message import PREFIX
from budgetwarden.core.freeze.exception_changes import FIXED
from budgetwarden.core.freeze.vap import managed_object
from budgetwarden.core.freeze.vap_cel_base import clip, lit
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration

SKEW = timedelta(minutes=1)  # the webhook tolerates as much for clocks on laptops
RULES = [{"apiGroups": [c.GROUP], "apiVersions": ["*"], "resources": [c.PLURAL_EXCEPTION]}]
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
_USER, _TYPED = "request.userInfo.username", "object.spec.approvedBy"
_EXPIRES, _WAS_EXPIRES = "timestamp(object.spec.expiresAt)", "timestamp(oldObject.spec.expiresAt)"
_UPDATE = "request.operation == 'UPDATE'"
# on UPDATE: the fields an approver approved are as they were, and expiresAt moved earlier
_SAME = " && ".join(f"object.spec.?{f} == oldObject.spec.?{f}" for f in FIXED)
_SHORTENS = f"{_UPDATE} && {_SAME} && {_EXPIRES} < {_WAS_EXPIRES}"


def _seconds(value: timedelta) -> str:
    return f"duration('{int(value.total_seconds())}s')"


def _quoted(expr: str) -> str:
    """'"name"' for a string CEL value, or 'nothing' when the optional `expr` is absent."""
    return f"({expr}.hasValue() ? '\"' + {clip(f'{expr}.value()', 256)} + '\"' : 'nothing')"


def _rule(expression: str, message: str) -> dict[str, str]:
    return {"expression": expression, "messageExpression": message, "reason": "Forbidden"}


def _approver_rules(recorded: bool) -> list[dict[str, str]]:
    """A typed approver is the requester on CREATE; an update that ends the exception sooner
    carries the requester's name; the name changes with nothing else never."""
    typed, was = "object.spec.?approvedBy", "oldObject.spec.?approvedBy"
    hint = (
        f" Check that MutatingAdmissionPolicy {c.MAP_EXCEPTION_APPROVER} is installed."
        if recorded
        else " This cluster does not record it: set it to your own name."
    )
    forged = (
        f"{lit(PREFIX + ' spec.approvedBy: is recorded from the request and must be ')}"
        f" + '\"' + {clip(_USER, 256)} + '\" (who is creating this FreezeException); got \"'"
        f" + {clip(_TYPED, 256)} + '\". Remove the field, or have that person create the"
        " exception.'"
    )
    unrecorded = (
        f"{lit(PREFIX + ' spec.approvedBy: every change to a FreezeException records who makes')}"
        f" + ' it and must be \"' + {clip(_USER, 256)} + '\" (who is changing it); got '"
        f" + {_quoted(typed)} + {lit('.' + hint)}"
    )
    taken = (
        f"{lit(PREFIX + ' spec.approvedBy: changes only together with an earlier')}"
        f" + ' spec.expiresAt, to whoever makes that change; it is ' + {_quoted(was)}"
        f" + ', got ' + {_quoted(typed)} + '.'"
    )
    filled = f"!has(oldObject.spec.approvedBy) && {typed} == optional.of({_USER})"
    kept = f"{typed} == {was} || ({filled})"
    return [
        _rule(f"request.operation != 'CREATE' || !has({_TYPED}) || {_TYPED} == {_USER}", forged),
        _rule(f"!({_SHORTENS}) || {typed} == optional.of({_USER})", unrecorded),
        _rule(f"!({_UPDATE}) || ({_SHORTENS}) || {kept}", taken),
    ]


def _recorded_rule() -> dict[str, str]:
    """Without the MutatingAdmissionPolicy (before 1.36) the creator types their own name."""
    return _rule(
        f"request.operation != 'CREATE' || has({_TYPED})",
        f"{lit(PREFIX + ' spec.approvedBy: this cluster does not record it; set it to ')}"
        f" + '\"' + {clip(_USER, 256)} + '\" (who is creating this FreezeException).'",
    )


def _change_rules() -> list[dict[str, str]]:
    """What an approver approved stays; expiresAt only moves earlier."""
    fixed = [
        _rule(
            f"!({_UPDATE}) || object.spec.?{field} == oldObject.spec.?{field}",
            lit(
                f"{PREFIX} spec.{field}: cannot change once the FreezeException exists; only"
                " spec.expiresAt may move earlier, to end it sooner. Create a new FreezeException"
                " for anything else."
            ),
        )
        for field in FIXED
    ]
    later = _rule(
        f"!({_UPDATE}) || {_EXPIRES} <= {_WAS_EXPIRES}",
        f"{lit(PREFIX + ' spec.expiresAt: may only move earlier on an existing FreezeException')}"
        f" + ' (it ends at ' + string({_WAS_EXPIRES}) + '); got ' + string({_EXPIRES})"
        " + '. For more time, create a new FreezeException.'",
    )
    return [*fixed, later]


def _service_account_rule() -> dict[str, str]:
    """A ServiceAccount neither creates nor changes an exception (metadata alone aside)."""
    changed = f"{_UPDATE} && (!({_SAME}) || {_EXPIRES} != {_WAS_EXPIRES}" + (
        " || object.spec.?approvedBy != oldObject.spec.?approvedBy)"
    )
    return _rule(
        f"!(request.operation == 'CREATE' || ({changed}))"
        f" || !{_USER}.startsWith({lit(SERVICE_ACCOUNT_PREFIX)})",
        f"{lit(PREFIX + ' spec.approvedBy: a ServiceAccount cannot approve or change a')}"
        f" + ' FreezeException; got \"' + {clip(_USER, 256)} + '\". Have a person with the"
        " approver role do it (or allow ServiceAccount approvers with the chart value"
        " admission.allowServiceAccountApprovers).'",
    )


def _lifetime_rules(max_ttl: timedelta) -> list[dict[str, str]]:
    created = "timestamp(object.metadata.creationTimestamp)"
    latest = f"{created} + {_seconds(max_ttl)}"
    return [
        _rule(
            f"request.operation != 'CREATE' || {_EXPIRES} > {created}",
            f"{lit(PREFIX + ' spec.expiresAt: must be in the future (now is ')}"
            f" + string({created}) + '); got ' + string({_EXPIRES})",
        ),
        _rule(
            f"request.operation != 'CREATE' || {_EXPIRES} <= {latest} + {_seconds(SKEW)}",
            f"{lit(f'{PREFIX} spec.expiresAt: must be at most {format_duration(max_ttl)}')}"
            " + ' after the exception was created, at the latest '"
            f" + string({latest}) + '; got ' + string({_EXPIRES})"
            " + '. Create a new exception for more time.'",
        ),
    ]


def exception_policies(
    max_ttl: timedelta, *, recorded: bool, allow_service_accounts: bool = False
) -> list[dict[str, Any]]:
    """The ValidatingAdmissionPolicy and binding; `recorded`: `approver_recorder` is installed."""
    validations = [*_approver_rules(recorded), *_change_rules()]
    if not allow_service_accounts:
        validations.append(_service_account_rule())
    validations += _lifetime_rules(max_ttl)
    if not recorded:
        validations.insert(0, _recorded_rule())
    rules = [{**RULES[0], "operations": ["CREATE", "UPDATE"]}]
    spec = {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": rules},
            "validations": validations}  # fmt: skip
    bound = {"policyName": c.VAP_EXCEPTIONS, "validationActions": ["Deny"]}
    return [
        managed_object("ValidatingAdmissionPolicy", c.VAP_EXCEPTIONS, spec),
        managed_object("ValidatingAdmissionPolicyBinding", c.VAP_EXCEPTIONS, bound),
    ]


def approver_recorder() -> list[dict[str, Any]]:
    """The MutatingAdmissionPolicy that records the approver, and its binding."""
    records = (
        f"request.operation == 'CREATE' ? !has({_TYPED})"
        f" : ({_SHORTENS} && object.spec.?approvedBy != optional.of({_USER}))"
    )
    spec = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "matchConstraints": {"resourceRules": [{**RULES[0], "operations": ["CREATE", "UPDATE"]}]},
        "matchConditions": [{"name": "records-the-approver", "expression": records}],
        "mutations": [
            {
                "patchType": "ApplyConfiguration",
                "applyConfiguration": {
                    "expression": f"Object{{spec: Object.spec{{approvedBy: {_USER}}}}}"
                },
            }
        ],
    }
    bound = {"policyName": c.MAP_EXCEPTION_APPROVER}
    return [
        managed_object("MutatingAdmissionPolicy", c.MAP_EXCEPTION_APPROVER, spec),
        managed_object("MutatingAdmissionPolicyBinding", c.MAP_EXCEPTION_APPROVER, bound),
    ]
