"""What an update changes: the classification admission and the detection fallback share."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from budgetwarden.core.freeze.workload_diff import (
    ChangeKind,
    change_facets,
    classify_change,
    template_changed,
    template_digest,
)


def workload(image: str = "shop/checkout:1.4.2", **spec: Any) -> dict[str, Any]:
    """A Rollout-shaped object; `spec` entries replace or add spec fields."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop", "labels": {"app": "checkout"}},
        "spec": {
            "replicas": 4,
            "template": {
                "metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
        "status": {"stableRS": "6d4f8b7c9"},
    }


def edited(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `obj` with the dotted `path` set to `value`."""
    result = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return result


BASE = workload()
STABLE = template_digest(workload("shop/checkout:1.4.1")["spec"]["template"])
RESTARTED = {"kubectl.kubernetes.io/restartedAt": "2026-11-29T11:00:00Z"}


CHANGE_KINDS = [
    pytest.param(
        BASE,
        workload("shop/checkout:1.5.0"),
        "",
        ChangeKind.TEMPLATE,
        id="a new image is a new version",
    ),
    pytest.param(
        workload("shop/checkout:1.5.0"),
        workload("shop/checkout:1.4.1"),
        STABLE,
        ChangeKind.ROLLBACK,
        id="going back to the recorded stable template is a rollback",
    ),
    pytest.param(
        workload("shop/checkout:1.5.0"),
        workload("shop/checkout:1.4.1"),
        "",
        ChangeKind.TEMPLATE,
        id="without a recorded stable template an older image is still a new version",
    ),
    pytest.param(
        BASE,
        edited(BASE, "spec.template.metadata.annotations", RESTARTED),
        "",
        ChangeKind.RESTART,
        id="kubectl rollout restart only stamps restartedAt: a restart",
    ),
    pytest.param(
        BASE,
        edited(
            edited(BASE, "spec.template.metadata.annotations", RESTARTED),
            "spec.template.spec.containers",
            [],
        ),
        "",
        ChangeKind.TEMPLATE,
        id="a restart stamp with other template edits is a new version",
    ),
    pytest.param(
        BASE,
        edited(BASE, "spec.workloadRef", {"kind": "Deployment", "name": "checkout-v2"}),
        "",
        ChangeKind.TEMPLATE,
        id="pointing a Rollout at another workloadRef is a new version",
    ),
    pytest.param(
        BASE,
        edited(BASE, "spec.replicas", 8),
        "",
        ChangeKind.SCALE,
        id="replicas only is scaling",
    ),
    pytest.param(
        BASE,
        edited(BASE, "spec.paused", True),
        "",
        ChangeKind.PAUSE,
        id="paused false to true is a pause",
    ),
    pytest.param(
        edited(BASE, "spec.paused", True),
        BASE,
        "",
        ChangeKind.UNPAUSE,
        id="removing paused: true is an unpause (a promote)",
    ),
    pytest.param(
        edited(BASE, "spec.paused", True),
        edited(edited(BASE, "spec.paused", False), "spec.replicas", 2),
        "",
        ChangeKind.UNPAUSE,
        id="an unpause outranks scaling in the same update",
    ),
    pytest.param(
        BASE,
        edited(BASE, "spec.strategy", {"canary": {"steps": [{"setWeight": 20}]}}),
        "",
        ChangeKind.SPEC,
        id="changing the strategy is another spec change",
    ),
    pytest.param(
        BASE,
        edited(BASE, "metadata.labels", {"app": "checkout", "team": "payments"}),
        "",
        ChangeKind.RELABEL,
        id="a new label is a relabel, no new version",
    ),
    pytest.param(
        BASE,
        edited(BASE, "metadata.annotations", {"budgetwarden.io/stable-template": "sha256:0"}),
        "",
        ChangeKind.MARKS,
        id="a budgetwarden.io annotation is one of the operator's marks",
    ),
    pytest.param(
        BASE,
        edited(BASE, "metadata.annotations", {"team.example/owner": "payments"}),
        "",
        ChangeKind.METADATA,
        id="another annotation is metadata only",
    ),
    pytest.param(
        BASE, edited(BASE, "status.stableRS", "77aa"), "", ChangeKind.STATUS, id="status only"
    ),
    pytest.param(
        BASE,
        edited(
            BASE,
            "spec.template.metadata.labels",
            {"app": "checkout", "rollouts-pod-template-hash": "x"},
        ),
        "",
        ChangeKind.NONE,
        id="the controller's pod-template-hash label is not a change",
    ),
    pytest.param(
        BASE, copy.deepcopy(BASE), "", ChangeKind.NONE, id="an identical object changes nothing"
    ),
    pytest.param(None, BASE, "", ChangeKind.CREATE, id="no old object is a create"),
    pytest.param(BASE, None, "", ChangeKind.DELETE, id="no new object is a delete"),
    pytest.param(
        BASE,
        {"spec": "not a mapping"},
        "",
        ChangeKind.TEMPLATE,
        id="a spec of the wrong type reads as absent: the template went away",
    ),
]


@pytest.mark.parametrize(("old", "new", "stable", "expected"), CHANGE_KINDS)
def test_classify_change(old: Any, new: Any, stable: str, expected: ChangeKind) -> None:
    assert classify_change(old, new, stable) == expected


def test_a_template_and_scale_edit_reports_both_facets() -> None:
    new = edited(workload("shop/checkout:1.5.0"), "spec.replicas", 6)
    assert change_facets(BASE, new) == {ChangeKind.TEMPLATE, ChangeKind.SCALE}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            BASE, workload("shop/checkout:1.5.0"), True, id="a new image changes the template"
        ),
        pytest.param(
            BASE, edited(BASE, "spec.replicas", 9), False, id="scaling leaves the template alone"
        ),
        pytest.param(
            BASE,
            edited(BASE, "spec.template.metadata.annotations", RESTARTED),
            True,
            id="a restart stamp is a template change (classify_change calls it a restart)",
        ),
        pytest.param({}, [], False, id="two malformed objects have the same (absent) template"),
    ],
)
def test_template_changed(old: Any, new: Any, expected: bool) -> None:
    assert template_changed(old, new) is expected


def test_digest_of_a_replicaset_template_equals_the_rollouts() -> None:
    # Argo Rollouts copies the template into the ReplicaSet and adds its hash label.
    template = BASE["spec"]["template"]
    replicaset_template = edited(
        template, "metadata.labels", {"app": "checkout", "rollouts-pod-template-hash": "6d4f8b7c9"}
    )
    assert template_digest(replicaset_template) == template_digest(template)
    assert template_digest(template).startswith("sha256:")
    assert template_digest(template) != template_digest(
        workload("shop/checkout:1.5.0")["spec"]["template"]
    )
