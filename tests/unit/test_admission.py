"""Admission under error-budget freezes: one row per rule, whole decisions and messages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide, respond
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.workload_diff import ChangeKind, template_digest
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.policy.status import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
RUNBOOK = "https://runbooks.example/slo-freeze"
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"
POLICY = parse_policy(yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text()))
HOTFIX = parse_exception(yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text()))
ROLLOUT = ("argoproj.io", "Rollout")
DEPLOYMENT = ("apps", "Deployment")


def workload(
    image: str = "shop/checkout:1.5.0",
    *,
    name: str = "checkout",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    template_annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Rollout or Deployment in namespace shop; `spec` entries replace spec fields."""
    metadata = {"name": name, "namespace": "shop", "labels": labels or {"app": name}}
    return {
        "metadata": {**metadata, "annotations": annotations or {}},
        "spec": {
            "replicas": 4,
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": template_annotations or {}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


OLD = workload("shop/checkout:1.4.2")
NEW = workload("shop/checkout:1.5.0")
PAUSED_BY_US = workload("shop/checkout:1.4.2", annotations={ANNOTATION_PAUSED_BY: "budgetwarden"})


def review(
    operation: str,
    new: object,
    old: object = None,
    *,
    kind: tuple[str, str] = ROLLOUT,
    user: str = "alice@example.com",
    dry_run: bool = False,
    sub_resource: str | None = None,
) -> dict[str, Any]:
    """An AdmissionReview v1 request as the API server sends it."""
    current = new if isinstance(new, dict) else old if isinstance(old, dict) else {}
    meta = current.get("metadata", {})
    request: dict[str, Any] = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": kind[0], "version": "v1", "kind": kind[1]},
        "name": meta.get("name"),
        "namespace": "shop",
        "operation": operation,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": new,
        "oldObject": old,
        "dryRun": dry_run,
    }
    if sub_resource:
        request["subResource"] = sub_resource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


STABLE = template_digest(workload("shop/checkout:1.4.1")["spec"]["template"])
HELD = HeldTarget("Rollout", "checkout", paused_by_us=False, stable_template=STABLE)


def freeze(level: Level = Level.PARTIAL_FREEZE, **changes: Any) -> PolicyFreeze:
    """The payments policy (examples/05) at `level`, holding Rollout checkout."""
    policy = PolicyFreeze(
        policy="payments",
        level=level,
        targets=POLICY.spec.targets,
        enforcement="Enforce",
        freeze_id="fz-7c2e",
        since=SINCE,
        slo="checkout-availability",
        remaining_percent=Decimal("21.4") if level != Level.FULL_FREEZE else Decimal("8.23"),
        threshold_percent=Decimal("30") if level != Level.FULL_FREEZE else Decimal("10"),
        runbook_url=RUNBOOK,
        held=(HELD,),
    )
    return dataclasses.replace(policy, **changes)


def exception(**spec: Any) -> FreezeException:
    """examples/06 with spec fields replaced."""
    raw = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    raw["spec"].update(spec)
    return parse_exception(raw)


PARTIAL = FreezeView(policies=(freeze(),))
FULL = FreezeView(policies=(freeze(Level.FULL_FREEZE),))

PARTIAL_TEMPLATE = (
    "[budgetwarden] PartialFreeze on shop/Rollout/checkout: SLO checkout-availability has 21.4%"
    " error budget left (below 30%) under policy payments since 2026-11-29T10:14:00Z. Blocked:"
    " pod template changes (new versions). Still allowed: rollbacks to the stable version,"
    " scaling, pausing, restarts, metadata changes. To ship a critical fix, an approver creates a"
    " FreezeException (kubectl explain freezeexception; runbook:"
    " https://runbooks.example/slo-freeze). Freeze fz-7c2e."
)
FULL_TEMPLATE = (
    "[budgetwarden] FullFreeze on shop/Rollout/checkout: SLO checkout-availability has 8.2%"
    " error budget left (below 10%) under policy payments since 2026-11-29T10:14:00Z. Blocked:"
    " pod template changes (new versions). Still allowed: rollbacks to the stable version,"
    " scaling, pausing, restarts, metadata changes. To ship anyway, an approver creates a"
    " FreezeException with maxLevel FullFreeze (kubectl explain freezeexception; runbook:"
    " https://runbooks.example/slo-freeze). Freeze fz-7c2e."
)
PARTIAL_UNPAUSE = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)", "resuming a workload budgetwarden paused for this freeze"
)
PARTIAL_CREATE = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)", "creating workloads (new versions)"
)
HOTFIX_WARNING = (
    "[budgetwarden] PartialFreeze on shop/Rollout/checkout: allowed by FreezeException"
    " checkout-hotfix-4711 (ticket INC-4711, expires 2026-12-01T18:00:00Z) under policy payments."
    " Freeze fz-7c2e."
)
WARNING_LEVEL = (
    "[budgetwarden] Warning on shop/Rollout/checkout: SLO checkout-availability has 41.5% error"
    " budget left (below 50%) under policy payments. New versions are still allowed; a freeze"
    " would block them."
)
UNKNOWN_LEVEL = (
    "[budgetwarden] Unknown on shop/Rollout/checkout: policy payments has no error budget level"
    " yet; this change was not checked."
)
PLATFORM_PARTIAL = PARTIAL_TEMPLATE.replace("policy payments", "policy platform").replace(
    "fz-7c2e", "fz-91ab"
)
FROZEN = {
    "allowed": False,
    "reason_code": Reason.FROZEN,
    "status_code": 403,
    "freeze_id": "fz-7c2e",
}
DURING = {"allowed": True, "reason_code": Reason.ALLOWED_DURING_FREEZE, "freeze_id": "fz-7c2e"}


