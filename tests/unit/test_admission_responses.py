"""The webhook's answers beyond one decision: requests it cannot judge, dry runs, stable and
bounded messages, and the AdmissionReview response it sends back.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from admission_decision_support import (
    FULL,
    HOTFIX,
    HOTFIX_WARNING,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_TEMPLATE,
    freeze,
    not_checked,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, decide, respond
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.policy.status_model import HeldTarget

UNJUDGEABLE_REQUESTS = [
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
]


@pytest.mark.parametrize(("body", "expected"), UNJUDGEABLE_REQUESTS)
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
