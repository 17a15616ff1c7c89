"""FreezeException admission, validating: an exception changes only to end sooner, every change
is recorded under the name of whoever makes it, and ServiceAccounts approve nothing by default.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.freeze.exception_admission import ExceptionDecision, validate
from exception_admission_support import (
    ALICE,
    BOB,
    GITOPS,
    NOW,
    exception_object,
    review,
    update,
)

EXPIRED = exception_object(approvedBy=ALICE, expiresAt="2026-11-29T11:00:00Z")
ALL_CHECKOUT = [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]


def refused(message: str) -> ExceptionDecision:
    return ExceptionDecision(False, 403, "Forbidden", "[budgetwarden] " + message)


def fixed(field: str) -> ExceptionDecision:
    return refused(
        f"{field}: cannot change once the FreezeException exists; only spec.expiresAt may move"
        " earlier, to end it sooner. Create a new FreezeException for anything else."
    )


SERVICE_ACCOUNT = refused(
    f'spec.approvedBy: a ServiceAccount cannot approve or change a FreezeException; got "{GITOPS}".'
    " Have a person with the approver role do it (or allow ServiceAccount approvers with the"
    " chart value admission.allowServiceAccountApprovers)."
)

CHANGES = [
    pytest.param(update(targets=[{"kind": "Rollout", "selector": {"matchLabels": {"a": "b"}}}]),
                 fixed("spec.targets"), id="another approver widening the targets is refused"),
    pytest.param(update(targets=ALL_CHECKOUT, approvedBy=BOB), fixed("spec.targets"),
                 id="widening the targets is refused even under the changer's own name"),
    pytest.param(update(maxLevel="FullFreeze", approvedBy=BOB), fixed("spec.maxLevel"),
                 id="raising maxLevel is refused"),
    pytest.param(update(reason="a different change", approvedBy=BOB), fixed("spec.reason"),
                 id="rewriting the reason is refused"),
    pytest.param(update(ticket="INC-9999", approvedBy=BOB), fixed("spec.ticket"),
                 id="pointing at another ticket is refused"),
    pytest.param(
        update(expiresAt="2026-11-30T11:00:00Z", approvedBy=BOB),
        refused("spec.expiresAt: may only move earlier on an existing FreezeException (it ends at"
                " 2026-11-29T18:00:00Z); got 2026-11-30T11:00:00Z. For more time, create a new"
                " FreezeException."),
        id="extending an exception, even within the maximum lifetime, is refused",
    ),
    pytest.param(
        update(old=EXPIRED, expiresAt="2026-11-29T18:00:00Z", approvedBy=BOB),
        refused("spec.expiresAt: this FreezeException expired at 2026-11-29T11:00:00Z (now is"
                " 2026-11-29T12:00:00Z) and can no longer change, only be deleted. Create a new"
                " FreezeException if it is still needed."),
        id="reviving an expired exception is refused",
    ),
    pytest.param(
        update(old=EXPIRED, expiresAt="2026-11-29T10:00:00Z", approvedBy=BOB),
        refused("spec.expiresAt: this FreezeException expired at 2026-11-29T11:00:00Z (now is"
                " 2026-11-29T12:00:00Z) and can no longer change, only be deleted. Create a new"
                " FreezeException if it is still needed."),
        id="an expired exception cannot even be shortened, only deleted",
    ),
    pytest.param(update(expiresAt="2026-11-29T14:00:00Z", approvedBy=BOB), ExceptionDecision(True),
                 id="another approver shortening it is allowed, recorded as its approver"),
    pytest.param(update(user=ALICE, expiresAt="2026-11-29T11:00:00Z"), ExceptionDecision(True),
                 id="the approver revoking it by moving expiresAt into the past is allowed"),
    pytest.param(
        update(expiresAt="2026-11-29T14:00:00Z"),
        refused('spec.approvedBy: every change to a FreezeException records who makes it and must'
                f' be "{BOB}" (who is changing it); got "{ALICE}". Check that'
                " MutatingWebhookConfiguration budgetwarden is installed."),
        id="a shortening that keeps the old approver's name is refused",
    ),
    pytest.param(
        update(approvedBy=BOB),
        refused("spec.approvedBy: changes only together with an earlier spec.expiresAt, to whoever"
                f' makes that change; it is "{ALICE}", got "{BOB}".'),
        id="taking over an exception without shortening it is refused",
    ),
    pytest.param(update(approvedBy=None),
                 refused("spec.approvedBy: changes only together with an earlier spec.expiresAt,"
                         f' to whoever makes that change; it is "{ALICE}", got nothing.'),
                 id="removing the approver is refused"),
    pytest.param(
        review({**EXPIRED, "metadata": {**EXPIRED["metadata"], "labels": {"team": "payments"}}},
               EXPIRED, operation="UPDATE", user="system:serviceaccount:budgetwarden:budgetwarden"),
        ExceptionDecision(True),
        id="a change to metadata alone is not judged, even of an expired exception by an account",
    ),
]  # fmt: skip

SERVICE_ACCOUNTS = [
    pytest.param(review(exception_object(approvedBy=GITOPS), user=GITOPS), False, SERVICE_ACCOUNT,
                 id="a ServiceAccount creating an exception is refused"),
    pytest.param(update(user=GITOPS, expiresAt="2026-11-29T14:00:00Z", approvedBy=GITOPS), False,
                 SERVICE_ACCOUNT, id="a ServiceAccount shortening an exception is refused"),
    pytest.param(
        review(exception_object(approvedBy=GITOPS), user=GITOPS), True,
        ExceptionDecision(True, warnings=(
            f"[budgetwarden] FreezeException checkout-hotfix-4711 approved by {GITOPS}:"
            " Rollout/checkout may ship through PartialFreeze until 2026-11-29T18:00:00Z.",)),
        id="a ServiceAccount approver is admitted where the operator allows them",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("request_body", "expected"), CHANGES)
def test_an_exception_changes_only_to_end_sooner(
    request_body: dict[str, Any], expected: ExceptionDecision
) -> None:
    assert validate(request_body, now=NOW) == expected


@pytest.mark.parametrize(("request_body", "allow", "expected"), SERVICE_ACCOUNTS)
def test_service_accounts_approve_only_where_allowed(
    request_body: dict[str, Any], allow: bool, expected: ExceptionDecision
) -> None:
    assert validate(request_body, now=NOW, allow_service_accounts=allow) == expected


def test_an_empty_selector_is_refused_naming_the_field() -> None:
    body = review(exception_object(approvedBy=ALICE, targets=[{"kind": "Rollout", "selector": {}}]))
    assert validate(body, now=NOW) == ExceptionDecision(
        False,
        400,
        "BadRequest",
        "[budgetwarden] FreezeException checkout-hotfix-4711: spec.targets[0].selector: must not be"
        " empty, which would cover every workload of the kind; set matchLabels or"
        " matchExpressions, or name the workload",
    )
