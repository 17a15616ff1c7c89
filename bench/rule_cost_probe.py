"""What the rule-cost benchmark reads from the Prometheus under test, over its HTTP API.

Used by bench.rule_cost. `read_self` parses Prometheus's own /metrics (no self-scrape, which
would add series to the head being measured); `rule_costs` reads /api/v1/rules once a run, for
the rule count and the time each kind of rule takes.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Group kinds, found as a dash-separated word of the group name: budgetwarden's groups end in
# -sli, -budget and -alerts; Sloth's are sloth-slo-sli-recordings-*, -meta-recordings-*, -alerts-*.
GROUP_KINDS = ("sli", "budget", "meta", "alerts")
# Labels that say which window a recorded series is for, on either side.
WINDOW_LABELS = ("slo_window", "sloth_window")


def fetch(url: str, timeout: float = 120) -> bytes:
    """The body of a GET on the Prometheus under test, never through a proxy."""
    with _OPENER.open(url, timeout=timeout) as response:
        return response.read()


@dataclass(frozen=True)
class SelfReading:
    """One read of Prometheus's /metrics."""

    # Sum over groups of their last evaluation, each weighted by how many of its evaluations
    # fall in one cycle: a group every 2m30s costs a fifth of its evaluation per 30 s cycle.
    evaluation_seconds: float
    groups: int
    least_iterations: float  # cycles' worth of evaluations of the group that has the fewest
    missed: float  # iterations missed, all groups
    head_series: float
    rss_bytes: float


def read_self(url: str, cycle: float) -> SelfReading:
    """Parse the few metrics the benchmark needs out of /metrics; `cycle` in seconds."""
    durations: dict[str, float] = {}
    intervals: dict[str, float] = {}
    iterations: dict[str, float] = {}
    singles: dict[str, float] = defaultdict(float)
    for line in fetch(f"{url}/metrics").decode().splitlines():
        if line.startswith("#"):
            continue
        # `name{labels} value`: the labels (the group) key the per-group figures, so that a
        # group's duration and iterations are weighted by its own interval.
        series, _, number = line.rpartition(" ")
        name, _, labels = series.partition("{")
        value = float(number)
        if name == "prometheus_rule_group_last_duration_seconds":
            durations[labels] = value
        elif name == "prometheus_rule_group_interval_seconds":
            intervals[labels] = value
        elif name == "prometheus_rule_group_iterations_total":
            iterations[labels] = value
        elif labels == "" or name == "prometheus_rule_group_iterations_missed_total":
            singles[name] += value
    return SelfReading(
        evaluation_seconds=sum(
            seconds * cycle / intervals.get(group, cycle) for group, seconds in durations.items()
        ),
        groups=len(durations),
        least_iterations=min(
            (n * intervals.get(group, cycle) / cycle for group, n in iterations.items()),
            default=0.0,
        ),
        missed=singles["prometheus_rule_group_iterations_missed_total"],
        head_series=singles["prometheus_tsdb_head_series"],
        rss_bytes=singles["process_resident_memory_bytes"],
    )


def query_value(url: str, promql: str) -> float:
    """A scalar answer (the first sample of a vector), 0 when the vector is empty."""
    body = json.loads(fetch(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"))
    result = body["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def group_kind(group: str) -> str:
    """The kind of a rule group, from its name."""
    words = group.split("-")
    return next((kind for kind in GROUP_KINDS if kind in words), "other")


def _rule_key(group: str, rule: dict[str, Any]) -> tuple[str, str]:
    """(group kind, what the rule is): its record name with its window, or the alert's name."""
    labels = rule.get("labels") or {}
    window = next((labels[w] for w in WINDOW_LABELS if w in labels), "")
    what = rule["name"] if rule.get("type") == "recording" else f"alert {rule['name']}"
    return group_kind(group), f"{what} [{window}]" if window else what


@dataclass(frozen=True)
class RuleCosts:
    """The loaded rules and their last evaluation times, summed by kind."""

    rules: int
    seconds: dict[tuple[str, str], float]  # (group kind, rule) -> seconds per cycle, all SLOs
    counts: dict[tuple[str, str], int]  # (group kind, rule) -> rules


def rule_costs(url: str, cycle: float) -> RuleCosts:
    """Read /api/v1/rules: how many rules are loaded, and where their evaluation time per
    `cycle` seconds goes (a group evaluated less often counts its share of an evaluation)."""
    groups = json.loads(fetch(f"{url}/api/v1/rules", timeout=300))["data"]["groups"]
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for group in groups:
        share = cycle / float(group.get("interval") or cycle)
        for rule in group["rules"]:
            key = _rule_key(group["name"], rule)
            seconds[key] += float(rule.get("evaluationTime") or 0.0) * share
            counts[key] += 1
    return RuleCosts(sum(counts.values()), dict(seconds), dict(counts))
