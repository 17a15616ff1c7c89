"""The poll's read without the backend's lookback, the read before that, and where one query's
time goes.

Used by bench.poll_cycle and bench.poll_query. `StaleQueryReader` is the read as the operator
does it on a backend that ignores `lookback_delta` (Prometheus 2, VictoriaMetrics): the values,
then the stale series at their instant; on a backend that takes it the operator reads the values
within the lookback instead (core.budget.reading), so one run measures both reads against the
same Prometheus, side by side. `filtered_query` is the one query of the first 10,000-SLO
figures, which dropped stale samples with an `and` per metric. `breakdown` times the stages of
one query separately: Prometheus' evaluation (its own `stats`), the HTTP exchange, the decoding
as the reader does it (msgspec), the samples; and beside them the same body decoded by the json
module, as the reader did before it decoded with msgspec.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from datetime import timedelta

import msgspec
import requests

from budgetwarden.adapters.prometheus import (
    PrometheusReader,
    PrometheusUnavailable,
    _samples,
    _series,
)
from budgetwarden.core.kernel import conventions as c


def filtered_query(max_age: timedelta, budget_max_age: timedelta | None = None) -> str:
    """The one query per poll as it was: both metrics, stale samples dropped by Prometheus (the
    budget left judged by its own age, as the two queries do)."""
    ages = {c.METRIC_BUDGET_REMAINING: budget_max_age or max_age, c.METRIC_BURN_RATE: max_age}
    return " or ".join(
        f"({m} and (time() - timestamp({m}) < {max(age // timedelta(seconds=1), 1)}))"
        for m, age in ages.items()
    )


class StaleQueryReader(PrometheusReader):
    """The read on a backend that ignores a lookback per query: the values, then the stale."""

    def takes_lookback(self) -> bool:
        return False


def _read_once(
    session: requests.Session, url: str, promql: str, lookback: timedelta | None
) -> dict[str, float]:
    """One read of `promql`, each stage timed on its own (seconds; the answer's size in MB)."""
    params = {"query": promql, "stats": "all"}
    if lookback is not None:
        params["lookback_delta"] = f"{lookback // timedelta(milliseconds=1)}ms"
    marks = [time.perf_counter()]
    answer = session.get(f"{url}/api/v1/query", params=params, stream=True, timeout=300)
    answer.raise_for_status()
    marks.append(time.perf_counter())
    body = answer.content
    marks.append(time.perf_counter())
    series = _series(answer.status_code, body)
    marks.append(time.perf_counter())
    _samples(series)
    marks.append(time.perf_counter())
    stages = dict(
        zip(STAGES, (end - start for start, end in itertools.pairwise(marks)), strict=True)
    )
    before = time.perf_counter()
    json.loads(body)
    stages[JSON_MODULE] = time.perf_counter() - before
    evaluation = msgspec.json.decode(body, type=_Stats).data.stats.timings.evalTotalTime
    return {**stages, "of which Prometheus evaluation": evaluation, "MB": len(body) / 1e6}


class _Timings(msgspec.Struct):
    evalTotalTime: float = float("nan")  # Prometheus' field name


class _StatsOnly(msgspec.Struct):
    timings: _Timings = msgspec.field(default_factory=_Timings)


class _StatsData(msgspec.Struct):
    stats: _StatsOnly = msgspec.field(default_factory=_StatsOnly)


class _Stats(msgspec.Struct):
    data: _StatsData


NAN = float("nan")
STAGES = ("until headers", "body transfer", "JSON decoding", "samples")
JSON_MODULE = "decoding by the json module (before)"


def breakdown(
    url: str, promql: str, runs: int = 5, lookback: timedelta | None = None
) -> dict[str, float]:
    """Median of each stage of one read of `promql` (with `lookback` as its lookback_delta) over
    `runs` reads (seconds; "MB": size)."""
    session, reads = requests.Session(), []
    for _ in range(runs):
        try:
            reads.append(_read_once(session, url, promql, lookback))
        except (requests.RequestException, PrometheusUnavailable) as error:  # overloaded
            print(f"a read for the breakdown failed: {str(error)[:200]}", flush=True)
    names = [*STAGES, JSON_MODULE, "of which Prometheus evaluation", "MB"]
    return {name: statistics.median(r[name] for r in reads) if reads else NAN for name in names}
