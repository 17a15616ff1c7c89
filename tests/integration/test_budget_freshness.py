"""The poller's read on a real Prometheus: a sample older than max_age is left out, on
Prometheus' clock, and the read takes the same queries however many SLOs there are. Prometheus
2.42 ignores `lookback_delta`, so the stale samples are asked for in a second query; Prometheus 3
takes it, and one query per max age leaves them out.

The target exposes the series the rules would record, some with explicit timestamps in the past
(Prometheus stores a scraped sample at the time the exposition gives, and writes no staleness
marker for such a series), so a sample of a known age is still within Prometheus' 5m lookback:
exactly what a recording rule that stopped evaluating leaves behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from budget_support import TextTarget
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.backends import backend_binaries
from budgetwarden_dev.devenv.binaries import repo_root
from operator_support import wait_for

pytestmark = pytest.mark.promtool
# Prometheus -> (whether it takes a lookback per query, the queries of one read after the check)
VERSIONS = {
    "2.42": (False, 2),  # the values, then the stale ones among them
    "3": (True, 1),  # the values within max_age (both metrics share it)
}

MAX_AGE = timedelta(seconds=90)
# Seconds behind the scrape each SLO's budget sample is stamped with (None: the scrape's time).
AGES = {"current": None, "young": 30, "old": 150}


def exposition() -> str:
    """Each SLO's budget, stamped AGES seconds back, a current 1h burn rate, and for the old SLO
    a 1d burn rate as old as its budget."""
    now_ms = int(time.time() * 1000)
    lines = []
    for name, age in AGES.items():
        labels = f'slo_namespace="shop",slo_name="{name}",slo_service="checkout"'
        stamp = "" if age is None else f" {now_ms - age * 1000}"
        lines.append(f"{c.METRIC_BUDGET_REMAINING}{{{labels}}} 0.5{stamp}")
        lines.append(f'{c.METRIC_BURN_RATE}{{{labels},slo_window="1h"}} 2')
        if name == "old":
            lines.append(f'{c.METRIC_BURN_RATE}{{{labels},slo_window="1d"}} 1{stamp}')
    return "\n".join(lines) + "\n"


@pytest.fixture(name="version", params=[*VERSIONS], ids=[f"prometheus-{v}" for v in VERSIONS])
def version_fixture(request: pytest.FixtureRequest) -> str:
    if request.param != "2.42":
        request.applymarker(pytest.mark.backends)
    return str(request.param)


@pytest.fixture(name="reader")
def reader_fixture(prometheus_factory: Any, version: str) -> Iterator[PrometheusReader]:
    target = TextTarget(exposition)
    scrape = {
        "job_name": "recorded",
        "honor_labels": True,
        "scrape_interval": "1s",
        "static_configs": [{"targets": [target.address]}],
        # stored as the rules' outputs are: without the target's labels
        "metric_relabel_configs": [{"action": "labeldrop", "regex": "job|instance"}],
    }
    binary = None if version == "2.42" else backend_binaries(repo_root())["prometheus3"]
    prometheus = prometheus_factory(scrape_configs=[scrape], binary=binary)
    try:
        yield PrometheusReader(PrometheusSettings(prometheus.url))
    finally:
        target.close()


def budgets(samples: list[Any]) -> set[str]:
    return {s.labels[c.PROM_LABEL_SLO] for s in samples if s.labels["__name__"].endswith("ratio")}


def burning(samples: list[Any]) -> set[tuple[str, str]]:
    return {
        (s.labels[c.PROM_LABEL_SLO], s.labels[c.PROM_LABEL_WINDOW])
        for s in samples
        if c.PROM_LABEL_WINDOW in s.labels
    }


def test_a_budget_sample_older_than_max_age_is_left_out_and_the_rest_are_read(
    reader: PrometheusReader, version: str
) -> None:
    # every series is within the 5m lookback, so a bare selector returns all seven
    wait_for("seven series", lambda: len(reader.query("{slo_namespace='shop'}")) == 7, timeout=30)
    takes_lookback, queries = VERSIONS[version]
    assert reader.takes_lookback() is takes_lookback
    before = reader.queries_issued
    samples = reader.read_budget_series(MAX_AGE)
    assert reader.queries_issued - before == queries
    assert budgets(samples) == {"current", "young"}
    assert burning(samples) == {(name, "1h") for name in AGES}
    # with a max_age longer than the oldest sample nothing is left out
    everything = reader.read_budget_series(timedelta(minutes=4))
    assert budgets(everything) == set(AGES)
    assert burning(everything) == {*((name, "1h") for name in AGES), ("old", "1d")}


def test_the_budget_left_has_an_age_of_its_own(reader: PrometheusReader) -> None:
    """The budget's rule group evaluates less often than the burn rates': its longer max age
    keeps the old budget, while a burn rate as old is still left out."""
    wait_for("seven series", lambda: len(reader.query("{slo_namespace='shop'}")) == 7, timeout=30)
    samples = reader.read_budget_series(MAX_AGE, budget_max_age=timedelta(minutes=4))
    assert budgets(samples) == set(AGES)
    assert burning(samples) == {(name, "1h") for name in AGES}


def test_a_read_of_nothing_recorded_asks_the_backend_once_then_queries_once(
    prometheus_factory: Any,
) -> None:
    reader = PrometheusReader(PrometheusSettings(prometheus_factory().url))
    assert reader.read_budget_series(MAX_AGE) == []
    assert reader.queries_issued == 2  # whether it takes a lookback (2.42: no), the values
    assert reader.read_budget_series(MAX_AGE) == []
    assert reader.queries_issued == 3  # the answer about the lookback is kept