def expect(change: ChangeKind, **fields: Any) -> AdmissionDecision:
    """The whole decision expected, from its non-default fields."""
    return AdmissionDecision(change=change, **fields)


T = ChangeKind.TEMPLATE
ROWS = [
    pytest.param(
        review("UPDATE", NEW, OLD),
        PARTIAL,
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="a new image during a partial freeze is denied with the whole message",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FULL,
        expect(T, **FROZEN, message=FULL_TEMPLATE),
        id="a new image during a full freeze is denied and says how to get a FullFreeze exception",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(Level.NORMAL),)),
        expect(T, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="a new image under Normal is allowed without a word",
    ),
    pytest.param(
        review("UPDATE", workload("s:2", name="search"), workload("s:1", name="search")),
        PARTIAL,
        expect(T, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="a workload no policy selects is allowed during a freeze",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(
                    Level.WARNING,
                    freeze_id="",
                    remaining_percent=Decimal("41.58"),
                    threshold_percent=Decimal("50.0"),
                ),
            )
        ),
        expect(
            T,
            allowed=True,
            reason_code=Reason.BUDGET_WARNING,
            warnings=(WARNING_LEVEL,),
        ),
        id="a new image at Warning is allowed with a warning",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.2", replicas=8), OLD),
        FreezeView(policies=(freeze(Level.WARNING, freeze_id=""),)),
        expect(ChangeKind.SCALE, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="scaling at Warning is allowed without a warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(Level.UNKNOWN, freeze_id=""),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.BUDGET_UNKNOWN,
            warnings=(UNKNOWN_LEVEL,),
        ),
        id="a policy with no level yet lets a new image through with a not-checked warning",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.1"), NEW),
        FULL,
        expect(ChangeKind.ROLLBACK, **DURING),
        id="a rollback to the recorded stable template is allowed during a full freeze",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.1"), NEW),
        FreezeView(
            policies=(freeze(Level.FULL_FREEZE, held=(HeldTarget("Rollout", "checkout"),)),)
        ),
        expect(T, **FROZEN, message=FULL_TEMPLATE),
        id="without a recorded stable template an older image is a new version and is denied",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.2", replicas=12), OLD),
        FULL,
        expect(ChangeKind.SCALE, **DURING),
        id="scaling during a full freeze is allowed",
    ),
    pytest.param(
        review("UPDATE", workload("shop/checkout:1.4.2", paused=True), OLD),
        FULL,
        expect(ChangeKind.PAUSE, **DURING),
        id="pausing during a full freeze is allowed",
    ),
    pytest.param(
        review(
            "UPDATE", workload("shop/checkout:1.4.2", labels={"app": "checkout", "tier": "1"}), OLD
        ),
        FULL,
        expect(ChangeKind.METADATA, **DURING),
        id="a label-only change during a full freeze is allowed",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload(
                "w:3",
                name="checkout-worker",
                template_annotations={"kubectl.kubernetes.io/restartedAt": "2026-11-29T11:58:00Z"},
            ),
            workload("w:3", name="checkout-worker"),
            kind=DEPLOYMENT,
        ),
        FULL,
        expect(ChangeKind.RESTART, **DURING),
        id="kubectl rollout restart of a selected Deployment during a full freeze is allowed",
    ),
    pytest.param(
        review("DELETE", None, OLD),
        FULL,
        expect(ChangeKind.DELETE, **DURING),
        id="deleting during a full freeze is allowed",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD, sub_resource="status"),
        FULL,
        expect(ChangeKind.STATUS, allowed=True, reason_code=Reason.SUBRESOURCE),
        id="an update through the status subresource is allowed",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload("shop/checkout:1.4.2"),
            PAUSED_BY_US | {"spec": {**PAUSED_BY_US["spec"], "paused": True}},
        ),
        PARTIAL,
        expect(ChangeKind.UNPAUSE, **FROZEN, message=PARTIAL_UNPAUSE),
        id="resuming a Rollout annotated as paused by budgetwarden is denied",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload("shop/checkout:1.4.2", paused=False),
            workload("shop/checkout:1.4.2", paused=True),
        ),
        FreezeView(
            policies=(freeze(held=(HeldTarget("Rollout", "checkout", paused_by_us=True),)),)
        ),
        expect(ChangeKind.UNPAUSE, **FROZEN, message=PARTIAL_UNPAUSE),
        id="resuming a Rollout the policy status records as paused by us is denied",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload("shop/checkout:1.4.2", paused=False),
            workload("shop/checkout:1.4.2", paused=True),
        ),
        PARTIAL,
        expect(ChangeKind.UNPAUSE, **DURING),
        id="resuming a Rollout a person paused is allowed",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD, user=OPERATOR),
        FULL,
        expect(T, allowed=True, reason_code=Reason.OWN_CHANGE),
        id="the operator's own change is allowed",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=PARTIAL.policies, exceptions=(HOTFIX,)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.EXCEPTION,
            warnings=(HOTFIX_WARNING,),
            exception_used="checkout-hotfix-4711",
            freeze_id="fz-7c2e",
        ),
        id="a FreezeException naming the Rollout lets a new image through, with a warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies,
            exceptions=(
                exception(
                    targets=[{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]
                ),
            ),
        ),
        expect(
            T,
            allowed=True,
            reason_code=Reason.EXCEPTION,
            warnings=(HOTFIX_WARNING,),
            exception_used="checkout-hotfix-4711",
            freeze_id="fz-7c2e",
        ),
        id="a FreezeException selecting the workload's labels counts",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=FULL.policies, exceptions=(HOTFIX,)),
        expect(T, **FROZEN, message=FULL_TEMPLATE),
        id="a PartialFreeze exception does not cover a full freeze",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=FULL.policies, exceptions=(exception(maxLevel="FullFreeze"),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.EXCEPTION,
            warnings=(HOTFIX_WARNING.replace("PartialFreeze", "FullFreeze"),),
            exception_used="checkout-hotfix-4711",
            freeze_id="fz-7c2e",
        ),
        id="a FullFreeze exception covers a full freeze",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies, exceptions=(exception(expiresAt="2026-11-29T12:00:00Z"),)
        ),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="an exception expiring exactly now no longer counts",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies,
            exceptions=(exception(targets=[{"kind": "Rollout", "name": "search"}]),),
        ),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="an exception for another workload does not count",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies,
            exceptions=(exception(targets=[{"kind": "Deployment", "name": "checkout"}]),),
        ),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="an exception for a Deployment of the same name does not cover the Rollout",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies,
            exceptions=(
                HOTFIX.model_copy(
                    update={"metadata": HOTFIX.metadata.model_copy(update={"namespace": "other"})}
                ),
            ),
        ),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="an exception in another namespace does not count",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(enforcement="Warn"),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.WARN_ONLY,
            message=PARTIAL_TEMPLATE,
            warnings=(PARTIAL_TEMPLATE,),
            freeze_id="fz-7c2e",
        ),
        id="enforcement Warn allows and shows the denial as a warning",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(enforcement="DryRun"),)),
        expect(
            T,
            allowed=True,
            reason_code=Reason.DRY_RUN,
            message=PARTIAL_TEMPLATE,
            dry_run=True,
            freeze_id="fz-7c2e",
        ),
        id="enforcement DryRun allows silently and records the denial it would make",
    ),
    pytest.param(
        review("CREATE", NEW),
        PARTIAL,
        expect(ChangeKind.CREATE, **FROZEN, message=PARTIAL_CREATE),
        id="creating a Rollout the frozen policy selects is denied: it is a new version",
    ),
    pytest.param(
        review("CREATE", workload("s:1", name="search")),
        PARTIAL,
        expect(ChangeKind.CREATE, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="creating a Rollout no policy selects is allowed",
    ),
    pytest.param(
        review("UPDATE", workload(labels={"app": "elsewhere"}), OLD),
        PARTIAL,
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="relabelling a held Rollout in the same update does not free it",
    ),
    pytest.param(
        review("UPDATE", workload(labels={"app": "elsewhere"}), OLD),
        FreezeView(policies=(freeze(held=()),)),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="a policy whose targets select the old labels still holds the workload",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD, kind=("apps", "StatefulSet")),
        PARTIAL,
        expect(T, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="a StatefulSet is judged, and no target kind selects one",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=(freeze(remaining_percent=None, threshold_percent=None),)),
        expect(
            T,
            **FROZEN,
            message=PARTIAL_TEMPLATE.replace(
                "has 21.4% error budget left (below 30%)",
                "has no current error budget reading (metrics unavailable)",
            ),
        ),
        id="a freeze held without metrics says there is no budget reading",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(enforcement="Warn"),
                freeze(Level.FULL_FREEZE, policy="platform", freeze_id="fz-91ab", held=()),
            )
        ),
        expect(
            T,
            allowed=False,
            reason_code=Reason.FROZEN,
            status_code=403,
            freeze_id="fz-91ab",
            message=FULL_TEMPLATE.replace("policy payments", "policy platform").replace(
                "fz-7c2e", "fz-91ab"
            ),
        ),
        id="an enforced full freeze outranks a warn-only partial one and names its policy",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=(
                freeze(enforcement="DryRun"),
                freeze(policy="platform", enforcement="Warn", freeze_id="fz-91ab", held=()),
            )
        ),
        expect(
            T,
            allowed=True,
            reason_code=Reason.WARN_ONLY,
            dry_run=True,
            freeze_id="fz-91ab",
            message=PLATFORM_PARTIAL,
            warnings=(PLATFORM_PARTIAL,),
        ),
        id="a warn-only freeze shows its warning while a DryRun freeze is only recorded",
    ),
]


