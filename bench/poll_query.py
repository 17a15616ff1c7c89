"""What each way of reading every budget costs Prometheus at 10,000 SLOs, the rules aside.

bench.poll_cycle measures the poll against a Prometheus busy with the SLOs' rules, where the
queries wait for cores the rules hold. This one isolates the queries: a synthetic target exposes
the series the rules would record for each SLO (budget left and eight burn-rate windows, stored
without the target's labels as the rules' outputs are), Prometheus scrapes it every 10 s and
evaluates no rules, and each query is sent 5 times, one at a time, with `stats=all`. The rows:
the query the poll made until it took two (`bench.poll_read.filtered_query`), the two it makes
on a backend that ignores `lookback_delta` (`BUDGET_QUERY`, then `stale_query` at the first
one's instant), the one it makes on a backend that takes it (`BUDGET_QUERY` with max age as the
lookback; Prometheus 2.42 ignores the parameter, so there it is the values query again), and a
bare selection of each metric for scale. On Debian's Prometheus 2.42 and on Prometheus 3
(hack/backends/build.sh). The sizes come from $BUDGETWARDEN_BENCH_SLOS (the largest is used;
default 10,000).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench import specs
from bench._stack import load_average, serve_exposition
from bench.poll_read import filtered_query
from bench.report import print_table
from budgetwarden.core.budget.reading import BUDGET_QUERY, stale_query
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv import PrometheusProcess
from budgetwarden_dev.devenv.backends import backend_binaries
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.processes import free_port

SLOS = max(specs.sizes((10_000,)))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
MAX_AGE = timedelta(minutes=6)  # the poller's default above 1,000 SLOs in bench.poll_cycle
READS = 5


def exposition(count: int) -> str:
    """Every SLO's budget left and burn rates, labelled as the rules label them."""
    lines = []
    for i in range(count):
        labels = f'slo_namespace="team-{i % 50}",slo_name="slo-{i}",slo_service="svc-{i % 400}"'
        lines.append(f"{c.METRIC_BUDGET_REMAINING}{{{labels}}} 0.{i % 97 + 1}")
        lines += [f'{c.METRIC_BURN_RATE}{{{labels},slo_window="{w}"}} 1.5' for w in WINDOWS]
    return "\n".join(lines) + "\n"


def queries() -> dict[str, dict[str, str]]:
    """What each row sends (the query's parameters), by its label."""
    within = {"lookback_delta": f"{MAX_AGE // timedelta(seconds=1)}s"}
    return {
        "previous: one query, filtered with `and`": {"query": filtered_query(MAX_AGE)},
        "no lookback 1: the values": {"query": BUDGET_QUERY},
        "no lookback 2: the stale series (none)": {"query": stale_query(MAX_AGE)},
        "with a lookback: the values within max age": {"query": BUDGET_QUERY, **within},
        "for scale: the budgets alone": {"query": c.METRIC_BUDGET_REMAINING},
        "for scale: the burn rates alone": {"query": c.METRIC_BURN_RATE},
    }


def timed(client: httpx.Client, url: str, params: dict[str, str]) -> tuple[float, float, int, int]:
    """Median (evaluation, until the body is read) seconds of READS reads; answer bytes, items."""
    evaluations, totals, size, items = [], [], 0, 0
    for _ in range(READS):
        start = time.perf_counter()
        answer = client.get(f"{url}/api/v1/query", params={**params, "stats": "all"})
        totals.append(time.perf_counter() - start)
        data = answer.json()["data"]
        evaluations.append(float(data["stats"]["timings"]["evalTotalTime"]))
        size, items = len(answer.content), len(data["result"])
    return statistics.median(evaluations), statistics.median(totals), size, items


def measure(name: str, binary: Path | None, target: str) -> list[list[str]]:
    """The rows of one Prometheus, once it holds every series."""
    drop_target_labels = {"action": "labeldrop", "regex": "job|instance"}
    scrape = {"job_name": "recorded", "honor_labels": True, "scrape_interval": "10s",
              "static_configs": [{"targets": [target]}],
              "metric_relabel_configs": [drop_target_labels]}  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="bench-poll-query-") as rules,
        PrometheusProcess(Path(rules), [scrape], binary=binary) as prometheus,
        httpx.Client(trust_env=False, timeout=600) as client,
    ):
        count = f"count({c.METRIC_BURN_RATE})"
        while _value(client, prometheus.url, count) < SLOS * len(WINDOWS):
            time.sleep(1)
        time.sleep(11)  # a second scrape, so every series has a sample younger than the first
        rows = []
        for label, params in queries().items():
            evaluation, total, size, items = timed(client, prometheus.url, params)
            rows.append([f"{SLOS:,}", name, label, f"{items:,}", f"{size / 1000:,.0f} kB",
                         f"{evaluation * 1000:.0f} ms", f"{total * 1000:.0f} ms",
                         load_average()])  # fmt: skip
    return rows


def _value(client: httpx.Client, url: str, promql: str) -> float:
    result = client.get(f"{url}/api/v1/query", params={"query": promql}).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def main() -> int:
    """Serve the series, measure on each Prometheus, print the table."""
    body = exposition(SLOS)
    port = free_port()
    threading.Thread(target=serve_exposition, args=(port, lambda: body), daemon=True).start()
    target = f"127.0.0.1:{port}"
    rows = measure("2.42 (Debian)", None, target)
    rows += measure("3 (built)", backend_binaries(repo_root())["prometheus3"], target)
    print_table(
        f"Each query of the poll, {READS} reads each (medians), Prometheus scraping the recorded "
        "series every 10 s and evaluating no rules",
        ["SLOs", "Prometheus", "query", "series", "answer", "evaluation", "until read", "machine"],
        rows,
    )
    return 0
