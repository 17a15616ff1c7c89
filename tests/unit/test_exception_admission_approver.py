"""FreezeException admission, mutating: the approver comes from the request, and the response
carries the patch or the refusal.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from budgetwarden.core.freeze.exception_admission import ExceptionDecision, mutate, review_response
from exception_admission_support import (
    ALICE,
    BOB,
    FORGED,
    RECORD_ALICE,
    exception_object,
    review,
    update,
)

APPROVER_MUTATIONS = [
    pytest.param(
        review(exception_object()),
        ExceptionDecision(True, patch=RECORD_ALICE),
        id="a new exception gets its creator recorded as the approver",
    ),
    pytest.param(
        review(exception_object(approvedBy=ALICE)),
        ExceptionDecision(True),
        id="an approver who typed their own name needs no patch",
    ),
    pytest.param(
        review(exception_object(approvedBy="carol@example.com")),
        ExceptionDecision(False, 403, "Forbidden", FORGED),
        id="someone else's name typed as approver is refused",
    ),
    pytest.param(
        review(exception_object(approvedBy="", reason="x")),
        ExceptionDecision(
            False,
            403,
            "Forbidden",
            "[budgetwarden] spec.approvedBy: is recorded from the request and must be"
            ' "alice@example.com" (who is creating this FreezeException); got "". Remove the'
            " field, or have that person create the exception.",
        ),
        id="an empty approvedBy is not the requester's name either",
    ),
    pytest.param(
        update(expiresAt="2026-11-29T14:00:00Z"),
        ExceptionDecision(True, patch=({"op": "add", "path": "/spec/approvedBy", "value": BOB},)),
        id="another approver shortening an exception is recorded as its approver",
    ),
    pytest.param(
        update(reason="longer"),
        ExceptionDecision(True),
        id="a change other than ending it sooner keeps the name (validation refuses the change)",
    ),
    pytest.param(
        review(
            {**exception_object(approvedBy=ALICE), "metadata": {"name": "x", "labels": {"a": "b"}}},
            exception_object(approvedBy=ALICE),
            operation="UPDATE",
            user=BOB,
        ),
        ExceptionDecision(True),
        id="a change that leaves the spec alone keeps the recorded approver",
    ),
    pytest.param(
        review({"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException"}),
        ExceptionDecision(True),
        id="a body without spec is left to the schema to refuse",
    ),
    pytest.param(
        review(exception_object(), user=""),
        ExceptionDecision(
            False,
            403,
            "Forbidden",
            "[budgetwarden] the request names no user to record as the approver",
        ),
        id="a request without a user name is refused",
    ),
    pytest.param(
        review(exception_object(), kind="SLO"),
        ExceptionDecision(
            False,
            400,
            "BadRequest",
            "[budgetwarden] not an AdmissionReview about a FreezeException",
        ),
        id="a review about another kind is refused",
    ),
    pytest.param(
        review(None, exception_object(), operation="DELETE"),
        ExceptionDecision(
            False,
            400,
            "BadRequest",
            "[budgetwarden] FreezeException admission judges CREATE and UPDATE with their"
            " objects; got operation DELETE",
        ),
        id="a DELETE is not judged here and says so",
    ),
]


@pytest.mark.parametrize(("request_body", "expected"), APPROVER_MUTATIONS)
def test_mutate(request_body: dict[str, Any], expected: ExceptionDecision) -> None:
    assert mutate(request_body) == expected


def test_the_response_carries_the_patch_as_base64_json_patch() -> None:
    answer = review_response("b0c1", mutate(review(exception_object())))
    response = answer["response"]
    assert json.loads(base64.b64decode(response.pop("patch"))) == list(RECORD_ALICE)
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "b0c1", "allowed": True, "patchType": "JSONPatch"},
    }


def test_a_refusal_response_carries_code_reason_and_message() -> None:
    answer = review_response(
        "b0c1", mutate(review(exception_object(approvedBy="carol@example.com")))
    )
    assert answer["response"] == {
        "uid": "b0c1",
        "allowed": False,
        "status": {"code": 403, "reason": "Forbidden", "message": FORGED},
    }
