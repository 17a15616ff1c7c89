"""The two reads of bench.poll_cycle taking turns: one poll's read path, timed, per read.

A cycle is everything a poll does except the API writes and policy decisions: the read (the
reader's queries), the conversion to snapshots, and slo_status_patch for every SLO with the status
carried forward as the registry does: each SLO's BudgetTerms and its status read once when it
changes, not on every poll.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from budgetwarden.adapters.prometheus import Sample
from budgetwarden.core.budget.reading import poll_result
from budgetwarden.core.budget.slo_status import BudgetTerms, SLOPoll, slo_status_patch
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.budget.status_model import SLOStatus
from budgetwarden.core.kernel.wire import merge_apply
from budgetwarden.runtime.poller import collector_paused


class Reader(Protocol):
    """What a cycle needs of a reader: the read and its own query counter."""

    queries_issued: int

    def read_budget_series(
        self, max_age: timedelta, budget_max_age: timedelta | None = None
    ) -> list[Sample]: ...


@dataclass(frozen=True)
class Ages:
    """How old a burn rate, and the budget left (its group evaluates less often), may be."""

    burn: timedelta
    budget: timedelta


@dataclass(frozen=True)
class Read:
    """One of the reads compared: a name and its reader."""

    name: str
    reader: Reader


@dataclass(frozen=True)
class Cycle:
    """One poll's read path, timed."""

    seconds: float
    query_seconds: float  # the HTTP queries, their JSON and the samples, in the reader
    samples: int
    patches: int
    queries: int
    found: frozenset[tuple[SLORef, bool, tuple[str, ...]]]  # SLOs, budget known, windows


@dataclass
class Statuses:
    """What the registry holds of every SLO's status: as stored, and read."""

    stored: dict[SLORef, dict[str, Any]]
    read: dict[SLORef, SLOStatus]

    def write(self, ref: SLORef, patch: dict[str, Any]) -> None:
        self.stored[ref] = merge_apply(self.stored.get(ref) or {}, patch)
        self.read[ref] = SLOStatus.read(self.stored[ref])


def cycle(read: Read, slos: list[BudgetTerms], status: Statuses, ages: Ages) -> Cycle:
    """One poll's read path with the status carried forward in `status`, with the garbage
    collector paused as the poller pauses it."""
    with collector_paused():
        return _cycle(read, slos, status, ages)


def _cycle(read: Read, slos: list[BudgetTerms], status: Statuses, ages: Ages) -> Cycle:
    start, before = time.perf_counter(), read.reader.queries_issued
    now = datetime.now(UTC)
    samples = read.reader.read_budget_series(ages.burn, ages.budget)
    queried = time.perf_counter()
    result = poll_result(samples, now)
    patches = 0
    for slo in slos:
        poll = SLOPoll(result.snapshots.get(slo.ref), None, now, ages.budget, generation=1)
        patch = slo_status_patch(status.stored.get(slo.ref), slo, poll, status.read.get(slo.ref))
        if patch is not None:
            status.write(slo.ref, patch)
            patches += 1
    end = time.perf_counter()
    queries = read.reader.queries_issued - before
    found = frozenset(
        (ref, snapshot.remaining_percent is not None, tuple(sorted(snapshot.burn_rates)))
        for ref, snapshot in result.snapshots.items()
    )
    return Cycle(end - start, queried - start, len(samples), patches, queries, found)


def cycles(
    reads: Sequence[Read], slos: list[BudgetTerms], ages: Ages, count: int, pause: float
) -> tuple[list[list[Cycle]], int]:
    """`count` polls of each read, taking turns `pause` seconds apart; the runs and how many
    turns every read found the same SLOs, budgets and windows (their values differ: some rule
    group evaluates in nearly every second). A read that fails (Prometheus overloaded) is
    reported and left out."""
    status = [Statuses({}, {}) for _ in reads]
    runs: list[list[Cycle]] = [[] for _ in reads]
    same = 0
    for turn in range(count):
        order = range(len(reads)) if turn % 2 == 0 else reversed(range(len(reads)))
        for i in order:
            try:
                runs[i].append(cycle(reads[i], slos, status[i], ages))
            except Exception as error:  # PrometheusUnavailable: Prometheus overloaded
                print(f"{reads[i].name} read failed: {str(error)[:200]}", flush=True)
            time.sleep(pause)
        last = [run[-1].found for run in runs if run]
        same += len(last) == len(reads) and all(found == last[0] for found in last)
    return runs, same
