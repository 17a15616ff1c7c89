"""A review looks up the policies whose targets can select its workload (FreezeView.may_select)
instead of matching every selector; the answers stay those of matching them all.

A namespace's policies are Unknown until the poller first records their level, so they are all
engaged, and 1,001 of them cost every review milliseconds when each target was matched.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetwarden.core.freeze.admission import decide
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze, WorkloadRef
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import LabelSelector, PolicyTarget, SelectorRequirement
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.views import FreezeViews
from operator_support import EXAMPLES

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
POLICY = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
FROZEN = {"level": "FullFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-7c2e"}
KINDS = ("Rollout", "Deployment")

# --- may_select finds every policy that selects, whatever the selectors ----------------------
values = st.sampled_from(["a", "b", "checkout"])
label_maps = st.dictionaries(st.sampled_from(["app", "team", "tier"]), values, max_size=3)
requirements = st.builds(
    SelectorRequirement,
    key=st.sampled_from(["app", "team"]),
    operator=st.sampled_from(["Exists", "DoesNotExist"]),
) | st.builds(
    SelectorRequirement,
    key=st.sampled_from(["app", "team"]),
    operator=st.sampled_from(["In", "NotIn"]),
    values=st.lists(values, min_size=1, max_size=2).map(tuple),
)
selectors = st.builds(
    LabelSelector,
    match_labels=label_maps,
    match_expressions=st.lists(requirements, max_size=2).map(tuple),
)
targets = st.builds(PolicyTarget, kind=st.sampled_from(KINDS), selector=selectors)
held = st.builds(
    HeldTarget,
    kind=st.sampled_from(KINDS),
    name=st.sampled_from(["web", "api"]),
    template_from=st.sampled_from(["", "web", "api"]),
)
policies = st.builds(
    PolicyFreeze,
    policy=st.text("pq", min_size=1, max_size=3),
    level=st.sampled_from([Level.NORMAL, Level.UNKNOWN, Level.FULL_FREEZE]),
    targets=st.lists(targets, max_size=3).map(tuple),
    held=st.lists(held, max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(policies, max_size=8),
    st.sampled_from(KINDS),
    st.sampled_from(["web", "api", "db"]),
    st.lists(label_maps, min_size=1, max_size=2),
)
def test_every_policy_that_selects_the_workload_is_found_in_view_order(
    found: list[PolicyFreeze], kind: str, name: str, label_sets: list[dict[str, str]]
) -> None:
    view = FreezeView(tuple(found))
    ref = WorkloadRef("shop", kind, name)
    candidates = view.may_select(ref, label_sets)
    selecting = [p for p in view.engaged if p.selects(ref, label_sets)]
    assert set(map(id, selecting)) <= set(map(id, candidates))
    order = [id(p) for p in view.engaged]
    assert [order.index(id(p)) for p in candidates] == sorted(
        order.index(id(p)) for p in candidates
    )


# --- through the registry and the views' cache -----------------------------------------------
def policy(name: str, app: str, **extra: Any) -> dict[str, Any]:
    """examples/05's policy under another name, targeting Rollouts of `app`; each body a new
    resourceVersion, as the API server gives every write."""
    body = copy.deepcopy(POLICY)
    version = str(next(VERSIONS))
    body["metadata"] |= {"name": name, "uid": f"u-{name}", "resourceVersion": version}
    body["spec"]["targets"] = [{"kind": "Rollout", "selector": {"matchLabels": {"app": app}}}]
    return body | extra


VERSIONS = itertools.count(1)


def new_image(labels: dict[str, str]) -> dict[str, Any]:
    """A review of a new image for Rollout shop/checkout carrying `labels`."""
    old = {
        "metadata": {"name": "checkout", "namespace": "shop", "labels": labels},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c:1"}]}}},
    }
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "c:2"
    request = {"uid": "u", "kind": {"group": "argoproj.io", "version": "v1alpha1",
               "kind": "Rollout"}, "name": "checkout", "namespace": "shop",
               "operation": "UPDATE", "userInfo": {"username": "alice"},
               "object": new, "oldObject": old}  # fmt: skip
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def allowed(views: FreezeViews, labels: dict[str, str]) -> bool:
    review = new_image(labels)
    return decide(review, views.view("shop"), operator_username="op", now=NOW).allowed


def test_a_policy_retargeted_at_the_workload_freezes_it_at_once() -> None:
    registry, views = Registry(), None
    for n in range(50):  # Unknown, each targeting an app of its own
        registry.observe(c.PLURAL_POLICY, None, policy(f"p-{n:02d}", f"app-{n}"))
    registry.observe(c.PLURAL_POLICY, None, policy("p-07", "app-7", status=FROZEN))
    views = FreezeViews(registry)
    assert allowed(views, {"app": "checkout"})
    assert not allowed(views, {"app": "app-7"})
    registry.observe(c.PLURAL_POLICY, "MODIFIED", policy("p-07", "checkout", status=FROZEN))
    assert not allowed(views, {"app": "checkout"})
    assert allowed(views, {"app": "app-7"})


def test_a_policy_selecting_by_expressions_alone_is_still_checked() -> None:
    registry = Registry()
    for n in range(20):
        registry.observe(c.PLURAL_POLICY, None, policy(f"p-{n:02d}", f"app-{n}"))
    everything = policy("everything", "", status=FROZEN)
    expression = {"key": "app", "operator": "In", "values": ["checkout"]}
    everything["spec"]["targets"] = [
        {"kind": "Rollout", "selector": {"matchExpressions": [expression]}}
    ]
    registry.observe(c.PLURAL_POLICY, None, everything)
    views = FreezeViews(registry)
    assert not allowed(views, {"app": "checkout"})
    assert allowed(views, {"app": "search"})


def test_a_policy_needing_several_labels_selects_only_workloads_with_all_of_them() -> None:
    registry = Registry()
    both = policy("both", "", status=FROZEN)
    labels = {"app": "checkout", "tier": "web"}
    both["spec"]["targets"] = [{"kind": "Rollout", "selector": {"matchLabels": labels}}]
    registry.observe(c.PLURAL_POLICY, None, both)
    views = FreezeViews(registry)
    assert not allowed(views, {"app": "checkout", "tier": "web", "team": "payments"})
    assert allowed(views, {"app": "checkout"})
    assert allowed(views, {"tier": "web"})
