"""Leader election on a coordination.k8s.io/v1 Lease: which replica polls and enforces.

Every replica watches and serves admission from its own registry; only the leader runs the
budget poller (and with it enforcement, status writes, Events, notifications) and the VAP params
sync. The operator (runtime/operator.py) runs one `Elector` per process; the poller and the
params sync ask `leading()` before every round.

The semantics are client-go's:
- The Lease records `holderIdentity` (host name plus a random suffix, so a restarted pod is a
  new candidate), `leaseDurationSeconds` and `renewTime`.
- A candidate takes the Lease only when there is none, when it is released (no holder), or when
  it has expired: its record has not changed for `leaseDurationSeconds` as this replica's own
  monotonic clock measures it. Clocks of different nodes are never compared.
- The holder renews every `retry` (a third of the duration). Every write carries the
  resourceVersion it was read at, so when two replicas try at once one gets a Conflict: someone
  else renewed or took it first, and only one leads.
- A holder leads until `renew_deadline` (two thirds of the duration) after the start of its last
  successful renewal, so a holder that cannot renew stops acting before anyone else may take
  the Lease: there are never two leaders while the clocks tick at the same rate.
- On a clean stop the holder releases the Lease, so another replica takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from budgetwarden.adapters.kube import Conflict, KubeError, LeaseRecord
from budgetwarden.runtime.reporting import utcnow
from budgetwarden.runtime.settings import DEFAULT_LEASE_DURATION

log = logging.getLogger(__name__)


class LeaseStore(Protocol):
    """The Lease calls of the kube adapter (`adapters.kube.Leases`); all block."""

    def get(self, name: str) -> LeaseRecord | None: ...

    def create(self, name: str, record: LeaseRecord) -> LeaseRecord: ...

    def update(self, name: str, record: LeaseRecord) -> LeaseRecord: ...


@dataclass
class Elector:
    """One candidate for one Lease; `run` it as a task, ask `leading()` before acting."""

    store: LeaseStore
    name: str
    identity: str
    duration: timedelta = DEFAULT_LEASE_DURATION
    clock: Callable[[], float] = time.monotonic  # measures expiry and the renew deadline
    wall: Callable[[], datetime] = utcnow  # only written into the Lease, for people to read
    _observed: tuple[str, str] = ("", "")  # (holder, resourceVersion) of the record last seen
    _observed_at: float = 0.0
    _renewed_at: float | None = field(default=None, repr=False)

    @property
    def retry(self) -> float:
        """Seconds between two attempts to take or renew the Lease."""
        return self.duration.total_seconds() / 3

    @property
    def renew_deadline(self) -> float:
        """Seconds after a successful renewal that this replica still leads without another."""
        return self.duration.total_seconds() * 2 / 3

    def leading(self) -> bool:
        """Whether this replica leads now."""
        renewed = self._renewed_at
        return renewed is not None and self.clock() < renewed + self.renew_deadline

    def attempt(self) -> bool:
        """One try to take or renew the Lease (blocking); whether this replica leads after it."""
        started = self.clock()
        try:
            record = self.store.get(self.name)
            if record is not None and not self._may_take(record, started):
                return self.leading()
            written = self._write(record)
        except Conflict as error:  # someone else renewed or took it first
            log.debug("Lease %s not taken: %s", self.name, error)
            self._renewed_at = None
            return False
        except KubeError as error:  # leads on until the deadline passes
            log.warning("Lease %s neither renewed nor taken: %s", self.name, error)
            return self.leading()
        self._renewed_at = started
        self._observed, self._observed_at = (written.holder, written.resource_version), started
        return True

    def release(self) -> None:
        """Give the Lease up (blocking), so another replica takes over without waiting."""
        if not self.leading():
            return
        self._renewed_at = None
        try:
            record = self.store.get(self.name)
            if record is not None and record.holder == self.identity:
                self.store.update(self.name, LeaseRecord("", 1, self.wall(), None,
                                                         record.transitions,
                                                         record.resource_version))  # fmt: skip
        except KubeError as error:
            log.warning("cannot release Lease %s: %s", self.name, error)

    async def run(self) -> None:
        """Take or renew the Lease every `retry` seconds until cancelled; log every change."""
        was = False
        while True:
            leads = await asyncio.to_thread(self.attempt)
            if leads != was:
                say = "leads" if leads else "no longer leads"
                log.info("this replica (%s) %s: Lease %s", self.identity, say, self.name)
                was = leads
            await asyncio.sleep(self.retry)

    def _may_take(self, record: LeaseRecord, now: float) -> bool:
        """Ours to renew, released, or not changed for a whole lease duration."""
        if record.holder in (self.identity, ""):
            return True
        seen = (record.holder, record.resource_version)
        if seen != self._observed:
            self._observed, self._observed_at = seen, now
            return False
        duration = record.duration_seconds or self.duration.total_seconds()
        return now >= self._observed_at + duration

    def _write(self, record: LeaseRecord | None) -> LeaseRecord:
        now = self.wall()
        seconds = int(self.duration.total_seconds())
        if record is None:
            return self.store.create(self.name, LeaseRecord(self.identity, seconds, now, now))
        mine = record.holder == self.identity
        taken = LeaseRecord(
            holder=self.identity,
            duration_seconds=seconds,
            renew_time=now,
            acquire_time=record.acquire_time if mine else now,
            transitions=record.transitions if mine else record.transitions + 1,
            resource_version=record.resource_version,
        )
        return self.store.update(self.name, taken)