@pytest.mark.parametrize(("body", "view", "expected"), ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected


def not_checked(detail: str) -> AdmissionDecision:
    """The allow-with-a-warning answer to a request that cannot be judged."""
    warning = f"[budgetwarden] Not checked: {detail}; the change is allowed."
    return AdmissionDecision(True, Reason.NOT_CHECKED, warnings=(warning,))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            ["not", "a", "review"],
            not_checked("the body is not an AdmissionReview with a request"),
            id="a body that is not a mapping",
        ),
        pytest.param(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"},
            not_checked("the body is not an AdmissionReview with a request"),
            id="a review without a request",
        ),
        pytest.param(
            review("UPDATE", NEW, OLD, kind=("", "Pod")),
            not_checked("core/Pod is not a kind budgetwarden guards"),
            id="a Pod is not a kind budgetwarden guards",
        ),
        pytest.param(
            review("UPDATE", NEW, OLD, kind=("argoproj.io", "Application")),
            not_checked("argoproj.io/Application is not a kind budgetwarden guards"),
            id="Argo CD's Application shares the group but is not guarded",
        ),
        pytest.param(
            review("CONNECT", NEW, OLD),
            not_checked("operation CONNECT is not one budgetwarden judges"),
            id="a CONNECT is not judged",
        ),
        pytest.param(
            review("UPDATE", NEW, None),
            not_checked("the UPDATE request carries no object to compare"),
            id="an UPDATE without oldObject cannot be compared",
        ),
        pytest.param(
            review("CREATE", "a string"),
            not_checked("the CREATE request carries no object to compare"),
            id="a CREATE whose object is a string",
        ),
    ],
)
def test_requests_that_cannot_be_judged_are_allowed_with_a_warning(
    body: object, expected: AdmissionDecision
) -> None:
    assert decide(body, FULL, operator_username=OPERATOR, now=NOW) == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(review("UPDATE", NEW, OLD), id="a new image"),
        pytest.param(review("CREATE", NEW), id="a new workload"),
        pytest.param(review("UPDATE", workload("shop/checkout:1.4.1"), NEW), id="a rollback"),
    ],
)
def test_a_dry_run_request_gets_the_same_answer_as_a_real_one(body: dict[str, Any]) -> None:
    dry = {**body, "request": {**body["request"], "dryRun": True}}
    real = decide(body, FULL, operator_username=OPERATOR, now=NOW)
    assert decide(dry, FULL, operator_username=OPERATOR, now=NOW) == real


