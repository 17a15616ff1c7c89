"""Full listings replace the registry's tables: what a missed DELETED left behind goes.

After a watch outage kopf lists again but sends no DELETED event for what was deleted meanwhile;
the operator's own listings (runtime/relist.py) are what remove it. Here the DELETED delivery is
simply never made, and one re-list must drop the entry, while entries that events changed during
the listing, and namespaces outside the watch, are left alone.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta
from typing import Any

import yaml

from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.registry import Key, Registry
from budgetwarden.runtime.relist import FREEZE_PLURALS, Relister
from budgetwarden.runtime.settings import WatchScope
from operator_support import EXAMPLES
from runtime_fakes import FakeCluster

POLICY = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
SLO = yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
EXCEPTION = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())


def named(resource: dict[str, Any], name: str, namespace: str = "shop") -> dict[str, Any]:
    body = copy.deepcopy(resource)
    body["metadata"] |= {"name": name, "namespace": namespace}
    return body


def watched(cluster: FakeCluster, scope: WatchScope | None = None) -> tuple[Registry, Relister]:
    """A registry that the watch filled with everything `cluster` holds, and its relister."""
    registry = Registry()
    for (plural, _, _), body in cluster.objects.items():
        registry.observe(plural, None, body)
    return registry, Relister(registry, cluster, scope, timedelta(minutes=5))


def test_an_exception_deleted_without_an_event_stops_applying_within_one_relist() -> None:
    cluster = FakeCluster()
    cluster.create(c.PLURAL_POLICY, named(POLICY, "payments"))
    cluster.create(c.PLURAL_EXCEPTION, named(EXCEPTION, "hotfix"))
    cluster.create(c.PLURAL_EXCEPTION, named(EXCEPTION, "other"))
    registry, relister = watched(cluster, WatchScope(("shop",)))
    del cluster.objects[(c.PLURAL_EXCEPTION, "shop", "hotfix")]  # revoked; no DELETED arrives
    assert [e.metadata.name for e in registry.exceptions_in("shop")] == ["hotfix", "other"]
    counts = asyncio.run(relister.relist())
    assert [e.metadata.name for e in registry.exceptions_in("shop")] == ["other"]
    assert counts == {c.PLURAL_SLO: (0, 0), c.PLURAL_POLICY: (0, 0), c.PLURAL_EXCEPTION: (1, 0)}


def test_a_relist_adds_what_no_event_delivered_and_replaces_what_was_made_anew() -> None:
    cluster = FakeCluster()
    cluster.create(c.PLURAL_POLICY, named(POLICY, "payments"))
    registry, relister = watched(cluster, WatchScope())
    cluster.create(c.PLURAL_EXCEPTION, named(EXCEPTION, "hotfix"))  # its ADDED never came
    recreated = named(POLICY, "payments") | {"spec": {**POLICY["spec"], "dryRun": True}}
    recreated["metadata"]["uid"] = "uid-payments-2"
    del cluster.objects[(c.PLURAL_POLICY, "shop", "payments")]
    cluster.create(c.PLURAL_POLICY, recreated)
    counts = asyncio.run(relister.relist())
    assert (counts[c.PLURAL_EXCEPTION], counts[c.PLURAL_POLICY]) == ((0, 1), (1, 1))
    assert registry.policies[Key("shop", "payments")].uid == "uid-payments-2"


def test_entries_an_event_changed_during_the_listing_and_other_namespaces_stay() -> None:
    registry = Registry()
    registry.observe(c.PLURAL_EXCEPTION, None, exc("old", "u-old", "3"))
    registry.observe(c.PLURAL_EXCEPTION, None, exc("x", "u-x", namespace="elsewhere"))
    before = registry.snapshot(c.PLURAL_EXCEPTION)
    # while the listing runs: "new" arrives, "old" is modified, "gone" is added and deleted
    registry.observe(c.PLURAL_EXCEPTION, "ADDED", exc("new", "u-new"))
    registry.observe(c.PLURAL_EXCEPTION, "MODIFIED", exc("old", "u-old", "4"))
    registry.observe(c.PLURAL_EXCEPTION, "DELETED", exc("gone", "u-gone"))
    # taken before those events
    listing = registry.entries(c.PLURAL_EXCEPTION, [exc("gone", "u-gone")])
    dropped_added = registry.replace(c.PLURAL_EXCEPTION, listing, before, {"shop"}.__contains__)
    assert dropped_added == (0, 0)
    assert sorted(registry.exceptions) == [Key("elsewhere", "x"), Key("shop", "new"),
                                           Key("shop", "old")]  # fmt: skip


def test_the_admission_role_lists_policies_and_exceptions_and_no_slo() -> None:
    cluster = FakeCluster()
    cluster.create(c.PLURAL_SLO, named(SLO, "checkout-availability"))
    cluster.create(c.PLURAL_POLICY, named(POLICY, "payments"))
    registry = Registry()
    relister = Relister(
        registry, cluster, WatchScope(("shop",)), timedelta(minutes=5), FREEZE_PLURALS
    )
    counts = asyncio.run(relister.relist())
    assert counts == {c.PLURAL_POLICY: (0, 1), c.PLURAL_EXCEPTION: (0, 0)}
    assert (registry.slos, list(registry.policies)) == ({}, [Key("shop", "payments")])


def test_without_a_known_scope_a_relist_covers_the_namespaces_seen() -> None:
    cluster = FakeCluster()
    cluster.create(c.PLURAL_EXCEPTION, named(EXCEPTION, "hotfix"))
    registry, relister = watched(cluster, None)
    cluster.objects.clear()
    asyncio.run(relister.relist())
    assert registry.exceptions == {}


def test_a_watch_scope_lists_names_one_by_one_and_globs_cluster_wide() -> None:
    names, globs, every = WatchScope(("a", "b")), WatchScope(("team-*", "!team-test")), WatchScope()
    assert (names.listings(), globs.listings(), every.listings()) == (("a", "b"), (None,), (None,))
    covered = [globs.covers(ns) for ns in ("team-a", "team-test", "shop")]
    assert (covered, names.covers("c"), every.covers("c")) == ([True, False, False], False, True)


def exc(name: str, uid: str, version: str = "1", namespace: str = "shop") -> dict[str, Any]:
    body = named(EXCEPTION, name, namespace)
    body["metadata"] |= {"uid": uid, "resourceVersion": version}
    return body
