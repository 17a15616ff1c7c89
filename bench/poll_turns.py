"""The two reads of bench.poll_cycle taking turns: one poll's read path, timed, per read.

A cycle is everything a poll does except the API writes and policy decisions: the read (the
reader's queries), the conversion to snapshots, and slo_status_patch for every SLO with the status
carried forward as the registry does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from budgetwarden.adapters.prometheus import Sample
from budgetwarden.core.budget.reading import poll_result
from budgetwarden.core.budget.slo_status import SLOPoll, slo_status_patch
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.kernel.wire import merge_apply
from budgetwarden.core.slo.spec import SLO


class Reader(Protocol):
    """What a cycle needs of a reader: the read and its own query counter."""

    queries_issued: int

    def read_budget_series(self, max_age: timedelta) -> list[Sample]: ...


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


def cycle(
    read: Read, slos: list[SLO], status: dict[SLORef, dict[str, Any]], age: timedelta
) -> Cycle:
    """One poll's read path with the status carried forward in `status`."""
    start, before = time.perf_counter(), read.reader.queries_issued
    now = datetime.now(UTC)
    samples = read.reader.read_budget_series(age)
    queried = time.perf_counter()
    result = poll_result(samples, now)
    patches = 0
    for slo in slos:
        ref = SLORef(slo.metadata.namespace, slo.metadata.name)
        poll = SLOPoll(result.snapshots.get(ref), None, now, age, generation=1)
        patch = slo_status_patch(status.get(ref), slo, poll)
        if patch is not None:
            status[ref] = merge_apply(status.get(ref) or {}, patch)
            patches += 1
    end = time.perf_counter()
    queries = read.reader.queries_issued - before
    found = frozenset(
        (ref, snapshot.remaining_percent is not None, tuple(sorted(snapshot.burn_rates)))
        for ref, snapshot in result.snapshots.items()
    )
    return Cycle(end - start, queried - start, len(samples), patches, queries, found)


def cycles(
    reads: Sequence[Read], slos: list[SLO], age: timedelta, count: int, pause: float
) -> tuple[list[list[Cycle]], int]:
    """`count` polls of each read, taking turns `pause` seconds apart; the runs and how many
    turns every read found the same SLOs, budgets and windows (their values differ: some rule
    group evaluates in nearly every second). A read that fails (Prometheus overloaded) is
    reported and left out."""
    status: list[dict[SLORef, dict[str, Any]]] = [{} for _ in reads]
    runs: list[list[Cycle]] = [[] for _ in reads]
    same = 0
    for turn in range(count):
        order = range(len(reads)) if turn % 2 == 0 else reversed(range(len(reads)))
        for i in order:
            try:
                runs[i].append(cycle(reads[i], slos, status[i], age))
            except Exception as error:  # PrometheusUnavailable: Prometheus overloaded
                print(f"{reads[i].name} read failed: {str(error)[:200]}", flush=True)
            time.sleep(pause)
        last = [run[-1].found for run in runs if run]
        same += len(last) == len(reads) and all(found == last[0] for found in last)
    return runs, same
