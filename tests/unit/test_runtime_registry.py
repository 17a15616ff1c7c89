"""The registry, fast: watch events in, typed entries out, in the order kopf may deliver them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import yaml

from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget, PolicyStatus
from budgetwarden.runtime.registry import Key, Registry
from budgetwarden.runtime.views import FreezeViews
from operator_support import EXAMPLES

SLO = yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
POLICY = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
FROZEN = {
    "level": "PartialFreeze",
    "since": "2026-11-29T10:14:00Z",
    "freezeId": "fz-7c2e",
    "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}],
}


def stored(resource: dict[str, Any], name: str, uid: str, **extra: Any) -> dict[str, Any]:
    """A resource as the API server would send it, under another name."""
    body = copy.deepcopy(resource)
    body["metadata"] |= {"name": name, "uid": uid, "resourceVersion": "7"}
    return body | extra


def newer(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the API server sends it after a write: the next resourceVersion."""
    version = int(body["metadata"]["resourceVersion"]) + 1
    return body | {"metadata": body["metadata"] | {"resourceVersion": str(version)}}


def test_a_policy_is_read_once_into_its_typed_status() -> None:
    registry = Registry()
    registry.observe("errorbudgetpolicies", None, stored(POLICY, "payments", "u-1", status=FROZEN))
    ((model, status),) = registry.policies_in("shop")
    assert (model.metadata.name, status) == (
        "payments",
        PolicyStatus(
            level=Level.PARTIAL_FREEZE,
            since=datetime(2026, 11, 29, 10, 14, tzinfo=UTC),
            freeze_id="fz-7c2e",
            held_targets=(HeldTarget("Rollout", "checkout", paused_by_us=True),),
        ),
    )
    registry.remember_status("errorbudgetpolicies", Key("shop", "payments"), {"level": "Normal"})
    assert registry.policies_in("shop")[0][1].level is Level.NORMAL


def test_an_invalid_spec_is_tracked_with_its_problem_and_selects_nothing() -> None:
    registry = Registry()
    broken = stored(SLO, "broken", "u-2")
    broken["spec"]["objective"] = "100"
    registry.observe("slos", None, broken)
    entry = registry.slos[Key("shop", "broken")]
    assert (entry.model, entry.problem.startswith("spec.objective:")) == (None, True)


def test_a_policy_selects_the_slos_of_its_namespace_its_selector_matches() -> None:
    registry = Registry()
    registry.observe("errorbudgetpolicies", None, stored(POLICY, "payments", "u-1"))
    for name, team, namespace in (("b", "payments", "shop"), ("a", "payments", "shop"),
                                  ("c", "search", "shop"), ("d", "payments", "other")):  # fmt: skip
        body = stored(SLO, name, f"u-{name}")
        body["metadata"] |= {"namespace": namespace, "labels": {"team": team}}
        registry.observe("slos", None, body)
    policy = registry.policies[Key("shop", "payments")].model
    assert policy is not None
    assert [e.key.name for e in registry.selected_slos(policy)] == ["a", "b"]


def test_a_listing_never_brings_back_an_slo_deleted_while_it_was_in_flight() -> None:
    registry = Registry()
    gone, kept = stored(SLO, "gone", "u-gone"), stored(SLO, "kept", "u-kept")
    registry.observe("slos", "DELETED", gone)
    registry.seed_slos("shop", [gone, kept])
    assert sorted(k.name for k in registry.slos) == ["kept"]
    registry.observe("slos", "DELETED", kept)
    assert registry.slos == {}


def test_every_change_is_counted_so_caches_know_to_rebuild() -> None:
    registry = Registry()
    body = stored(POLICY, "payments", "u-1")
    registry.observe("errorbudgetpolicies", None, body)
    registry.observe("errorbudgetpolicies", "MODIFIED", newer(body) | {"status": FROZEN})
    registry.observe("errorbudgetpolicies", "DELETED", body)
    assert (registry.changes, registry.policies) == (3, {})


def test_an_event_at_the_version_already_tracked_changes_nothing() -> None:
    # kopf's own listing replays every object the start-up re-list has just put here
    registry = Registry()
    body = stored(POLICY, "payments", "u-1")
    registry.observe("errorbudgetpolicies", None, body)
    entry = registry.policies[Key("shop", "payments")]
    registry.remember_status("errorbudgetpolicies", entry.key, {"level": "Normal"})
    remembered = registry.policies[entry.key]
    registry.observe("errorbudgetpolicies", None, copy.deepcopy(body))
    assert registry.policies[entry.key] is remembered  # neither parsed again nor rolled back
    assert (registry.changes, registry.freeze_changes) == (1, 1)
    # the same name at the same version but another uid is another object
    registry.observe("errorbudgetpolicies", None, stored(POLICY, "payments", "u-2"))
    assert registry.policies[entry.key].uid == "u-2"


def test_admission_views_are_rebuilt_for_policy_changes_and_not_for_slo_updates() -> None:
    registry = Registry()
    policy = stored(POLICY, "payments", "u-1")
    registry.observe("errorbudgetpolicies", None, policy)
    views = FreezeViews(registry)
    first = views.view("shop")
    for n in range(3):  # the poller's status writes coming back, SLO after SLO
        registry.observe("slos", "MODIFIED", stored(SLO, f"slo-{n}", f"s-{n}"))
    assert views.view("shop") is first
    registry.observe("errorbudgetpolicies", "MODIFIED", newer(policy) | {"status": FROZEN})
    rebuilt = views.view("shop")
    assert rebuilt is not first and rebuilt != first  # the freeze is in the new view


def test_a_view_engages_only_policies_a_decision_can_depend_on() -> None:
    frozen = PolicyFreeze("frozen", Level.PARTIAL_FREEZE)
    holding = PolicyFreeze("thawed-holding", Level.NORMAL, held=(HeldTarget("Rollout", "web"),))
    idle = PolicyFreeze("idle", Level.NORMAL)
    view = FreezeView((frozen, holding, idle))
    assert view.engaged == (frozen, holding)
    assert view == FreezeView((frozen, holding, idle))  # engaged is derived, not compared


def test_the_watch_has_caught_up_once_it_delivered_every_object_the_listing_found() -> None:
    registry = Registry()
    first, second = stored(POLICY, "payments", "u-1"), stored(POLICY, "orders", "u-2")
    listed = [*registry.entries("errorbudgetpolicies", [first, second])]
    registry.replace("errorbudgetpolicies", listed, registry.snapshot("errorbudgetpolicies"),
                     lambda _: True)  # fmt: skip
    assert registry.expect_watch(["errorbudgetpolicies", "freezeexceptions"]) == 2
    registry.observe("errorbudgetpolicies", None, first)  # kopf's replay, already tracked
    registry.observe("errorbudgetpolicies", None, stored(POLICY, "new", "u-3"))  # not listed
    assert (registry.watch_caught_up, registry.unwatched) == (False, 1)
    registry.observe("errorbudgetpolicies", "DELETED", second)  # delivered, as a deletion
    assert registry.watch_caught_up
    assert set(registry.policies) == {Key("shop", "payments"), Key("shop", "new")}


def test_with_nothing_listed_the_watch_has_nothing_to_catch_up() -> None:
    registry = Registry()
    assert (registry.expect_watch(["slos", "errorbudgetpolicies"]), registry.watch_caught_up) == (
        0, True,
    )  # fmt: skip
