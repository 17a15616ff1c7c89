"""The poll's read as it was before the read was made faster, and where one read's time goes.

Used by bench.poll_cycle. `PreviousReader` and `previous_poll_result` are the read as the
operator did it up to the 1,000-SLO figures (prometheus-api-client's `custom_query`, then one
`Sample` per item with its own Decimal and datetime; an SLORef and two label-set operations per
sample), kept so that one run measures both reads against the same Prometheus, side by side.
`breakdown` times the stages of one read of that query separately: Prometheus' evaluation (its
own `stats`), the HTTP exchange, the JSON decoding, the samples, the snapshots.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect

from budgetwarden.adapters.prometheus import Sample
from budgetwarden.core.budget.reading import _OWN_LABELS, Reading, _Found
from budgetwarden.core.budget.snapshot import PollResult, SLORef
from budgetwarden.core.kernel import conventions as c


def previous_query(max_age: timedelta) -> str:
    """The one query per poll as it was: both metrics, stale samples dropped by Prometheus."""
    seconds = max(max_age // timedelta(seconds=1), 1)
    metrics = (c.METRIC_BUDGET_REMAINING, c.METRIC_BURN_RATE)
    return " or ".join(f"({m} and (time() - timestamp({m}) < {seconds}))" for m in metrics)


def previous_sample(item: dict[str, Any]) -> Sample:
    """One answer item as the previous adapter converted it."""
    timestamp, raw = item["value"]
    try:
        value: Decimal | None = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is not None and not value.is_finite():
        value = None
    return Sample(
        labels=dict(item["metric"]),
        value=value,
        timestamp=datetime.fromtimestamp(float(timestamp), tz=UTC),
    )


def previous_poll_result(samples: Iterable[Reading], now: datetime) -> PollResult:
    """poll_result as it was: a SLORef and two label-set operations for every sample."""
    found: dict[SLORef, _Found] = {}
    for sample in samples:
        labels = sample.labels
        own = _OWN_LABELS.get(labels.get("__name__", ""))
        namespace, name = labels.get(c.PROM_LABEL_NAMESPACE), labels.get(c.PROM_LABEL_SLO)
        ref = SLORef(namespace, name) if namespace and name else None
        if own is None or ref is None or sample.value is None:
            continue
        if extra := labels.keys() - own:
            found.setdefault(ref, _Found()).ignored.update(extra)
        elif labels.keys() == own and all(labels.values()):
            key = labels.get(c.PROM_LABEL_WINDOW, "")
            found.setdefault(ref, _Found()).values.setdefault(key, []).append(sample.value)
    snapshots = {ref: found[ref].snapshot(ref, now) for ref in sorted(found)}
    return PollResult(evaluated_at=now, snapshots=snapshots)


class PreviousReader:
    """The previous read: one `custom_query`, one Sample per item; counts its queries."""

    def __init__(self, url: str) -> None:
        self._client = PrometheusConnect(url=url, session=requests.Session())
        self.queries_issued = 0

    def query(self, promql: str) -> list[Sample]:
        """Run one instant query the way the previous adapter did."""
        self.queries_issued += 1
        return [previous_sample(item) for item in self._client.custom_query(promql)]


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
    samples = [previous_sample(item) for item in data["result"]]
    marks.append(time.perf_counter())
    previous_poll_result(samples, datetime.now(UTC))
    marks.append(time.perf_counter())
    stages = dict(
        zip(STAGES, (end - start for start, end in itertools.pairwise(marks)), strict=True)
    )
    evaluation = data.get("stats", {}).get("timings", {}).get("evalTotalTime", "nan")
    return {**stages, "of which Prometheus evaluation": float(evaluation), "MB": len(body) / 1e6}


NAN = float("nan")
STAGES = ("until headers", "body transfer", "JSON decoding", "samples", "snapshots")


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