def test_the_message_stays_the_same_as_time_passes() -> None:
    # Argo CD and Flux retry; a message that changed each time would churn their conditions.
    body = review("UPDATE", NEW, OLD)
    first = decide(body, PARTIAL, operator_username=OPERATOR, now=NOW)
    later = decide(body, PARTIAL, operator_username=OPERATOR, now=NOW + timedelta(hours=5))
    assert later.message == first.message == PARTIAL_TEMPLATE


def test_a_denial_fits_600_characters_even_with_the_longest_names() -> None:
    long_name = "checkout-" + "x" * 244  # 253 characters, a Deployment's maximum
    policy = freeze(
        policy="p" * 63,
        slo="s" * 63,
        freeze_id="fz-" + "9" * 60,
        remaining_percent=Decimal("-1234.5678"),
        runbook_url="https://runbooks.example/" + "r" * 2000,
        held=(HeldTarget("Rollout", long_name),),
    )
    body = review("UPDATE", workload(name=long_name), workload("old", name=long_name))
    body["request"]["namespace"] = "n" * 63
    decision = decide(body, FreezeView(policies=(policy,)), operator_username=OPERATOR, now=NOW)
    assert decision.allowed is False
    assert len(decision.message) <= 600
    assert decision.message.startswith("[budgetwarden] PartialFreeze on nnn")
    assert (
        "runbook: https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md)"
        in (decision.message)
    )
    assert decision.message.endswith(" Freeze fz-" + "9" * 34 + "....")
    assert decision.message.isprintable() and decision.message.isascii()


