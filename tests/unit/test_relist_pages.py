"""A re-list reads the API a page at a time and holds no more than the page it works on.

With ten thousand SLOs, whole bodies listed at once set the operator's peak memory; the
relister turns each page into registry entries before it asks for the next. The outcome must
not depend on the page size, nor on a listing that starts over after its continue token expired,
and the event loop must stay free while the pages come.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import threading
import weakref
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import yaml

from budgetwarden.adapters.kube import Expired
from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.relist import Relister
from budgetwarden.runtime.settings import WatchScope
from operator_support import EXAMPLES
from runtime_fakes import FakeCluster

SLO = yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
EXCEPTION = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
SHOP = WatchScope(("shop",))


def named(resource: dict[str, Any], name: str) -> dict[str, Any]:
    body = copy.deepcopy(resource)
    body["metadata"] |= {"name": name, "namespace": "shop"}
    return body


def watched(cluster: FakeCluster) -> tuple[Registry, Relister]:
    """A registry that the watch filled with everything `cluster` holds, and its relister."""
    registry = Registry()
    for (plural, _, _), body in cluster.objects.items():
        registry.observe(plural, None, body)
    return registry, Relister(registry, cluster, SHOP, timedelta(minutes=5))


def drifted(page_size: int) -> FakeCluster:
    """Seven SLOs and five exceptions, listed `page_size` at a time (0: all in one page)."""
    cluster = FakeCluster(page_size=page_size)
    for i in range(7):
        cluster.create(c.PLURAL_SLO, named(SLO, f"slo-{i}"))
    for i in range(5):
        cluster.create(c.PLURAL_EXCEPTION, named(EXCEPTION, f"exc-{i}"))
    return cluster


def relisted(cluster: FakeCluster) -> tuple[dict[str, tuple[int, int]], Registry]:
    """Counts and registry of one re-list after objects came and went without events."""
    registry, relister = watched(cluster)
    for gone in ((c.PLURAL_SLO, "shop", "slo-2"), (c.PLURAL_EXCEPTION, "shop", "exc-4")):
        del cluster.objects[gone]
    cluster.create(c.PLURAL_SLO, named(SLO, "slo-late"))
    return asyncio.run(relister.relist()), registry


def test_several_pages_drop_and_add_exactly_what_one_page_does() -> None:
    paged, one = drifted(page_size=2), drifted(page_size=0)
    (counts, registry), (one_counts, one_registry) = relisted(paged), relisted(one)
    assert counts == one_counts == {
        c.PLURAL_SLO: (1, 1), c.PLURAL_POLICY: (0, 0), c.PLURAL_EXCEPTION: (1, 0),
    }  # fmt: skip
    assert sorted(registry.slos) == sorted(one_registry.slos)
    assert sorted(registry.exceptions) == sorted(one_registry.exceptions)
    assert (paged.pages, one.pages) == (4 + 1 + 2, 3)  # 7 SLOs by two, no policy, 4 exceptions


def test_a_listing_whose_continue_token_expired_starts_over_and_counts_once() -> None:
    cluster = drifted(page_size=2)
    cluster.expiring = 1
    counts, registry = relisted(cluster)
    assert counts[c.PLURAL_SLO] == (1, 1)
    assert len(registry.slos) == 7
    assert cluster.pages == 1 + 4 + 1 + 2  # the first SLO page again after the expiry


def test_a_listing_that_expires_twice_fails_and_leaves_the_registry_alone() -> None:
    cluster = drifted(page_size=2)
    registry, relister = watched(cluster)
    del cluster.objects[(c.PLURAL_SLO, "shop", "slo-2")]
    cluster.expiring = 2
    with pytest.raises(Expired):
        asyncio.run(relister.relist())
    assert len(registry.slos) == 7


class Body(dict[str, Any]):
    """A body that can be watched for going away (a plain dict cannot be weakly referenced)."""


class Watching(FakeCluster):
    """Counts, whenever a page is fetched, the bodies of earlier pages still alive."""

    alive: list[int]

    def list_pages(
        self, group: str, version: str, plural: str, namespace: str | None, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        self.alive, earlier = [], []
        for page in super().list_pages(group, version, plural, namespace, limit):
            gc.collect()
            self.alive.append(sum(ref() is not None for ref in earlier))
            bodies: list[dict[str, Any]] = [Body(body) for body in page]
            earlier += [weakref.ref(body) for body in bodies]
            del page
            yield bodies
            del bodies


def test_no_body_of_a_page_is_held_once_the_next_page_is_fetched() -> None:
    cluster = Watching(page_size=3)
    for i in range(10):
        cluster.create(c.PLURAL_SLO, named(SLO, f"slo-{i}"))
    relister = Relister(Registry(), cluster, SHOP, timedelta(minutes=5), (c.PLURAL_SLO,))
    assert asyncio.run(relister.relist()) == {c.PLURAL_SLO: (0, 10)}
    assert cluster.alive == [0, 0, 0, 0]


class Waiting(FakeCluster):
    """Fetches its second page only once the event loop has run another task."""

    loop_ran: threading.Event

    def list_pages(
        self, group: str, version: str, plural: str, namespace: str | None, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        for number, page in enumerate(super().list_pages(group, version, plural, namespace)):
            if number == 1 and not self.loop_ran.wait(timeout=10):
                raise AssertionError("the event loop was blocked while the listing ran")
            yield page


def test_the_event_loop_stays_free_while_the_pages_come() -> None:
    cluster = Waiting(page_size=1)
    cluster.loop_ran = threading.Event()
    for i in range(3):
        cluster.create(c.PLURAL_SLO, named(SLO, f"slo-{i}"))
    relister = Relister(Registry(), cluster, SHOP, timedelta(minutes=5), (c.PLURAL_SLO,))

    async def both() -> dict[str, tuple[int, int]]:
        listing = asyncio.create_task(relister.relist())
        await asyncio.sleep(0)
        cluster.loop_ran.set()
        return await listing

    assert asyncio.run(both()) == {c.PLURAL_SLO: (0, 3)}
