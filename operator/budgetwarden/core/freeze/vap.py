"""ValidatingAdmissionPolicy mode: enforce freezes in the API server itself, without a webhook.

runtime/vap_sync.py applies `admission_policies()` at start-up (`--admission-mode vap`) and keeps
one params ConfigMap per namespace (`params_config_map`, core/freeze/vap_params.py, re-exported here
with the other params names callers use) in step with the `FreezeView` the webhook would use there.
The API server then runs the CEL of core/freeze/vap_cel.py on every Rollout and Deployment change,
in process: no server to be down, no certificates, no network hop. Pure.

Three policies read the same params, each bound once under its own name:
- budgetwarden-freeze (Deny): the webhook's denials, for Enforce policies.
- budgetwarden-freeze-warnings (Warn): the webhook's warnings (Warning and Unknown levels,
  exceptions used, Warn policies' denials), one validation per warning.
- budgetwarden-freeze-audit (Audit): what DryRun policies would deny, in the audit log.
A fourth, budgetwarden-admission-params, lets only the operator write params: they are the
freeze state the API server enforces, so whoever could edit them could lift a freeze.
The freeze policies select what the workload webhook selects: namespaces labelled
budgetwarden.io/enforce=enabled, and its match conditions (core/freeze/webhook_config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze import vap_cel as cel
from budgetwarden.core.freeze.vap_params import (
    MANAGED_LABELS,
    active_exceptions,
    next_refresh,
    params_config_map,
    params_data,
    selector_text,
    target_line,
)
from budgetwarden.core.freeze.webhook_config import workload_match_conditions
from budgetwarden.core.kernel import conventions as c

__all__ = [
    "API_VERSION",
    "ENFORCED_NAMESPACES",
    "RULES",
    "FailurePolicy",
    "active_exceptions",
    "admission_policies",
    "binding",
    "freeze_policy",
    "managed_object",
    "next_refresh",
    "params_config_map",
    "params_data",
    "params_guard",
    "selector_text",
    "target_line",
]

API_VERSION = "admissionregistration.k8s.io/v1"
FailurePolicy = Literal["Ignore", "Fail"]
_ACTIONS = {c.VAP_FREEZE: "Deny", c.VAP_FREEZE_WARNINGS: "Warn", c.VAP_FREEZE_AUDIT: "Audit"}
# Namespaces opt in to enforcement with the label the webhook's configuration selects.
ENFORCED_NAMESPACES: Mapping[str, Any] = {"matchLabels": {c.LABEL_ENFORCE: c.ENFORCE_ENABLED}}
# Who else may delete params: the namespace and garbage collectors of kube-controller-manager.
_CONTROLLERS = ("system:kube-controller-manager",)
_CONTROLLER_GROUP = "system:serviceaccounts:kube-system"
RULES = [
    {"apiGroups": ["argoproj.io"], "apiVersions": ["*"],
     "resources": ["rollouts", "rollouts/status"], "operations": ["CREATE", "UPDATE"]},
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"],
     "operations": ["CREATE", "UPDATE"]},
]  # fmt: skip


# --- Policies and bindings -------------------------------------------------------------------
def _validations(name: str) -> list[dict[str, str]]:
    if name == c.VAP_FREEZE_WARNINGS:
        return [
            {
                "expression": f"'Frozen' in variables.codes || variables.warnings.size() <= {i}",
                "messageExpression": f"variables.warnings[{i}]",
            }
            for i in range(cel.WARNING_SLOTS)
        ]
    code = "Frozen" if name == c.VAP_FREEZE else "FrozenDryRun"
    return [
        {
            "expression": f"!({cel.lit(code)} in variables.codes)",
            "messageExpression": cel.denial_of(f"variables.codes.indexOf({cel.lit(code)})"),
            "reason": "Forbidden",
        }
    ]


def _audit_annotations() -> list[dict[str, str]]:
    """The webhook's auditAnnotations: the decision, its freeze id, the exception it used."""
    unset = "variables.auditFreezeId == ''"
    used = "variables.covering[variables.codes.indexOf('AllowedByException')][0].name"
    return [
        {"key": "decision", "valueExpression": f"{unset} ? '' : variables.top"},
        {"key": "freeze-id", "valueExpression": f"{unset} ? '' : variables.auditFreezeId"},
        {
            "key": "exception",
            "valueExpression": f"{unset} || variables.top == 'Frozen'"
            f" || !('AllowedByException' in variables.codes) ? '' : {used}",
        },
    ]


