"""ValidatingAdmissionPolicy mode: the FreezeException policies, params sync, the VAP settings.

The freeze policies, their params and bindings, rendered, are in test_vap.py; here are the
policies for FreezeExceptions, the operator's params per namespace, and how VAP mode is set up.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from admission_cases import NOW, OPERATOR
from budgetwarden.core.freeze import vap_exceptions
from budgetwarden.runtime.config import OperatorConfig
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.vap_sync import desired_params

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# --- FreezeException policies ----------------------------------------------------------------
def test_without_a_mutating_policy_the_creator_must_name_themselves() -> None:
    recorded = vap_exceptions.exception_policies(timedelta(hours=24), recorded=True)
    typed = vap_exceptions.exception_policies(timedelta(hours=24), recorded=False)
    assert len(typed[0]["spec"]["validations"]) == len(recorded[0]["spec"]["validations"]) + 1
    assert typed[0]["spec"]["validations"][0]["expression"] == (
        "request.operation != 'CREATE' || has(object.spec.approvedBy)"
    )
    assert [o["kind"] for o in vap_exceptions.approver_recorder()] == [
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
    ]


def test_the_lifetime_cap_is_counted_in_seconds_cel_can_read() -> None:
    policy = vap_exceptions.exception_policies(timedelta(hours=36), recorded=True)[0]
    cap = policy["spec"]["validations"][-1]
    assert "timestamp(object.metadata.creationTimestamp) + duration('129600s')" in cap["expression"]
    assert "must be at most 1d12h'" in cap["messageExpression"]


# --- The operator's params sync --------------------------------------------------------------
def policy_body(name: str, uid: str, status: dict[str, Any] | None) -> dict[str, Any]:
    body = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    body["metadata"] |= {"name": name, "uid": uid}
    return body | ({"status": status} if status else {})


def test_the_operator_writes_params_per_namespace_owned_by_its_policies() -> None:
    registry = Registry()
    status = {"level": "FullFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-1"}
    registry.observe("errorbudgetpolicies", None, policy_body("payments", "u-1", status))
    registry.observe("errorbudgetpolicies", None, policy_body("search", "u-2", None))
    hotfix = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    hotfix["spec"] |= {"approvedBy": "bob", "expiresAt": "2026-11-29T13:00:00Z"}
    registry.observe("freezeexceptions", None, hotfix)
    params, expiry = desired_params(registry, NOW)
    assert list(params) == ["shop"] and expiry == NOW + timedelta(hours=1)
    shop = params["shop"]
    assert [o["uid"] for o in shop["metadata"]["ownerReferences"]] == ["u-1", "u-2"]
    assert {k: v for k, v in shop["data"].items() if k.endswith((".name", ".level"))} | {
        "count": shop["data"]["policies"]
    } == {
        "policy.0.name": "payments",
        "policy.0.level": "FullFreeze",
        "policy.1.name": "search",
        "policy.1.level": "Unknown",
        "exception.0.name": "checkout-hotfix-4711",
        "count": "2",
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {}, ("Ignore", timedelta(hours=24), ""),
            id="defaults: Ignore, 24h, the user asked for at start-up",
        ),
        pytest.param(
            {"BUDGETWARDEN_VAP_FAILURE_POLICY": "Fail", "BUDGETWARDEN_EXCEPTION_MAX_TTL": "4h",
             "BUDGETWARDEN_OPERATOR_USERNAME": OPERATOR},
            ("Fail", timedelta(hours=4), OPERATOR),
            id="each variable",
        ),
        pytest.param(
            {"BUDGETWARDEN_VAP_FAILURE_POLICY": "fail"},
            'BUDGETWARDEN_VAP_FAILURE_POLICY must be Ignore or Fail; got "fail"',
            id="a failure policy is spelled as Kubernetes spells it",
        ),
        pytest.param(
            {"BUDGETWARDEN_EXCEPTION_MAX_TTL": "a day"},
            "BUDGETWARDEN_EXCEPTION_MAX_TTL ",
            id="a lifetime is a duration",
        ),
    ],
)  # fmt: skip
def test_vap_settings(env: dict[str, str], expected: tuple[str, timedelta, str] | str) -> None:
    if not isinstance(expected, str):
        assert vap_settings(env) == expected
    else:
        with pytest.raises(ValueError, match="^" + re.escape(expected)):
            vap_settings(env)


def vap_settings(env: dict[str, str]) -> tuple[str, timedelta, str]:
    """VAP mode's failure policy, exception lifetime cap and operator user, as configured."""
    admission = OperatorConfig.load(env).admission
    return admission.vap_failure_policy, admission.max_ttl, admission.operator_username
