"""Policies in force in VAP mode: the policy and binding the operator installs, rendered.

The CEL itself runs on a real API server in tests/integration/test_policy_guard_vap.py, against
the same table of changes as the webhook's decision.
"""

from __future__ import annotations

from budgetwarden.core.freeze.policy_weakening import RULES
from budgetwarden.core.freeze.vap_policy_guard import policy_guard, weakening_checks
from policy_guard_support import RUNBOOK, SPEC_CHANGE_OR_DELETE

OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"


def test_the_guard_is_one_policy_bound_to_deny() -> None:
    policy, binding = policy_guard(OPERATOR, "Fail")
    assert (policy["kind"], policy["metadata"]["name"]) == (
        "ValidatingAdmissionPolicy", "budgetwarden-policies-in-force",
    )  # fmt: skip
    assert binding["spec"] == {
        "policyName": "budgetwarden-policies-in-force",
        "validationActions": ["Deny"],
    }
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"] == {
        "resourceRules": [{"apiGroups": ["budgetwarden.io"], "apiVersions": ["*"],
                           "resources": ["errorbudgetpolicies"],
                           "operations": ["UPDATE", "DELETE"]}],
        "matchPolicy": "Equivalent",
        "namespaceSelector": {"matchLabels": {"budgetwarden.io/enforce": "enabled"}},
    }  # fmt: skip
    assert "paramKind" not in spec  # old and new spec are compared directly


def test_the_operator_and_the_collectors_on_delete_are_not_judged() -> None:
    conditions = policy_guard(OPERATOR)[0]["spec"]["matchConditions"]
    assert conditions == [
        SPEC_CHANGE_OR_DELETE,
        {"name": "not-budgetwarden", "expression": f"request.userInfo.username != '{OPERATOR}'"},
        {
            "name": "not-a-collector",
            "expression": "!(request.operation == 'DELETE'"
            " && (request.userInfo.username == 'system:kube-controller-manager'"
            " || (has(request.userInfo.groups)"
            " && 'system:serviceaccounts:kube-system' in request.userInfo.groups)))",
        },
    ]


def test_every_field_the_webhook_judges_has_its_cel_in_the_same_order() -> None:
    assert [field for field, _ in weakening_checks()] == [field for field, _ in RULES]


def test_the_denial_is_the_webhooks_text() -> None:
    (validation,) = policy_guard(OPERATOR)[0]["spec"]["validations"]
    assert validation["reason"] == "Forbidden"
    assert validation["messageExpression"].startswith("'[budgetwarden] ErrorBudgetPolicy ' + ")
    assert validation["messageExpression"].endswith(f"wait for the thaw (runbook: {RUNBOOK}).'")