def freeze_policy(
    name: str,
    operator_username: str = "",
    failure_policy: FailurePolicy = "Ignore",
    namespace_selector: Mapping[str, Any] = ENFORCED_NAMESPACES,
    breakglass: bool = False,
    status_writers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One of the three freeze policies (name: conventions.VAP_FREEZE*). The match conditions
    are the workload webhook's: only new versions, resumes and promotions are judged, the
    operator's own changes never, nor the Rollout status writes of `status_writers` (the Argo
    Rollouts controller), and with `breakglass` neither those of holders of the breakglass verb."""
    variables = cel.decision_variables()
    if name == c.VAP_FREEZE_WARNINGS:
        variables.append(cel.warnings_variable())
    if name == c.VAP_FREEZE:
        variables.extend(cel.audit_variables())
    constraints: dict[str, Any] = {"resourceRules": RULES, "matchPolicy": "Equivalent"}
    if namespace_selector:
        constraints["namespaceSelector"] = dict(namespace_selector)
    spec: dict[str, Any] = {
        "failurePolicy": failure_policy,
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": constraints,
        "matchConditions": workload_match_conditions(
            operator_username, breakglass=breakglass, status_writers=status_writers
        ),
        "variables": variables,
        "validations": _validations(name),
    }
    if name == c.VAP_FREEZE:
        spec["auditAnnotations"] = _audit_annotations()
    return managed_object("ValidatingAdmissionPolicy", name, spec)


def binding(name: str) -> dict[str, Any]:
    """The binding of policy `name`: params from the request's namespace, none found: allow."""
    spec = {
        "policyName": name,
        "validationActions": [_ACTIONS[name]],
        "paramRef": {
            "selector": {"matchLabels": {c.LABEL_ADMISSION_PARAMS: "true"}},
            "parameterNotFoundAction": "Allow",
        },
    }
    return managed_object("ValidatingAdmissionPolicyBinding", name, spec)


def params_guard(operator_username: str) -> list[dict[str, Any]]:
    """The policy and binding that keep everyone but the operator from writing params."""
    operator = cel.lit(operator_username)
    controllers = " || ".join(f"request.userInfo.username == {cel.lit(u)}" for u in _CONTROLLERS)
    cleanup = (
        "request.operation == 'DELETE' && (namespaceObject.metadata.?deletionTimestamp.hasValue()"
        f" || {controllers} || {cel.lit(_CONTROLLER_GROUP)} in request.userInfo.groups)"
    )
    message = (
        f"{text.PREFIX} Only the budgetwarden operator ({text.clip(operator_username, 120)})"
        " writes admission params: they hold the freeze state the API server enforces. Change"
        " the ErrorBudgetPolicy, or have an approver create a FreezeException."
    )
    spec = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"],
                 "operations": ["CREATE", "UPDATE", "DELETE"]},
            ],
            "objectSelector": {"matchLabels": {c.LABEL_ADMISSION_PARAMS: "true"}},
        },
        "validations": [
            {"expression": f"request.userInfo.username == {operator} || ({cleanup})",
             "message": message, "reason": "Forbidden"},
        ],
    }  # fmt: skip
    bound = {"policyName": c.VAP_PARAMS_GUARD, "validationActions": ["Deny"]}
    return [
        managed_object("ValidatingAdmissionPolicy", c.VAP_PARAMS_GUARD, spec),
        managed_object("ValidatingAdmissionPolicyBinding", c.VAP_PARAMS_GUARD, bound),
    ]


def admission_policies(
    operator_username: str = "",
    failure_policy: FailurePolicy = "Ignore",
    namespace_selector: Mapping[str, Any] = ENFORCED_NAMESPACES,
    breakglass: bool = False,
    status_writers: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The freeze policies, each before its binding, and the params guard (it needs a user).
    Namespaces opt in as they do for the webhook; an empty selector enforces everywhere."""
    objects = []
    for name in _ACTIONS:
        objects.append(
            freeze_policy(
                name, operator_username, failure_policy, namespace_selector, breakglass,
                status_writers,
            )
        )  # fmt: skip
        objects.append(binding(name))
    if operator_username:
        objects.extend(params_guard(operator_username))
    return objects


def managed_object(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """An admissionregistration.k8s.io/v1 object of ours, labelled as budgetwarden's."""
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "labels": dict(MANAGED_LABELS)},
        "spec": dict(spec),
    }
