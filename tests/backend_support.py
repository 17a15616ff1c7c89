"""What the backend compatibility tests share: SLOs with known answers, the target they read,
and reading recorded values and alerts back through any Prometheus-compatible HTTP API.

`ConstantTarget` serves counters that grow linearly with wall time, each SLO at its own constant
error fraction from the first scrape on. Errors and total come from one response, so every
window's ratio of rates is exactly that fraction on any backend, whatever the scrape alignment,
range-selector boundaries (Prometheus 3 leaves them open) or rate extrapolation (MetricsQL does
none): every recorded burn rate and budget has one right value, worked out here by hand.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from budget_support import TextTarget
from budgetwarden.core.kernel.conventions import METRIC_BURN_RATE
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.slo.rulefiles import rule_file_content
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden.core.slo.windows import burn_rate_windows, ratio_windows

NAMESPACE = "compat"
INTERVAL = timedelta(seconds=1)  # scrape and evaluation, so a test sees many evaluations quickly
RULE_OPTIONS = RuleOptions(scrape_interval=INTERVAL, evaluation_interval=INTERVAL)
REQUESTS_PER_SECOND = 100.0
PAGE = "SLOErrorBudgetFastBurn"
# The level each case's budget-low alert ends at (none for calm and clean), and what the
# default levels put in its labels and summary.
LOW_BUDGET_LEVELS = {
    "hot": "FullFreeze",
    "slow": "FullFreeze",
    "flip": "FullFreeze",
    "warned": "Warning",
    "partial": "PartialFreeze",
}
LEVEL_PRIORITY = {"Warning": "P3", "PartialFreeze": "P3", "FullFreeze": "P2"}
LEVEL_THRESHOLD = {"Warning": "50%", "PartialFreeze": "30%", "FullFreeze": "10%"}


@dataclass(frozen=True)
class Case:
    """One SLO and the error fraction its series carry."""

    name: str
    objective: str
    error_fraction: float
    latency: bool = False  # a classic histogram instead of request counters
    # from this many seconds after the target starts, errors come at `flipped_fraction`
    flip_after: float | None = None
    flipped_fraction: float = 0.5

    @property
    def error_budget(self) -> float:
        return 1 - float(Decimal(self.objective) / 100)

    @property
    def burn_rate(self) -> float:
        return self.error_fraction / self.error_budget

    @property
    def budget_remaining(self) -> float:
        return 1 - self.burn_rate

    def slo(self) -> SLO:
        job = f'job="{self.name}"'
        if self.latency:
            # an integer threshold: Prometheus 3 stores the exporter's le="1" as "1.0"
            indicator: dict[str, Any] = {
                "latency": {"histogram": f"request_seconds_bucket{{{job}}}", "threshold": "1s"}
            }
        else:
            total = f"sum(rate(requests_total{{{job}}}[{{{{.window}}}}]))"
            errors = f'sum(rate(requests_total{{{job},code=~"5.."}}[{{{{.window}}}}]))'
            indicator = {"ratio": {"errors": errors, "total": total}}
        return parse_slo(
            {
                "apiVersion": "budgetwarden.io/v1alpha1",
                "kind": "SLO",
                "metadata": {"name": self.name, "namespace": NAMESPACE},
                "spec": {
                    "service": self.name,
                    "objective": self.objective,
                    "window": "30d",
                    "indicator": indicator,
                },
            }
        )

    def errors(self, elapsed: float) -> float:
        """The error count `elapsed` seconds after the target started."""
        before = elapsed if self.flip_after is None else min(elapsed, self.flip_after)
        after = elapsed - before
        return REQUESTS_PER_SECOND * (before * self.error_fraction + after * self.flipped_fraction)

    def exposition(self, elapsed: float) -> list[str]:
        total = REQUESTS_PER_SECOND * elapsed
        bad = self.errors(elapsed)
        if self.latency:
            name = "request_seconds_bucket"
            # the TYPE line makes le a histogram bound, which Prometheus 3 normalises
            return [
                "# TYPE request_seconds histogram",
                f'{name}{{job="{self.name}",le="0.5"}} {(total - bad) / 2!r}',
                f'{name}{{job="{self.name}",le="1"}} {total - bad!r}',
                f'{name}{{job="{self.name}",le="+Inf"}} {total!r}',
            ]
        lines = [f'requests_total{{job="{self.name}",code="200"}} {total - bad!r}']
        if bad:  # an SLO without errors has no 5xx series at all, as real counters start
            lines.append(f'requests_total{{job="{self.name}",code="500"}} {bad!r}')
        return lines


CASES = (
    Case("hot", "99.5", 0.2),  # burn rate 40: pages
    Case("calm", "99.5", 0.001),  # burn rate 0.2
    Case("clean", "99.9", 0.0),  # no error series: errors count as zero
    Case("slow", "99", 0.02, latency=True),  # burn rate 2, from the buckets
    Case("warned", "99.5", 0.003),  # burn rate 0.6: 40% of the budget left, the Warning level
    Case("partial", "99.5", 0.004),  # burn rate 0.8: 20% left, the PartialFreeze level
    # burn rate 0.2, then rising through the page's thresholds about 64 s after the start,
    # once every backend has long known its series: the page must fire at the evaluation its
    # records cross
    Case("flip", "99.5", 0.001, flip_after=60.0),
)
STEADY = tuple(case for case in CASES if case.flip_after is None)


def rule_file(chained_records: bool = True) -> str:
    """One rule file with every case's generated groups; `chained_records` False as VMRules
    are generated (for vmalert)."""
    options = replace(RULE_OPTIONS, chained_records=chained_records)
    groups = [
        group
        for case in CASES
        for group in build_prometheus_rule(case.slo(), options)["spec"]["groups"]
    ]
    return rule_file_content({"spec": {"groups": groups}})


class ConstantTarget(TextTarget):
    """A /metrics endpoint serving every case's series, counted from when it started."""

    def __init__(self) -> None:
        started = time.time()

        def render() -> str:
            elapsed = time.time() - started
            return "\n".join(line for case in CASES for line in case.exposition(elapsed)) + "\n"

        super().__init__(render)

    def scrape_config(self) -> dict[str, Any]:
        # honor_labels: each case's job label stays as exposed, as the SLO selectors expect
        targets = [{"targets": [self.address]}]
        return {"job_name": "compat", "honor_labels": True, "static_configs": targets}


