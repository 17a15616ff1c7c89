"""Which workloads and users a freeze holds, decisions whole.

Workloads no policy selects, relabelling a held workload, kinds no target names, the metadata a
freeze guards (labels that release a held workload, budgetwarden.io annotations), and the
operator's own changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from admission_decision_support import (
    DURING,
    FROZEN,
    FULL,
    NEW,
    NOW,
    OLD,
    OPERATOR,
    PARTIAL,
    PARTIAL_MARKS,
    PARTIAL_RELABEL,
    PARTIAL_TEMPLATE,
    PAUSED_BY_US,
    T,
    expect,
    freeze,
    not_checked,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import ChangeKind
from budgetwarden.core.kernel.conventions import ANNOTATION_STABLE_TEMPLATE

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
        not_checked("apps/StatefulSet is not a kind budgetwarden guards"),
        id="a StatefulSet is not judged: no policy can target one",
    ),
]
MOVED = workload("shop/checkout:1.4.2", labels={"app": "elsewhere"})
RELABELLED = ChangeKind.RELABEL
METADATA_ROWS = [
    pytest.param(
        review("UPDATE", MOVED, OLD),
        PARTIAL,
        expect(RELABELLED, **FROZEN, message=PARTIAL_RELABEL),
        id="relabelling a held Rollout out of its policy's targets is refused",
    ),
    pytest.param(
        review("UPDATE", MOVED, OLD),
        FreezeView(policies=(freeze(held=()),)),
        expect(RELABELLED, **DURING),
        id="relabelling a workload the freeze does not hold yet is allowed",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload("shop/checkout:1.4.2", labels={"app": "checkout", "team": "pay"}),
            OLD,
        ),
        PARTIAL,
        expect(RELABELLED, **DURING),
        id="a label change that keeps a held Rollout selected is allowed",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload(
                "shop/checkout:1.4.2", annotations={ANNOTATION_STABLE_TEMPLATE: "sha256:forged"}
            ),
            OLD,
        ),
        PARTIAL,
        expect(ChangeKind.MARKS, **FROZEN, message=PARTIAL_MARKS),
        id="writing a budgetwarden.io annotation of a held Rollout is refused",
    ),
    pytest.param(
        review("UPDATE", OLD, PAUSED_BY_US),
        PARTIAL,
        expect(ChangeKind.MARKS, **FROZEN, message=PARTIAL_MARKS),
        id="stripping paused-by from a held Rollout is refused",
    ),
    pytest.param(
        review(
            "UPDATE", workload("shop/checkout:1.4.2", annotations={"team/note": "on call"}), OLD
        ),
        PARTIAL,
        expect(ChangeKind.METADATA, **DURING),
        id="other annotations of a held Rollout may change",
    ),
    pytest.param(
        review(
            "UPDATE",
            workload(
                "shop/checkout:1.4.2", annotations={ANNOTATION_STABLE_TEMPLATE: "sha256:forged"}
            ),
            OLD,
            user=OPERATOR,
        ),
        PARTIAL,
        expect(ChangeKind.MARKS, allowed=True, reason_code=Reason.OWN_CHANGE),
        id="the operator writes its own marks",
    ),
]


@pytest.mark.parametrize(("body", "view", "expected"), SCOPE_ROWS + METADATA_ROWS)
def test_decide(body: dict[str, Any], view: FreezeView, expected: AdmissionDecision) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
