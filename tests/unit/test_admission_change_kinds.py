"""What a freeze still allows and what it blocks, by kind of change, decisions whole.

Rollbacks, scaling, pausing, metadata, restarts, deletes, the status subresource, resuming
what budgetwarden paused, and creating workloads.
"""

from __future__ import annotations

from typing import Any

import pytest

from admission_decision_support import (
    DEPLOYMENT,
    DURING,
    FROZEN,
    FULL,
    FULL_TEMPLATE,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_CREATE,
    PARTIAL_UNPAUSE,
    PAUSED_BY_US,
    T,
    expect,
    freeze,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, decide
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import ChangeKind
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget

CHANGE_KIND_ROWS = [
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
        expect(ChangeKind.RELABEL, **DURING),
        id="a label change that keeps the workload selected is allowed during a full freeze",
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
        expect(ChangeKind.STATUS, **DURING),
        id="a Rollout status write that moves nothing on is allowed",
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
        review("CREATE", NEW),
        PARTIAL,
        expect(ChangeKind.CREATE, **FROZEN, message=PARTIAL_CREATE),
        id="creating a Rollout the frozen policy selects is denied: it is a new version",
    ),
]


@pytest.mark.parametrize(("body", "view", "expected"), CHANGE_KIND_ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
