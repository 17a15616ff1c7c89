"""Which workloads and users a freeze holds, decisions whole.

Workloads no policy selects, relabelling a held workload, kinds no target names, and the
operator's own changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from admission_decision_support import (
    FROZEN,
    FULL,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_TEMPLATE,
    T,
    expect,
    freeze,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import ChangeKind

SCOPE_ROWS = [
    pytest.param(
        review("UPDATE", workload("s:2", name="search"), workload("s:1", name="search")),
        PARTIAL,
        expect(T, allowed=True, reason_code=Reason.NOT_FROZEN),
        id="a workload no policy selects is allowed during a freeze",
    ),
    pytest.param(
        review("UPDATE", NEW, OLD, user=OPERATOR),
        FULL,
        expect(T, allowed=True, reason_code=Reason.OWN_CHANGE),
        id="the operator's own change is allowed",
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
]


@pytest.mark.parametrize(("body", "view", "expected"), SCOPE_ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
