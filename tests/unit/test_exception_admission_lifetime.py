"""FreezeException admission, validating: lifetimes are capped, the approver checked again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.core.freeze.exception_admission import ExceptionDecision, validate
from exception_admission_support import ALICE, FORGED, NOW, exception_object, review

GRANTED = (
    "[budgetwarden] FreezeException checkout-hotfix-4711 approved by alice@example.com:"
    " Rollout/checkout may ship through PartialFreeze until 2026-11-29T18:00:00Z.",
)

LIFETIME_VALIDATIONS = [
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
        ExceptionDecision(
            False,
            403,
            "Forbidden",
            "[budgetwarden] spec.expiresAt: may only move earlier on an existing FreezeException"
            " (it ends at 2026-11-29T18:00:00Z); got 2026-11-30T11:00:00Z. For more time, create a"
            " new FreezeException.",
        ),
        id="extending an exception within 24h of now is refused: a new exception is asked for",
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
            "[budgetwarden] spec.expiresAt: may only move earlier on an existing FreezeException"
            " (it ends at 2026-11-29T18:00:00Z); got 2026-12-01T18:00:00Z. For more time, create a"
            " new FreezeException.",
        ),
        id="extending an exception beyond 24h from now is refused",
    ),
    pytest.param(
        review(
            exception_object(approvedBy=ALICE, reason="still needed"),
            exception_object(approvedBy=ALICE, expiresAt="2026-11-29T11:00:00Z"),
            operation="UPDATE",
        ),
        ExceptionDecision(
            False,
            403,
            "Forbidden",
            "[budgetwarden] spec.expiresAt: this FreezeException expired at 2026-11-29T11:00:00Z"
            " (now is 2026-11-29T12:00:00Z) and can no longer change, only be deleted. Create a new"
            " FreezeException if it is still needed.",
        ),
        id="editing an expired exception (here: bringing it back to life) is refused",
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
]


@pytest.mark.parametrize(("request_body", "expected"), LIFETIME_VALIDATIONS)
def test_validate(request_body: dict[str, Any], expected: ExceptionDecision) -> None:
    assert validate(request_body, now=NOW) == expected


def test_a_shorter_configured_lifetime_is_the_cap() -> None:
    body = review(exception_object(approvedBy=ALICE))
    decision = validate(body, now=NOW, max_ttl=timedelta(hours=4))
    assert decision.message == (
        "[budgetwarden] spec.expiresAt: must be at most 4h from now, at the latest"
        " 2026-11-29T16:00:00Z; got 2026-11-29T18:00:00Z. Ask again for more time before it ends."
    )
