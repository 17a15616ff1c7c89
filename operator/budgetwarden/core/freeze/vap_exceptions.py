"""FreezeException admission without a webhook: the approver recorded, the lifetime capped.

In ValidatingAdmissionPolicy mode nothing serves core/freeze/exception_admission.py, yet an
exception counts only with `spec.approvedBy` (core/freeze/view_from_status.py). runtime/vap_sync.py
installs these:
- a MutatingAdmissionPolicy (Kubernetes 1.36+) that records the creator as `spec.approvedBy`
  when the exception does not name one, as the webhook's mutation does;
- a ValidatingAdmissionPolicy with the webhook's rules: a typed approver must be the requester;
  `expiresAt` lies after the exception's creation and at most the maximum lifetime after it.
CEL has no clock, so the lifetime is counted from `metadata.creationTimestamp` (set before
admission runs) instead of from the moment of the request; an exception can therefore not be
extended past its first maximum lifetime, only replaced. Pure.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from budgetwarden.core.freeze.admission_message import PREFIX
from budgetwarden.core.freeze.vap import managed_object
from budgetwarden.core.freeze.vap_cel import clip, lit
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration

SKEW = timedelta(minutes=1)  # the webhook tolerates as much for clocks on laptops
RULES = [{"apiGroups": [c.GROUP], "apiVersions": ["*"], "resources": [c.PLURAL_EXCEPTION]}]
_USER, _TYPED = "request.userInfo.username", "object.spec.approvedBy"


def _seconds(value: timedelta) -> str:
    return f"duration('{int(value.total_seconds())}s')"


def _approver_rule() -> dict[str, str]:
    """A typed approver is the requester, or was there before (the CRD keeps it unchanged)."""
    kept = "request.operation == 'UPDATE' && has(oldObject.spec.approvedBy)"
    return {
        "expression": f"!has({_TYPED}) || {_TYPED} == {_USER} || ({kept})",
        "messageExpression": (
            f"{lit(PREFIX + ' spec.approvedBy: is recorded from the request and must be ')}"
            f" + '\"' + {clip(_USER, 256)} + '\" (who is creating this FreezeException); got \"'"
            f" + {clip(_TYPED, 256)} + '\". Remove the field, or have that person create the"
            " exception.'"
        ),
        "reason": "Forbidden",
    }


def _recorded_rule() -> dict[str, str]:
    """Without the MutatingAdmissionPolicy (before 1.36) the creator types their own name."""
    return {
        "expression": f"request.operation != 'CREATE' || has({_TYPED})",
        "messageExpression": (
            f"{lit(PREFIX + ' spec.approvedBy: this cluster does not record it; set it to ')}"
            f" + '\"' + {clip(_USER, 256)} + '\" (who is creating this FreezeException).'"
        ),
        "reason": "Forbidden",
    }


def _lifetime_rules(max_ttl: timedelta) -> list[dict[str, str]]:
    expires = "timestamp(object.spec.expiresAt)"
    created = "timestamp(object.metadata.creationTimestamp)"
    latest = f"{created} + {_seconds(max_ttl)}"
    shorter = f"request.operation == 'UPDATE' && {expires} <= timestamp(oldObject.spec.expiresAt)"
    return [
        {
            "expression": f"request.operation != 'CREATE' || {expires} > {created}",
            "messageExpression": (
                f"{lit(PREFIX + ' spec.expiresAt: must be in the future (now is ')}"
                f" + string({created}) + '); got ' + string({expires})"
            ),
            "reason": "Forbidden",
        },
        {
            "expression": f"({shorter}) || {expires} <= {latest} + {_seconds(SKEW)}",
            "messageExpression": (
                f"{lit(f'{PREFIX} spec.expiresAt: must be at most {format_duration(max_ttl)}')}"
                " + ' after the exception was created, at the latest '"
                f" + string({latest}) + '; got ' + string({expires})"
                " + '. Create a new exception for more time.'"
            ),
            "reason": "Forbidden",
        },
    ]


def exception_policies(max_ttl: timedelta, *, recorded: bool) -> list[dict[str, Any]]:
    """The ValidatingAdmissionPolicy and binding; `recorded`: `approver_recorder` is installed."""
    validations = [_approver_rule(), *_lifetime_rules(max_ttl)]
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
    """The MutatingAdmissionPolicy that records the creator, and its binding."""
    spec = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "matchConstraints": {"resourceRules": [{**RULES[0], "operations": ["CREATE"]}]},
        "matchConditions": [{"name": "names-no-approver", "expression": f"!has({_TYPED})"}],
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
