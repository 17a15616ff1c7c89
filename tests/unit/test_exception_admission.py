"""FreezeException admission: the approver comes from the request, lifetimes are capped."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze.exception_admission import (
    ExceptionDecision,
    mutate,
    review_response,
    validate,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ALICE = "alice@example.com"


def exception_object(**spec: Any) -> dict[str, Any]:
    """examples/06 expiring at 18:00 today, spec fields replaced (None removes one)."""
    raw: dict[str, Any] = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    raw["spec"]["expiresAt"] = "2026-11-29T18:00:00Z"
    for key, value in spec.items():
        if value is None:
            raw["spec"].pop(key, None)
        else:
            raw["spec"][key] = value
    return raw


def review(
    new: object,
    old: object = None,
    *,
    operation: str = "CREATE",
    user: str = ALICE,
    kind: str = "FreezeException",
) -> dict[str, Any]:
    """An AdmissionReview v1 request for a FreezeException."""
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "b0c1",
            "kind": {"group": "budgetwarden.io", "version": "v1alpha1", "kind": kind},
            "namespace": "shop",
            "operation": operation,
            "userInfo": {"username": user, "groups": ["approvers", "system:authenticated"]},
            "object": new,
            "oldObject": old,
        },
    }


FORGED = (
    '[budgetwarden] spec.approvedBy: is recorded from the request and must be "alice@example.com"'
    ' (who is creating this FreezeException); got "carol@example.com". Remove the field, or have'
    " that person create the exception."
)
RECORD_ALICE = ({"op": "add", "path": "/spec/approvedBy", "value": ALICE},)


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
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
            review(
                exception_object(reason="longer", approvedBy=ALICE),
                exception_object(approvedBy=ALICE),
                operation="UPDATE",
                user="bob@example.com",
            ),
            ExceptionDecision(True),
            id="another approver updating keeps the recorded approver untouched",
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
    ],
)
def test_mutate(request_body: dict[str, Any], expected: ExceptionDecision) -> None:
    assert mutate(request_body) == expected


GRANTED = (
    "[budgetwarden] FreezeException checkout-hotfix-4711 approved by alice@example.com:"
    " Rollout/checkout may ship through PartialFreeze until 2026-11-29T18:00:00Z.",
)


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        pytest.param(
            review(exception_object(approvedBy=ALICE)),
            ExceptionDecision(True, warnings=GRANTED),
            id="an approver's exception for six hours is admitted with a note of what it grants",
        ),
        pytest.param(
            review(exception_object(approvedBy=ALICE, expiresAt="2026-11-30T12:01:00Z")),
            ExceptionDecision(
                True,
                warnings=(GRANTED[0].replace("2026-11-29T18:00:00Z", "2026-11-30T12:01:00Z"),),
            ),
            id="exactly 24h plus the minute of clock skew is still admitted",
        ),
        pytest.param(
            review(exception_object(approvedBy=ALICE, expiresAt="2026-11-30T12:01:01Z")),
            ExceptionDecision(
                False,
                403,
                "Forbidden",
                "[budgetwarden] spec.expiresAt: must be at most 1d from now, at the latest"
                " 2026-11-30T12:00:00Z; got 2026-11-30T12:01:01Z. Ask again for more time before"
                " it ends.",
            ),
            id="a second beyond 24h and the skew is refused with the latest time allowed",
        ),
        pytest.param(
            review(exception_object(approvedBy=ALICE, expiresAt="2026-11-29T12:00:00Z")),
            ExceptionDecision(
                False,
                403,
                "Forbidden",
                "[budgetwarden] spec.expiresAt: must be in the future (now is"
                " 2026-11-29T12:00:00Z); got 2026-11-29T12:00:00Z",
            ),
            id="an exception that expires now is refused",
        ),
        pytest.param(
            review(exception_object(approvedBy="carol@example.com")),
            ExceptionDecision(False, 403, "Forbidden", FORGED),
            id="a forged approver that slipped past mutation is refused again",
        ),
        pytest.param(
            review(exception_object()),
            ExceptionDecision(
                False,
                403,
                "Forbidden",
                "[budgetwarden] spec.approvedBy: missing; budgetwarden's mutating webhook records"
                " it on CREATE. Check that MutatingWebhookConfiguration budgetwarden is installed.",
            ),
            id="an exception without a recorded approver is refused",
        ),
        pytest.param(
            review(exception_object(approvedBy=ALICE, maxLevel="Total")),
            ExceptionDecision(
                False,
                400,
                "BadRequest",
                "[budgetwarden] FreezeException checkout-hotfix-4711: spec.maxLevel: must be"
                ' PartialFreeze or FullFreeze; got "Total"',
            ),
            id="a spec the model cannot read is refused naming the field",
        ),
        pytest.param(
            review(
                exception_object(approvedBy=ALICE, expiresAt="2026-11-29T11:00:00Z"),
                exception_object(approvedBy=ALICE),
                operation="UPDATE",
            ),
            ExceptionDecision(True),
            id="moving expiresAt into the past ends an exception early and is allowed",
        ),
        pytest.param(
            review(
                exception_object(approvedBy=ALICE, expiresAt="2026-11-30T11:00:00Z"),
                exception_object(approvedBy=ALICE),
                operation="UPDATE",
            ),
            ExceptionDecision(True),
            id="extending an exception within 24h of now is allowed",
        ),
        pytest.param(
            review(
                exception_object(approvedBy=ALICE, expiresAt="2026-12-01T18:00:00Z"),
                exception_object(approvedBy=ALICE),
                operation="UPDATE",
            ),
            ExceptionDecision(
                False,
                403,
                "Forbidden",
                "[budgetwarden] spec.expiresAt: must be at most 1d from now, at the latest"
                " 2026-11-30T12:00:00Z; got 2026-12-01T18:00:00Z. Ask again for more time before"
                " it ends.",
            ),
            id="extending an exception beyond 24h from now is refused",
        ),
        pytest.param(
            review(
                exception_object(approvedBy=ALICE, reason="still needed"),
                exception_object(approvedBy=ALICE, expiresAt="2026-11-29T11:00:00Z"),
                operation="UPDATE",
            ),
            ExceptionDecision(True),
            id="editing an expired exception without touching expiresAt is allowed",
        ),
        pytest.param(
            review(
                exception_object(approvedBy="carol@example.com"),
                exception_object(),
                operation="UPDATE",
            ),
            ExceptionDecision(False, 403, "Forbidden", FORGED),
            id="filling in a missing approver with someone else's name is refused",
        ),
    ],
)
def test_validate(request_body: dict[str, Any], expected: ExceptionDecision) -> None:
    assert validate(request_body, now=NOW) == expected


def test_a_shorter_configured_lifetime_is_the_cap() -> None:
    body = review(exception_object(approvedBy=ALICE))
    decision = validate(body, now=NOW, max_ttl=timedelta(hours=4))
    assert decision.message == (
        "[budgetwarden] spec.expiresAt: must be at most 4h from now, at the latest"
        " 2026-11-29T16:00:00Z; got 2026-11-29T18:00:00Z. Ask again for more time before it ends."
    )


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
