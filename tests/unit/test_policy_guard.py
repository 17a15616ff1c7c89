"""Policies in force: the webhook's decision on changes to a frozen ErrorBudgetPolicy.

Every change of tests/policy_guard_support.py `CHANGES` under every level, then who passes
anyway, DELETE, and the bodies the guard cannot read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze.policy_guard import decide, respond
from budgetwarden.core.freeze.policy_weakening import DEFAULTS
from policy_guard_support import CHANGES, SINCE, merged, message, refused

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "05-policy.yaml"
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"
FROZEN = ("PartialFreeze", "FullFreeze")


def policy(level: str | None = "PartialFreeze", **status: Any) -> dict[str, Any]:
    """The payments policy as stored, with the status the operator wrote."""
    obj: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    if level is not None:
        obj["status"] = {"level": level, "since": SINCE, "freezeId": "fz-7c2e", **status}
    return obj


def review(
    operation: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None = None,
    user: str = "dev",
    groups: tuple[str, ...] = ("system:authenticated",),
    **extra: Any,
) -> dict[str, Any]:
    request = {
        "uid": "u-1",
        "kind": {"group": "budgetwarden.io", "version": "v1alpha1", "kind": "ErrorBudgetPolicy"},
        "namespace": "shop",
        "name": "payments",
        "operation": operation,
        "userInfo": {"username": user, "groups": list(groups)},
        "oldObject": old,
        "object": new,
        **extra,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def changed(old: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    return {**old, "spec": merged(old["spec"], patch)}


@pytest.mark.parametrize("level", FROZEN)
@pytest.mark.parametrize(("patch", "fields"), [pytest.param(p, f, id=i) for i, p, f in CHANGES])
def test_a_frozen_policy_is_not_weakened(
    level: str, patch: dict[str, Any], fields: tuple[str, ...]
) -> None:
    old = policy(level)
    decision = decide(review("UPDATE", old, changed(old, patch)))
    assert (decision.allowed, decision.message) == (
        (True, "") if not fields else (False, message("payments", level, refused(fields)))
    )
    assert decision.freeze_id == "fz-7c2e"


@pytest.mark.parametrize("level", [None, "Normal", "Warning", "Unknown", "Frozen?"])
@pytest.mark.parametrize(("patch", "fields"), [pytest.param(p, f, id=i) for i, p, f in CHANGES])
def test_a_policy_not_frozen_changes_freely(
    level: str | None, patch: dict[str, Any], fields: tuple[str, ...]
) -> None:
    old = policy(level)
    assert decide(review("UPDATE", old, changed(old, patch))).allowed


def test_deleting_a_frozen_policy_is_refused_and_one_not_frozen_is_not() -> None:
    decision = decide(review("DELETE", policy("FullFreeze")))
    assert (decision.allowed, decision.message) == (
        False, message("payments", "FullFreeze", "deleting it would lift the freeze"),
    )  # fmt: skip
    assert decide(review("DELETE", policy("Normal"))).allowed
    assert decide(review("DELETE", policy(None))).allowed


def test_metadata_alone_is_allowed_during_a_freeze() -> None:
    old = policy()
    new = {**old, "metadata": {**old["metadata"], "labels": {"team": "payments"}}}
    assert decide(review("UPDATE", old, new)).allowed


def test_a_freeze_without_since_says_so_without_a_time() -> None:
    old = policy(since=None)
    old["status"].pop("since")
    decision = decide(review("UPDATE", old, changed(old, {"inFlight": "Ignore"})))
    assert decision.message == message("payments", "PartialFreeze", refused(("spec.inFlight",)), "")


@pytest.mark.parametrize(
    ("operation", "user", "groups", "allowed"),
    [
        pytest.param("UPDATE", OPERATOR, (), True, id="the operator changes anything"),
        pytest.param("DELETE", OPERATOR, (), True, id="the operator deletes"),
        pytest.param("DELETE", "system:serviceaccount:kube-system:namespace-controller",
                     ("system:serviceaccounts:kube-system",), True, id="the namespace controller"),
        pytest.param("DELETE", "system:kube-controller-manager", (), True,
                     id="kube-controller-manager with its own credentials"),
        pytest.param("UPDATE", "system:serviceaccount:kube-system:namespace-controller",
                     ("system:serviceaccounts:kube-system",), False,
                     id="a collector does not weaken a policy"),
        pytest.param("DELETE", "system:serviceaccount:shop:gitops", ("system:serviceaccounts",),
                     False, id="a GitOps controller deletes nothing in force"),
    ],
)  # fmt: skip
def test_who_passes_anyway(
    operation: str, user: str, groups: tuple[str, ...], allowed: bool
) -> None:
    old = policy()
    new = changed(old, {"enforcement": "DryRun"}) if operation == "UPDATE" else None
    decision = decide(review(operation, old, new, user, groups), operator_username=OPERATOR)
    assert decision.allowed is allowed


def test_without_an_operator_name_nobody_is_the_operator() -> None:
    old = policy()
    body = review("UPDATE", old, changed(old, {"enforcement": "Warn"}), user="")
    assert not decide(body, operator_username="").allowed


def test_the_refusal_is_a_forbidden_response_with_the_freeze_in_the_audit_log() -> None:
    body = respond(review("DELETE", policy()))
    assert body["response"] == {
        "uid": "u-1",
        "allowed": False,
        "status": {
            "code": 403,
            "reason": "Forbidden",
            "message": message("payments", "PartialFreeze", "deleting it would lift the freeze"),
        },
        "auditAnnotations": {"decision": "Frozen", "freeze-id": "fz-7c2e"},
    }


NO_REQUEST = "the body is not an AdmissionReview with a request"
NOTHING = "the {} request carries no object to compare"


def not_checked(detail: str) -> tuple[bool, tuple[str, ...]]:
    return True, (f"[budgetwarden] Not checked: {detail}; the change is allowed.",)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(None, not_checked(NO_REQUEST), id="no body"),
        pytest.param({"request": "x"}, not_checked(NO_REQUEST),
                     id="a request that is not an object"),
        pytest.param(review("UPDATE", policy(), policy(), kind={"group": "apps", "kind": "Pod"}),
                     not_checked("apps/Pod is not a policy"), id="another kind"),
        pytest.param(review("CREATE", None, policy()),
                     not_checked("operation CREATE is not one the policy guard judges"),
                     id="CREATE"),
        pytest.param(review("UPDATE", None, policy()), not_checked(NOTHING.format("UPDATE")),
                     id="UPDATE without oldObject"),
        pytest.param(review("DELETE", None), not_checked(NOTHING.format("DELETE")),
                     id="DELETE without oldObject"),
        pytest.param(review("UPDATE", policy(), policy(), subResource="status"), (True, ()),
                     id="status writes are not judged"),
        pytest.param(review("UPDATE", {**policy(), "spec": "x"}, {**policy(), "spec": []}),
                     (True, ()), id="specs that are not objects read as defaults"),
    ],
)  # fmt: skip
def test_bodies_the_guard_cannot_judge_are_allowed_with_a_warning(
    body: Any, expected: tuple[bool, tuple[str, ...]]
) -> None:
    decision = decide(body)
    assert (decision.allowed, decision.warnings) == expected


def test_unreadable_values_weaken_when_they_change() -> None:
    old = policy()
    new = changed(
        old, {"levels": {"partialFreezeBelow": "thirty"}, "hysteresis": {"minimumHold": 5}}
    )
    decision = decide(review("UPDATE", old, new))
    fields = ("spec.levels.partialFreezeBelow", "spec.hysteresis.minimumHold")
    assert decision.message == message("payments", "PartialFreeze", refused(fields))


def test_letting_resource_changes_through_weakens_a_policy_that_blocked_them() -> None:
    old = changed(policy(), {"resourceChanges": "Blocked"})
    for allowed in (changed(old, {"resourceChanges": "AllowedAtPartialFreeze"}),
                    changed(old, {"resourceChanges": None})):  # fmt: skip
        decision = decide(review("UPDATE", old, allowed))
        assert decision.message == message(
            "payments", "PartialFreeze", refused(("spec.resourceChanges",))
        )


def test_the_defaults_are_the_crd_defaults() -> None:
    assert DEFAULTS == {
        "enforcement": "Enforce", "onMetricsUnavailable": "Hold", "inFlight": "Pause",
        "pauseStepAtThaw": "Restart", "resourceChanges": "AllowedAtPartialFreeze",
        "levels.warningBelow": "50", "levels.partialFreezeBelow": "30",
        "levels.fullFreezeBelow": "10", "hysteresis.exitMarginPercent": "5",
        "hysteresis.minimumHold": "30m",
    }  # fmt: skip
