"""FreezeExceptions in the webhook's decision: what they cover and what they do not."""

from __future__ import annotations

from typing import Any

import pytest

from admission_decision_support import (
    FROZEN,
    FULL,
    FULL_TEMPLATE,
    HOTFIX,
    HOTFIX_WARNING,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_TEMPLATE,
    T,
    exception,
    expect,
    review,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide
from budgetwarden.core.freeze.view import FreezeView

BY_LABEL = [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]

EXCEPTION_ROWS = [
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
                exception(targets=BY_LABEL, covers=[{"kind": "Rollout", "name": "checkout"}]),
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
        id="a FreezeException whose selector matched the workload when recorded counts",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(policies=PARTIAL.policies, exceptions=(exception(targets=BY_LABEL),)),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="a selector exception whose status records nothing yet covers nothing",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD),
        FreezeView(
            policies=PARTIAL.policies,
            exceptions=(
                exception(targets=BY_LABEL, covers=[{"kind": "Rollout", "name": "search"}]),
            ),
        ),
        expect(T, **FROZEN, message=PARTIAL_TEMPLATE),
        id="a workload that carries the selector's labels but was not recorded is not covered",
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
]


@pytest.mark.parametrize(("body", "view", "expected"), EXCEPTION_ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
