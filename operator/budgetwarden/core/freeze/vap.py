"""ValidatingAdmissionPolicy mode: enforce freezes in the API server itself, without a webhook.

handlers/vap.py applies `admission_policies()` at start-up (`--admission-mode vap`) and keeps one
params ConfigMap per namespace (`params_config_map`) in step with the `FreezeView` the webhook
would use there. The API server then runs the CEL of core/freeze/vap_cel.py on every Rollout and
Deployment change, in process: no server to be down, no certificates, no network hop. Pure.

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

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze import vap_cel as cel
from budgetwarden.core.freeze.exception_spec import ExceptionTarget, FreezeException
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.webhook_config import workload_match_conditions
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import level_rank
from budgetwarden.core.kernel.wire import format_time, number_text, percent_text
from budgetwarden.core.policy.spec import LabelSelector

API_VERSION = "admissionregistration.k8s.io/v1"
FailurePolicy = Literal["Ignore", "Fail"]
_ACTIONS = {c.VAP_FREEZE: "Deny", c.VAP_FREEZE_WARNINGS: "Warn", c.VAP_FREEZE_AUDIT: "Audit"}
_MANAGED = {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE}
# Namespaces opt in to enforcement with the label the webhook's configuration selects.
ENFORCED_NAMESPACES: Mapping[str, Any] = {"matchLabels": {c.LABEL_ENFORCE: c.ENFORCE_ENABLED}}
# Who else may delete params: the namespace and garbage collectors of kube-controller-manager.
_CONTROLLERS = ("system:kube-controller-manager",)
_CONTROLLER_GROUP = "system:serviceaccounts:kube-system"
RULES = [
    {"apiGroups": ["argoproj.io"], "apiVersions": ["*"], "resources": ["rollouts"],
     "operations": ["CREATE", "UPDATE"]},
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"],
     "operations": ["CREATE", "UPDATE"]},
]  # fmt: skip


# --- Params ----------------------------------------------------------------------------------
def selector_text(selector: LabelSelector) -> str:
    """`app=checkout,tier!=canary|beta,ready,!legacy`: a selector as one target line holds it."""
    parts = [f"{key}={value}" for key, value in sorted(selector.match_labels.items())]
    for requirement in selector.match_expressions:
        values = "|".join(requirement.values)
        parts.append(
            {
                "In": f"{requirement.key}={values}",
                "NotIn": f"{requirement.key}!={values}",
                "Exists": requirement.key,
                "DoesNotExist": f"!{requirement.key}",
            }[requirement.operator]
        )
    return ",".join(parts)


def target_line(kind: str, selector: LabelSelector | None = None, name: str | None = None) -> str:
    """`Rollout/checkout` for a name, `Rollout app=checkout` (or `Rollout`: all) for a selector."""
    if name is not None:
        return f"{kind}/{name}"
    selected = selector_text(selector or LabelSelector())
    return f"{kind} {selected}" if selected else kind


def _exception_targets(targets: Iterable[ExceptionTarget]) -> str:
    return "\n".join(target_line(t.kind.value, t.selector, t.name) for t in targets)


def _policy_fields(policy: PolicyFreeze) -> dict[str, str]:
    remaining, threshold = policy.remaining_percent, policy.threshold_percent
    held = policy.held
    return {
        "name": policy.policy,
        "level": policy.level.value,
        "enforcement": policy.enforcement,
        "freezeId": policy.freeze_id,
        "since": format_time(policy.since) if policy.since is not None else "",
        "slo": policy.slo,
        "remainingPercent": "" if remaining is None else text.shown_number(remaining, percent_text),
        "thresholdPercent": "" if threshold is None else text.shown_number(threshold, number_text),
        "runbookURL": text.runbook_of(policy),
        "targets": "\n".join(target_line(t.kind.value, t.selector) for t in policy.targets),
        "held": "\n".join(f"{h.kind}/{h.name}" for h in held),
        "pausedByUs": "\n".join(f"{h.kind}/{h.name}" for h in held if h.paused_by_us),
    }


def _exception_fields(exception: FreezeException) -> dict[str, str]:
    spec = exception.spec
    return {
        "name": exception.metadata.name,
        "maxLevel": spec.max_level.value,
        "targets": _exception_targets(spec.targets),
        "ticket": text.clip(spec.ticket, 40) if spec.ticket else "",
        "expiresAt": format_time(spec.expires_at),
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def active_exceptions(view: FreezeView, namespace: str, now: datetime) -> list[FreezeException]:
    """The namespace's exceptions still in force at `now`, by name (the webhook's order)."""
    return sorted(
        (
            e
            for e in view.exceptions
            if e.metadata.namespace == namespace and _aware(e.spec.expires_at) > _aware(now)
        ),
        key=lambda e: e.metadata.name,
    )


def params_data(view: FreezeView, namespace: str, now: datetime) -> dict[str, str]:
    """The params ConfigMap's data: every policy in the webhook's order, active exceptions."""
    policies = sorted(view.policies, key=lambda p: (-level_rank(p.level), p.policy))
    exceptions = active_exceptions(view, namespace, now)
    data = {"policies": str(len(policies)), "exceptions": str(len(exceptions))}
    for i, policy in enumerate(policies):
        data.update({f"policy.{i}.{k}": v for k, v in _policy_fields(policy).items() if v})
    for i, exception in enumerate(exceptions):
        data.update({f"exception.{i}.{k}": v for k, v in _exception_fields(exception).items() if v})
    return data


def params_config_map(
    namespace: str,
    view: FreezeView,
    now: datetime,
    owners: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The namespace's params; `owners` are the (name, uid) of its ErrorBudgetPolicies, so the
    garbage collector removes the params with the last policy even while the operator is down."""
    metadata: dict[str, Any] = {
        "name": c.PARAMS_CONFIGMAP,
        "namespace": namespace,
        "labels": {c.LABEL_ADMISSION_PARAMS: "true", **_MANAGED},
    }
    if owners:
        metadata["ownerReferences"] = [
            {"apiVersion": c.API_VERSION, "kind": c.KIND_POLICY, "name": name, "uid": uid}
            for name, uid in sorted(owners)
        ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": params_data(view, namespace, now),
    }


def next_refresh(view: FreezeView, namespace: str, now: datetime) -> datetime | None:
    """When the params must be written again because an exception in them expires."""
    expiries = [_aware(e.spec.expires_at) for e in active_exceptions(view, namespace, now)]
    return min(expiries, default=None)


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
) -> dict[str, Any]:
    """One of the three freeze policies (name: conventions.VAP_FREEZE*). The match conditions
    are the workload webhook's: only new versions and resumes are judged, the operator's own
    changes never, and with `breakglass` neither those of holders of the breakglass verb."""
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
        "matchConditions": workload_match_conditions(operator_username, breakglass=breakglass),
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
) -> list[dict[str, Any]]:
    """The freeze policies, each before its binding, and the params guard (it needs a user).
    Namespaces opt in as they do for the webhook; an empty selector enforces everywhere."""
    objects = []
    for name in _ACTIONS:
        objects.append(
            freeze_policy(name, operator_username, failure_policy, namespace_selector, breakglass)
        )
        objects.append(binding(name))
    if operator_username:
        objects.extend(params_guard(operator_username))
    return objects


def managed_object(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """An admissionregistration.k8s.io/v1 object of ours, labelled as budgetwarden's."""
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "labels": dict(_MANAGED)},
        "spec": dict(spec),
    }