def test_review_response_for_a_denial() -> None:
    body = review("UPDATE", NEW, OLD)
    assert respond(body, PARTIAL, operator_username=OPERATOR, now=NOW) == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "allowed": False,
            "status": {"code": 403, "message": PARTIAL_TEMPLATE, "reason": "Forbidden"},
            "auditAnnotations": {"decision": "Frozen", "freeze-id": "fz-7c2e"},
        },
    }


def test_review_response_for_a_change_shipped_under_an_exception() -> None:
    body = review("UPDATE", NEW, OLD)
    view = FreezeView(policies=PARTIAL.policies, exceptions=(HOTFIX,))
    assert respond(body, view, operator_username=OPERATOR, now=NOW) == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "allowed": True,
            "warnings": [HOTFIX_WARNING],
            "auditAnnotations": {
                "decision": "AllowedByException",
                "freeze-id": "fz-7c2e",
                "exception": "checkout-hotfix-4711",
            },
        },
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            review("UPDATE", NEW, OLD),
            {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": True},
            id="no freeze: a bare allow",
        ),
        pytest.param(
            {"request": {"uid": 42}},
            {
                "uid": "",
                "allowed": True,
                "warnings": [
                    "[budgetwarden] Not checked: core/(none) is not a kind budgetwarden"
                    " guards; the change is allowed."
                ],
            },
            id="a uid that is not a string is echoed as empty",
        ),
    ],
)
def test_review_response_when_allowed(body: object, expected: dict[str, Any]) -> None:
    response = respond(body, FreezeView(), operator_username=OPERATOR, now=NOW)
    assert response == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": expected,
    }
