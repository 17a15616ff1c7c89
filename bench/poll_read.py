"""The poll's read as it was before it took two queries, and where one query's time goes.

Used by bench.poll_cycle. `FilteredReader` is the read as the operator did it up to the first
10,000-SLO figures: one query, both metrics, the stale samples dropped by Prometheus with an
`and` per metric (`filtered_query`). The operator now reads the values and the stale series in
two queries (core.budget.reading); both are kept so that one run measures both reads against the
same Prometheus, side by side. `breakdown` times the stages of one query separately:
Prometheus' evaluation (its own `stats`), the HTTP exchange, the JSON decoding, the samples.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from datetime import timedelta

import requests

from budgetwarden.adapters.prometheus import PrometheusReader, Sample, _samples
from budgetwarden.core.kernel import conventions as c


def filtered_query(max_age: timedelta) -> str:
    """The one query per poll as it was: both metrics, stale samples dropped by Prometheus."""
    seconds = max(max_age // timedelta(seconds=1), 1)
    metrics = (c.METRIC_BUDGET_REMAINING, c.METRIC_BURN_RATE)
    return " or ".join(f"({m} and (time() - timestamp({m}) < {seconds}))" for m in metrics)


class FilteredReader(PrometheusReader):
    """The previous read: one query that filters out the stale samples itself."""

    def read_budget_series(self, max_age: timedelta) -> list[Sample]:
        return self.query(filtered_query(max_age))


def _read_once(session: requests.Session, url: str, promql: str) -> dict[str, float]:
    """One read of `promql`, each stage timed on its own (seconds; the answer's size in MB)."""
    marks = [time.perf_counter()]
    answer = session.get(f"{url}/api/v1/query", params={"query": promql, "stats": "all"},
                         stream=True, timeout=300)  # fmt: skip
    answer.raise_for_status()
    marks.append(time.perf_counter())
    body = answer.content
    marks.append(time.perf_counter())
    data = json.loads(body)["data"]
    marks.append(time.perf_counter())
    _samples(data["result"])
    marks.append(time.perf_counter())
    stages = dict(
        zip(STAGES, (end - start for start, end in itertools.pairwise(marks)), strict=True)
    )
    evaluation = data.get("stats", {}).get("timings", {}).get("evalTotalTime", "nan")
    return {**stages, "of which Prometheus evaluation": float(evaluation), "MB": len(body) / 1e6}


NAN = float("nan")
STAGES = ("until headers", "body transfer", "JSON decoding", "samples")


def breakdown(url: str, promql: str, runs: int = 5) -> dict[str, float]:
    """Median of each stage of one read of `promql` over `runs` reads (seconds; "MB": size)."""
    session, reads = requests.Session(), []
    for _ in range(runs):
        try:
            reads.append(_read_once(session, url, promql))
        except (requests.RequestException, KeyError) as error:  # an overloaded Prometheus
            print(f"a read for the breakdown failed: {str(error)[:200]}", flush=True)
    names = [*STAGES, "of which Prometheus evaluation", "MB"]
    return {name: statistics.median(r[name] for r in reads) if reads else NAN for name in names}
