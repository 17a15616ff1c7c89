"""Workloads as enforcement reads and writes them: new versions, parsing, the merge patch."""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.adapters.kube.workloads import merge_patch, workload_of
from budgetwarden.core.freeze.enforcement import plan
from budgetwarden.core.freeze.workload import Workload, template_drifted, version_of
from budgetwarden.core.freeze.workload_diff import substance_digest, template_digest
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import TargetKind
from enforcement_support import MARKED, NOW, PARTIAL, PAUSE, STABLE, policy, rollout, state


def template(image: str, **annotations: str) -> dict[str, Any]:
    meta = {"labels": {"app": "checkout"}, "annotations": annotations}
    return {"metadata": meta, "spec": {"containers": [{"name": "app", "image": image}]}}


V1, V2 = template("shop/checkout:1"), template("shop/checkout:2")

DRIFT = [
    pytest.param(V1, V2, "", True, id="a new image is a new version"),
    pytest.param(V2, V1, template_digest(V1), False, id="a rollback to the stable one is not"),
    pytest.param(V1, template("shop/checkout:1", **{"kubectl.kubernetes.io/restartedAt": "now"}),
                 "", False, id="a restart is not"),
    pytest.param(V1, V1, "", False, id="an unchanged template is not"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "stable", "expected"), DRIFT)
def test_template_drifted(old: Any, new: Any, stable: str, expected: bool) -> None:
    before = version_of({"spec": {"template": old}})
    assert template_drifted(before, {"spec": {"template": new}}, stable) is expected


def test_a_new_workload_ref_is_a_new_version() -> None:
    old = {"spec": {"workloadRef": {"kind": "Deployment", "name": "checkout-v1"}}}
    new = {"spec": {"workloadRef": {"kind": "Deployment", "name": "checkout-v2"}}}
    assert template_drifted(version_of(old), new) is True


def api_object(status: dict[str, Any], annotations: dict[str, str] | None = None) -> dict:
    meta = {
        "name": "checkout",
        "namespace": "shop",
        "uid": "u1",
        "resourceVersion": "7",
        "generation": 2,
        "labels": {"app": "checkout"},
        "annotations": annotations or {},
    }
    return {"metadata": meta, "spec": {"replicas": 2, "paused": True, "template": V1},
            "status": status}  # fmt: skip


PARSED = Workload(
    TargetKind.ROLLOUT, "shop", "checkout", "u1", "7", {"app": "checkout"}, {}, paused=True,
    stable_template=template_digest(V1), template=template_digest(V1),
    substance=substance_digest(V1), stable_substance=substance_digest(V1),
)  # fmt: skip
IN_FLIGHT = {"in_flight": True, "stable_template": "", "stable_substance": ""}

PARSING = [
    pytest.param(TargetKind.ROLLOUT, api_object({}), PARSED,
                 id="a Rollout no controller reported on is at its stable version"),
    pytest.param(TargetKind.ROLLOUT, api_object({"currentPodHash": "b", "stableRS": "a",
                 "abort": True}), Workload(**PARSED.__dict__ | IN_FLIGHT | {"aborted": True}),
                 id="a Rollout between two ReplicaSets is in flight, its stable one unknown"),
    pytest.param(TargetKind.ROLLOUT, api_object({"currentPodHash": "b", "stableRS": "a"},
                 {c.ANNOTATION_STABLE_TEMPLATE: STABLE}),
                 Workload(**PARSED.__dict__ | IN_FLIGHT | {
                 "annotations": {c.ANNOTATION_STABLE_TEMPLATE: STABLE}}),
                 id="the stable-template annotation is never trusted: any editor can write it"),
    pytest.param(TargetKind.DEPLOYMENT, api_object({"observedGeneration": 1}),
                 Workload(**PARSED.__dict__ | IN_FLIGHT | {"kind": TargetKind.DEPLOYMENT}),
                 id="a Deployment its controller has not caught up with is in flight"),
    pytest.param(TargetKind.DEPLOYMENT, api_object({"observedGeneration": 2,
                 "updatedReplicas": 2}), Workload(**PARSED.__dict__ | {"kind":
                 TargetKind.DEPLOYMENT}),
                 id="a Deployment with every replica updated is at its stable version"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "obj", "expected"), PARSING)
def test_workload_of(kind: TargetKind, obj: dict[str, Any], expected: Workload) -> None:
    assert workload_of(kind, obj) == expected


def test_the_merge_patch_is_conditional_on_the_resource_version_read() -> None:
    (action,) = plan(policy(), state(PARTIAL), [rollout()], now=NOW)
    assert merge_patch(action) == {
        "metadata": {"resourceVersion": "7", "annotations": {**MARKED, **PAUSE}},
        "spec": {"paused": True},
    }


def test_an_abort_alone_needs_no_merge_patch() -> None:
    workload = rollout(MARKED, in_flight=True)
    (action,) = plan(policy(inFlight="Abort"), state(PARTIAL), [workload], now=NOW)
    assert (merge_patch(action), action.abort) == (None, True)
