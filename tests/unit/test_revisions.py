"""Going back to the last good revision is a rollback, even when the bad one had finished
rolling out before the freeze and so is the recorded stable version."""

from __future__ import annotations

from typing import Any

import pytest

from admission_decision_support import (
    DURING,
    FROZEN,
    FULL_TEMPLATE,
    NEW,
    NOW,
    OPERATOR,
    STABLE,
    T,
    expect,
    freeze,
    review,
    workload,
)
from budgetwarden.core.freeze.admission import decide
from budgetwarden.core.freeze.revisions import DEPLOYMENT_REVISION, previous_template
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import ChangeKind, template_digest
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget


def deployment(image: str, revision: str | None, uid: str = "d-1") -> dict[str, Any]:
    annotations = {DEPLOYMENT_REVISION: revision} if revision else {}
    template = {"metadata": {"labels": {"app": "w"}},
                "spec": {"containers": [{"name": "w", "image": image}]}}  # fmt: skip
    meta = {"name": "worker", "uid": uid, "annotations": annotations}
    return {"metadata": meta, "spec": {"template": template}}


def replica_set(image: str, revision: str, owner: str = "d-1", hash_: str = "abc") -> dict:
    rs = deployment(image, revision, uid=f"rs-{revision}")
    rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = hash_
    rs["metadata"]["ownerReferences"] = [{"uid": owner, "controller": True}]
    return rs


def digest(image: str) -> str:
    return template_digest(deployment(image, None)["spec"]["template"])


HISTORY = [replica_set("w:1", "1"), replica_set("w:2", "2"), replica_set("w:3-bad", "3")]
PREVIOUS = [
    pytest.param(deployment("w:3-bad", "3"), HISTORY, digest("w:2"),
                 id="the highest revision below the current one, pod-template-hash ignored"),
    pytest.param(deployment("w:3-bad", "3"), [*HISTORY, replica_set("w:9", "9")], digest("w:2"),
                 id="later revisions do not count"),
    pytest.param(deployment("w:3-bad", "3"), [replica_set("w:2", "2", owner="other")], "",
                 id="only ReplicaSets the workload controls count"),
    pytest.param(deployment("w:2", "3"), [replica_set("w:2", "2"), replica_set("w:1", "1")],
                 digest("w:1"), id="a revision with the current template is skipped"),
    pytest.param(deployment("w:1", None), HISTORY, "", id="no revision yet: none"),
    pytest.param(deployment("w:1", "1"), HISTORY[:1], "", id="the first revision has none"),
]  # fmt: skip


@pytest.mark.parametrize(("workload_obj", "replica_sets", "expected"), PREVIOUS)
def test_previous_template(
    workload_obj: dict[str, Any], replica_sets: list[dict[str, Any]], expected: str
) -> None:
    assert previous_template(workload_obj, replica_sets, DEPLOYMENT_REVISION) == expected


LAST_GOOD = template_digest(workload("shop/checkout:1.3.9")["spec"]["template"])
HISTORY_HELD = HeldTarget("Rollout", "checkout", False, STABLE, "", LAST_GOOD)
WITH_HISTORY = FreezeView(policies=(freeze(Level.FULL_FREEZE, held=(HISTORY_HELD,)),))
ROLLBACKS = [
    pytest.param(review("UPDATE", workload("shop/checkout:1.3.9"), NEW), WITH_HISTORY,
                 expect(ChangeKind.ROLLBACK, **DURING),
                 id="going back to the revision before the stable one is a rollback"),
    pytest.param(review("UPDATE", workload("shop/checkout:1.4.1"), NEW), WITH_HISTORY,
                 expect(ChangeKind.ROLLBACK, **DURING),
                 id="the stable one still is"),
    pytest.param(review("UPDATE", workload("shop/checkout:1.3.0"), NEW), WITH_HISTORY,
                 expect(T, **FROZEN, message=FULL_TEMPLATE),
                 id="any other older version is a new version"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "view", "expected"), ROLLBACKS)
def test_rollbacks_to_the_recorded_revisions(body: Any, view: FreezeView, expected: Any) -> None:
    assert decide(body, view, operator_username=OPERATOR, now=NOW) == expected