def query(url: str, promql: str, dedup: bool = True) -> list[dict[str, Any]]:
    """An instant query through the Prometheus HTTP API at `url`; the result list. `dedup`
    False asks a Thanos querier for each replica's series apart, replica label kept."""
    params = {"query": promql} if dedup else {"query": promql, "dedup": "false"}
    with httpx.Client(trust_env=False, timeout=30) as client:
        answer = client.get(f"{url}/api/v1/query", params=params).json()
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def recorded(url: str, metric: str, case: Case, window: str | None = None) -> list[float]:
    """The latest value of one recorded series of `case`, one per series found."""
    labels = f'slo_namespace="{NAMESPACE}",slo_name="{case.name}"'
    if window:
        labels += f',slo_window="{window}"'
    return [float(item["value"][1]) for item in query(url, f"{metric}{{{labels}}}")]


def first_seen(url: str, selector: str, dedup: bool = True) -> float | None:
    """The timestamp of the earliest sample of `selector` in the last 10 minutes, or None."""
    stamps = [
        float(stamp)
        for item in query(url, f"{selector}[10m]", dedup)
        for stamp, _ in item.get("values", [])
    ]
    return min(stamps, default=None)


def samples(url: str, selector: str, dedup: bool = True) -> dict[float, float]:
    """Every sample in the last 10 minutes of the one series `selector` names, by timestamp."""
    found = query(url, f"{selector}[10m]", dedup)
    assert len(found) <= 1, found
    return {float(t): float(v) for item in found for t, v in item["values"]}


# The fast-burn page's two conditions: burn rate over a factor over both a long and a short window.
PAGE_CONDITIONS = ((14.4, ("1h", "5m")), (6.0, ("6h", "30m")))


def first_crossing(url: str, case: Case, replica: str = "") -> float:
    """The first evaluation at which `case`'s burn rates meet either condition of the page; with
    `replica`, that Thanos replica's evaluations (matched by its `replica` selector label)."""
    labels = f'slo_namespace="{NAMESPACE}",slo_name="{case.name}"{replica}'
    crossings = []
    for factor, windows in PAGE_CONDITIONS:
        long, short = (
            samples(url, f'{METRIC_BURN_RATE}{{{labels},slo_window="{w}"}}', not replica)
            for w in windows
        )
        crossings += [t for t, v in long.items() if v > factor and short.get(t, 0.0) > factor]
    assert crossings, (url, case.name)
    return min(crossings)


def eventually(probe: Any, timeout: float = 90, every: float = 0.5, what: str = "") -> Any:
    """Call `probe` until it returns something truthy; its last answer in the failure."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what} not reached in {timeout:.0f}s; last answer: {last!r}")


def windows(case: Case) -> Iterator[str]:
    """The burn-rate windows the generated rules record for `case`."""
    slo = case.slo()
    found = burn_rate_windows(slo.spec.window, slo.spec.alerting.burn_rate_windows)
    yield from (format_duration(window) for window in ratio_windows(found))
