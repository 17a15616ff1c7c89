"""Policies in force in ValidatingAdmissionPolicy mode: the webhook's rule, in the API server.

runtime/vap_sync.py installs `policy_guard()` with the other policies of VAP mode. It says what
core/freeze/policy_guard.py says, field by field as core/freeze/policy_weakening.py lists them,
with the same one-line denial: during a freeze (`oldObject.status.level`, written by the operator
alone) an ErrorBudgetPolicy is not weakened and not deleted. CEL compares the old and the new spec
directly, so no params are needed. The match conditions are the webhook entry's (only spec changes
and deletes, never the operator), plus the exemption of the namespace and garbage collectors on
DELETE, which the webhook makes in its decision. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from budgetwarden.core.freeze import policy_guard as guard
from budgetwarden.core.freeze import policy_weakening as weak
from budgetwarden.core.freeze.vap import ENFORCED_NAMESPACES, FailurePolicy, managed_object
from budgetwarden.core.freeze.vap_cel_base import clip, lit
from budgetwarden.core.freeze.webhook_config import policy_match_conditions
from budgetwarden.core.kernel import conventions as c

RULES = [
    {"apiGroups": [c.GROUP], "apiVersions": ["*"], "resources": [c.PLURAL_POLICY],
     "operations": ["UPDATE", "DELETE"]},
]  # fmt: skip
FREEZES = "[" + ", ".join(lit(level) for level in guard.FREEZES) + "]"


def _value(root: str, path: str) -> str:
    """CEL for the field at dotted `path` of `root`'s spec, or its default."""
    fields = "".join(f".?{key}" for key in path.split("."))
    return f"{root}.?spec{fields}.orValue({lit(weak.DEFAULTS[path])})"


def _pair(path: str, read: str = "$") -> tuple[str, str]:
    """(new, old) values at `path`, each read through `read` (CEL with `$` for the value)."""
    return read.replace("$", _value("object", path)), read.replace("$", _value("oldObject", path))


def _rank(path: str, ranks: Mapping[str, int]) -> str:
    table = "{" + ", ".join(f"{lit(k)}: {v}" for k, v in ranks.items()) + "}"
    new, old = _pair(path, table + "[$]")
    return f"{new} < {old}"


def _lowered(path: str, read: str) -> str:
    new, old = _pair(path, read)
    return f"{new} < {old}"


def _kept(field: str) -> str:
    return (
        f"oldObject.?spec.?{field}.orValue([]).exists(x, !(x in object.?spec.?{field}.orValue([])))"
    )


# The milliseconds of a duration such as "1h30m", as the CRD's own rules count them.
_MILLIS = (
    "$.findAll('[0-9]+[a-z]+').map(p, p.endsWith('ms') ? int(p.substring(0, p.size() - 2))"
    " : int(p.substring(0, p.size() - 1)) * (p.endsWith('w') ? 604800000 : p.endsWith('d')"
    " ? 86400000 : p.endsWith('h') ? 3600000 : p.endsWith('m') ? 60000 : 1000)).sum()"
)


def weakening_checks() -> list[tuple[str, str]]:
    """(field, CEL true when the change weakens it), in policy_weakening.RULES' order."""
    holding = "[" + ", ".join(lit(v) for v in weak.HOLDING_IN_FLIGHT) + "]"
    in_flight_new, in_flight_old = _pair("inFlight")
    checks = [
        ("spec.enforcement", _rank("enforcement", weak.ENFORCEMENT_RANK)),
        ("spec.targets", _kept("targets")),
        ("spec.sloSelector", "object.?spec.?sloSelector != oldObject.?spec.?sloSelector"),
        *(
            (f"spec.levels.{name}", _lowered(f"levels.{name}", "double($)"))
            for name in weak.THRESHOLDS
        ),
        ("spec.burnRateTriggers", _kept("burnRateTriggers")),
        (
            "spec.hysteresis.exitMarginPercent",
            _lowered("hysteresis.exitMarginPercent", "double($)"),
        ),
        ("spec.hysteresis.minimumHold", _lowered("hysteresis.minimumHold", _MILLIS)),
        ("spec.onMetricsUnavailable", _rank("onMetricsUnavailable", weak.METRICS_RANK)),
        ("spec.inFlight", f"{in_flight_old} in {holding} && !({in_flight_new} in {holding})"),
        ("spec.pauseStepAtThaw", _rank("pauseStepAtThaw", weak.PAUSE_STEP_RANK)),
        ("spec.resourceChanges", _rank("resourceChanges", weak.RESOURCE_CHANGES_RANK)),
    ]
    assert [field for field, _ in checks] == [field for field, _ in weak.RULES]
    return checks


def _variables() -> list[dict[str, str]]:
    weakened = " + ".join(
        f"(({check}) ? [{lit(field)}] : [])" for field, check in weakening_checks()
    )
    return [
        {"name": "level", "expression": "oldObject.?status.?level.orValue('')"},
        {"name": "weakened", "expression": weakened},
    ]


def _message(runbook: str) -> str:
    """guard.in_force_message, in CEL."""
    head = guard.in_force_message("NAME", "LEVEL", "SINCE", "REFUSED", runbook)
    before, rest = head.split("NAME", 1)
    since = "oldObject.?status.?since.orValue('')"
    refused = (
        f"request.operation == 'DELETE' ? {lit(guard.DELETING)}"
        " : 'changing ' + variables.weakened.join(', ') + ' would weaken it'"
    )
    tail = rest.split("REFUSED", 1)[1]
    return (
        f"{lit(before)} + {clip('oldObject.metadata.name', 63)} + ' is in force ('"
        f" + variables.level + ({since} == '' ? '' : ' since ' + {clip(since, 64)})"
        f" + '): ' + ({refused}) + {lit(tail)}"
    )


def policy_guard(
    operator_username: str = "",
    failure_policy: FailurePolicy = "Ignore",
    namespace_selector: Mapping[str, Any] = ENFORCED_NAMESPACES,
    breakglass: bool = False,
    runbook: str = guard.RUNBOOK,
) -> list[dict[str, Any]]:
    """The ValidatingAdmissionPolicy that keeps policies in force, and its binding; its denial
    links `runbook` (the freeze page under the operator's runbook base URL)."""
    constraints: dict[str, Any] = {"resourceRules": RULES, "matchPolicy": "Equivalent"}
    if namespace_selector:
        constraints["namespaceSelector"] = dict(namespace_selector)
    collectors = " || ".join(f"request.userInfo.username == {lit(u)}" for u in guard.COLLECTORS)
    collected = (
        f"!(request.operation == 'DELETE' && ({collectors}"
        " || (has(request.userInfo.groups)"
        f" && {lit(guard.COLLECTOR_GROUP)} in request.userInfo.groups)))"
    )
    conditions = policy_match_conditions(operator_username, breakglass=breakglass)
    spec = {
        "failurePolicy": failure_policy,
        "matchConstraints": constraints,
        "matchConditions": [*conditions, {"name": "not-a-collector", "expression": collected}],
        "variables": _variables(),
        "validations": [
            {
                "expression": f"!(variables.level in {FREEZES})"
                " || (request.operation == 'UPDATE' && variables.weakened.size() == 0)",
                "messageExpression": _message(runbook),
                "reason": "Forbidden",
            }
        ],
    }
    bound = {"policyName": c.VAP_POLICY_GUARD, "validationActions": ["Deny"]}
    return [
        managed_object("ValidatingAdmissionPolicy", c.VAP_POLICY_GUARD, spec),
        managed_object("ValidatingAdmissionPolicyBinding", c.VAP_POLICY_GUARD, bound),
    ]
