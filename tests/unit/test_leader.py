"""Leader election, fast: electors against an in-memory Lease store and a clock the test moves.

The store behaves as the API server does where the elector relies on it: a write must carry the
resourceVersion the record was read at (Conflict otherwise), every write moves it on, a second
create is a Conflict. "Never two leaders" is checked after every step of random interleavings of
three candidates, some of which stall (a hung process) or lose the API server for a while.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from budgetwarden.adapters.kube import Conflict, LeaseRecord, Unavailable
from budgetwarden.runtime.leader import Elector

LEASE = "budgetwarden"


@dataclass
class Clock:
    """Seconds on a monotonic clock the test moves."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeLeases:
    """One namespace's Leases, with the API server's optimistic concurrency."""

    records: dict[str, LeaseRecord] = field(default_factory=dict)
    version: int = 0
    down: bool = False
    writes: int = 0

    def get(self, name: str) -> LeaseRecord | None:
        self._reachable()
        return self.records.get(name)

    def create(self, name: str, record: LeaseRecord) -> LeaseRecord:
        self._reachable()
        if name in self.records:
            raise Conflict(f"create Lease {name}: HTTP 409 already exists", 409)
        return self._store(name, record)

    def update(self, name: str, record: LeaseRecord) -> LeaseRecord:
        self._reachable()
        if self.records[name].resource_version != record.resource_version:
            raise Conflict(f"update Lease {name}: HTTP 409 the object has been modified", 409)
        return self._store(name, record)

    def _store(self, name: str, record: LeaseRecord) -> LeaseRecord:
        self.version += 1
        self.writes += 1
        self.records[name] = replace(record, resource_version=str(self.version))
        return self.records[name]

    def _reachable(self) -> None:
        if self.down:
            raise Unavailable("Lease: connection refused")


def elector(store: FakeLeases, clock: Clock, identity: str) -> Elector:
    wall = lambda: datetime.fromtimestamp(clock.now, UTC)  # noqa: E731
    return Elector(store, LEASE, identity, clock=clock, wall=wall)


def test_the_first_candidate_takes_an_absent_lease_and_renews_it() -> None:
    store, clock = FakeLeases(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    assert (a.attempt(), b.attempt()) == (True, False)
    for _ in range(10):  # renewing every retry period keeps it
        clock.now += a.retry
        assert (a.attempt(), b.attempt(), a.leading(), b.leading()) == (True, False, True, False)
    record = store.records[LEASE]
    assert (record.holder, record.duration_seconds, record.transitions) == ("a", 15, 0)
    assert record.renew_time == datetime.fromtimestamp(clock.now, UTC)


def test_a_holder_that_stops_renewing_stops_leading_before_another_takes_over() -> None:
    store, clock = FakeLeases(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    a.attempt()
    b.attempt()  # b sees a's record now, and times its expiry from here
    clock.now += a.renew_deadline
    assert (a.leading(), b.attempt()) == (False, False)  # a stopped acting; not expired yet
    clock.now += 15 - a.renew_deadline
    assert (b.attempt(), b.leading(), store.records[LEASE].transitions) == (True, True, 1)
    assert a.attempt() is False  # a comes back: b holds a live lease


def test_a_holder_that_cannot_reach_the_api_server_leads_until_its_deadline() -> None:
    store, clock = FakeLeases(), Clock()
    a = elector(store, clock, "a")
    a.attempt()
    store.down = True
    clock.now += a.retry
    assert (a.attempt(), a.leading()) == (True, True)
    clock.now += a.renew_deadline - a.retry
    assert (a.attempt(), a.leading()) == (False, False)
    store.down = False
    assert a.attempt() is True  # still its own lease: renewed, leads again


def test_a_renewal_that_conflicts_means_someone_else_took_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, clock = FakeLeases(), Clock()
    a = elector(store, clock, "a")
    a.attempt()
    read = store.get

    def read_then_lose(name: str) -> LeaseRecord | None:
        record = read(name)
        assert record is not None
        store.update(name, replace(record, holder="b"))  # b writes between a's read and write
        return record

    monkeypatch.setattr(store, "get", read_then_lose)
    assert (a.attempt(), a.leading()) == (False, False)


def test_a_released_lease_is_taken_at_once() -> None:
    store, clock = FakeLeases(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    a.attempt()
    b.attempt()
    a.release()
    assert (a.leading(), store.records[LEASE].holder) == (False, "")
    assert b.attempt() is True


@pytest.mark.parametrize("seed", range(40))
def test_never_two_leaders(seed: int) -> None:
    rng, store, clock = random.Random(seed), FakeLeases(), Clock()
    candidates = [elector(store, clock, name) for name in "abc"]
    stalled: dict[int, float] = {}  # candidate -> until when it makes no attempt
    leaders_seen = set()
    for _ in range(400):
        clock.now += rng.uniform(0.1, 3.0)
        store.down = rng.random() < 0.1
        index = rng.randrange(3)
        if rng.random() < 0.05:
            stalled[index] = clock.now + rng.uniform(5, 40)
        if stalled.get(index, 0) <= clock.now:
            candidates[index].attempt()
        leading = [c.identity for c in candidates if c.leading()]
        assert len(leading) <= 1, (clock.now, leading)
        leaders_seen.update(leading)
    assert leaders_seen  # the run did elect someone
