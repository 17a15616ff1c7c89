"""One poll of 1,000 and 10,000 SLOs against a real Prometheus evaluating their real rules.

Setup: a synthetic target (bench.poll_target, a separate process) exposes the raw series the SLOs
of bench.specs read. Prometheus (Debian's, devenv.PrometheusProcess) scrapes it every second with
honor_labels, so the job labels stay as exposed, and loads the rule files `rules-sync` would
write for the SLOs (build_prometheus_rule -> rule_file_content). For each N the rules of the
first N SLOs are loaded and the benchmark waits until Prometheus has recorded every one's budget
and burn rates. The sizes come from $BUDGETWARDEN_BENCH_SLOS (bench.specs.sizes).

Then the stages of each query are timed apart (bench.poll_read.breakdown): the two of the read
without a lookback (the values, then the stale series at the same instant) and, when this
Prometheus takes `lookback_delta` (Prometheus 3), the two with one (the budget left and the burn
rates, each within its max age). The poller's read path runs in turns, alternately without the
lookback (bench.poll_read.StaleQueryReader) and as the operator reads this Prometheus, one cycle
a second (every 10 s above 1,000 SLOs): the read (through the reader), the conversion to
snapshots, and slo_status_patch for every SLO (bench.poll_turns). Queries per cycle come from
each reader's own counter; after each turn the SLOs, budgets and windows both reads found are
compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bench import specs
from bench._stack import child, cpu_seconds, load_average, percentile, stop
from bench.poll_read import StaleQueryReader, breakdown
from bench.poll_turns import Ages, Cycle, Read, cycles
from bench.report import print_table
from budgetwarden.adapters.prometheus import (
    PrometheusReader,
    PrometheusSettings,
    PrometheusUnavailable,
)
from budgetwarden.core.budget.reading import (
    BUDGET_QUERY,
    lookback_queries,
    poll_result,
    stale_query,
)
from budgetwarden.core.budget.slo_status import BudgetTerms
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.slo.rulefiles import desired_files
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden.core.slo.windows import burn_rate_windows, ratio_windows
from budgetwarden.runtime.settings import BudgetLoopConfig
from budgetwarden_dev.devenv import PrometheusProcess
from budgetwarden_dev.devenv.processes import free_port

SIZES = specs.sizes((1000, 10_000))
CYCLES = 20  # per size and read, one a second (every 10 s, and 10 of them, above LARGE)
# The default 30 s up to 1,000 SLOs. 10,000 SLOs are 233,000 rules: at 30 s they would need about
# four cores (1,000 took 0.4 of one), so the rules of the larger sizes are evaluated every 2m.
LARGE = 1000
# A read of 10,000 SLOs can wait minutes behind rule evaluations on a busy machine; measured,
# not failed after Prometheus' default 2m.
QUERY_TIMEOUT = ["--query.timeout=10m"]
WAIT_FOR_SERIES = 900.0  # seconds for Prometheus to record every budget of one size
# The columns of `row`.
CYCLE_HEADERS = ["SLOs", "read", "recorded after", "samples", "queries/cycle", "cycle p50",
                 "cycle p95", "query p50", "query p95", "rest p50", "status patches first/then",
                 "same SLOs and windows", "machine"]  # fmt: skip


def rule_options(size: int) -> RuleOptions:
    """Scrape every second; evaluate every 30 s, or every 2m above LARGE SLOs."""
    every = timedelta(seconds=30) if size <= LARGE else timedelta(minutes=2)
    return RuleOptions(scrape_interval=timedelta(seconds=1), evaluation_interval=every)


def pace(size: int) -> tuple[int, float]:
    """(cycles per read, seconds between cycles): back to back above LARGE, the 10,000-SLO reads
    would queue behind each other in a Prometheus already busy with 233,000 rules."""
    return (CYCLES, 1.0) if size <= LARGE else (10, 10.0)


def max_ages(size: int) -> Ages:
    """What the poller allows by default, for the burn rates and for the budget left."""
    config, options = BudgetLoopConfig(), rule_options(size)
    every = options.evaluation_interval
    return Ages(config.max_age(every), config.budget_max_age(every, options.budget_interval))


def load_rules(slos: list[SLO], rules_dir: Path, options: RuleOptions) -> None:
    """Write the rule file rules-sync would write for each SLO."""
    files = desired_files([build_prometheus_rule(slo, options) for slo in slos])
    for name, content in files.items():
        (rules_dir / name).write_text(content)


def reload(prometheus: PrometheusProcess) -> None:
    """Make Prometheus re-read the rule files, waiting as long as that takes: parsing 233,000
    rules for 10,000 SLOs takes longer than devenv's reload waits."""
    request = urllib.request.Request(f"{prometheus.url}/-/reload", method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=WAIT_FOR_SERIES):
        pass


def complete(read: Read, slos: list[SLO], ages: Ages) -> int:
    """How many of the SLOs have a recorded budget and every burn rate."""
    result = poll_result(read.reader.read_budget_series(ages.burn, ages.budget), datetime.now(UTC))
    done = 0
    for slo in slos:
        snapshot = result.snapshots.get(SLORef(slo.metadata.namespace, slo.metadata.name))
        windows = ratio_windows(
            burn_rate_windows(slo.spec.window, slo.spec.alerting.burn_rate_windows)
        )
        done += (
            snapshot is not None
            and snapshot.remaining_percent is not None
            and (len(snapshot.burn_rates) == len(windows))
        )
    return done


def complete_or_none(read: Read, slos: list[SLO], ages: Ages) -> int:
    """`complete`, or 0 when the query failed (an overloaded Prometheus answers 503)."""
    try:
        return complete(read, slos, ages)
    except PrometheusUnavailable as error:
        print(f"waiting for the series: {str(error)[:120]}", flush=True)
        return 0


def wait_recorded(read: Read, slos: list[SLO], ages: Ages) -> float:
    """Block until Prometheus recorded every SLO's budget; seconds waited."""
    start = time.monotonic()
    while (done := complete_or_none(read, slos, ages)) < len(slos):
        if time.monotonic() - start > WAIT_FOR_SERIES:
            raise SystemExit(f"only {done}/{len(slos)} SLOs recorded after {WAIT_FOR_SERIES}s")
        time.sleep(pace(len(slos))[1] * 2)
    return time.monotonic() - start


def ms(seconds: float) -> str:
    """Milliseconds, rounded."""
    return f"{seconds * 1000:.0f} ms"


def row(size: int, name: str, waited: float, runs: list[Cycle], same: int) -> list[str]:
    """One table row."""
    if not runs:
        return [
            f"{size:,}",
            name,
            f"{waited:.0f} s",
            "every read failed",
            *["-"] * 8,
            load_average(),
        ]
    totals, queries = [r.seconds for r in runs], [r.query_seconds for r in runs]
    rest = [r.seconds - r.query_seconds for r in runs]
    return [
        f"{size:,}", name, f"{waited:.0f} s", str(runs[-1].samples),
        ", ".join(str(q) for q in sorted({r.queries for r in runs})),
        ms(statistics.median(totals)), ms(percentile(totals, 0.95)),
        ms(statistics.median(queries)), ms(percentile(queries, 0.95)),
        ms(statistics.median(rest)),
        f"{runs[0].patches} / {statistics.median(r.patches for r in runs[1:]):.0f}",
        f"{same}/{pace(size)[0]}", load_average(),
    ]  # fmt: skip


def measure_size(
    prometheus: PrometheusProcess, reads: list[Read], slos: list[SLO], size: int
) -> tuple[list[list[str]], list[list[str]]]:
    """Rules of the first `size` SLOs, the breakdown, the cycles; rows and breakdown rows."""
    options, ages = rule_options(size), max_ages(size)
    load_rules(slos[:size], prometheus.rules_dir, options)
    reload(prometheus)
    waited = wait_recorded(reads[-1], slos[:size], ages)
    queries: dict[str, tuple[str, timedelta | None]] = {
        "values": (BUDGET_QUERY, None),
        "stale": (stale_query(ages.burn, ages.budget), None),
    }
    if reads[-1].reader.takes_lookback():
        for promql, lookback in lookback_queries(ages.burn, ages.budget):
            queries[f"{promql.removeprefix('budgetwarden_slo:')} within {lookback}"] = (
                promql,
                lookback,
            )
    stages = {
        name: breakdown(prometheus.url, promql, 5 if size <= LARGE else 3, lookback)
        for name, (promql, lookback) in queries.items()
    }
    assert prometheus.process is not None
    cpu = cpu_seconds(prometheus.process.pid)
    terms = [BudgetTerms.of(slo) for slo in slos[:size]]
    runs, same = cycles(reads, terms, ages, *pace(size))
    busy = cpu_seconds(prometheus.process.pid) - cpu
    wall = sum(r.seconds + pace(size)[1] for run in runs for r in run)
    rows = [row(size, read.name, waited, run, same) for read, run in zip(reads, runs, strict=True)]
    every, machine = int(options.evaluation_interval.total_seconds()), load_average()
    staged = []
    for name, stage in stages.items():
        staged.append([f"{size:,}", f"{every} s", name, f"{stage.pop('MB') * 1000:,.0f} kB"])
        staged[-1] += [ms(seconds) for seconds in stage.values()]
        staged[-1] += [f"{100 * busy / wall:.0f} %", machine]
    return rows, staged


def measure(
    prometheus: PrometheusProcess, slos: list[SLO]
) -> tuple[list[list[str]], list[list[str]]]:
    """Every size, both reads; the cycle rows and the breakdown rows."""
    settings = PrometheusSettings(prometheus.url, timeout_seconds=600)
    reads = [Read("values, then stale", StaleQueryReader(settings))]
    if PrometheusReader(settings).takes_lookback():
        reads.append(Read("values within the lookback", PrometheusReader(settings)))
    rows, stages = [], []
    for size in SIZES:
        size_rows, staged = measure_size(prometheus, reads, slos, size)
        rows += size_rows
        stages += staged
    return rows, stages


def main() -> int:
    """Start the target and Prometheus, measure every size, print the tables."""
    cases = specs.cases(max(SIZES))
    slos = [parse_slo(yaml.safe_load(specs.budgetwarden_yaml(case))) for case in cases]
    port = free_port()
    target = child([sys.executable, "-m", "bench.poll_target", str(port), str(max(SIZES))])
    scrape = {"job_name": "synthetic", "honor_labels": True, "scrape_interval": "1s",
              "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}  # fmt: skip
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-poll-cycle-") as tmp,
            PrometheusProcess(
                Path(tmp) / "rules", [scrape], extra_args=QUERY_TIMEOUT
            ) as prometheus,
        ):
            rows, stages = measure(prometheus, slos)
    finally:
        stop(target)
    print_stages(stages)
    print_table(
        f"Poll read path against Prometheus {prometheus_version()} with the generated rules, "
        f"{CYCLES} cycles per size and read a second apart (10, 10 s apart, above {LARGE:,}), "
        "the two reads taking turns",
        CYCLE_HEADERS,
        rows,
    )
    return 0


def print_stages(stages: list[list[str]]) -> None:
    """The table of where each query's time goes (medians of 5 or 3)."""
    print_table(
        f"Where one read of each query goes (medians of 5 reads, 3 above {LARGE:,}; "
        "each stage timed apart)",
        ["SLOs", "rules every", "query", "answer", "until headers", "body transfer",
         "JSON decoding (msgspec)", "samples", "json module (before)",
         "of which Prometheus evaluation", "Prometheus CPU during cycles", "machine"],
        stages,
    )  # fmt: skip


def prometheus_version() -> str:
    """The version Prometheus reports, e.g. 2.42.0+ds."""
    from budgetwarden_dev.devenv.binaries import find_binary

    out = subprocess.run([str(find_binary("prometheus")), "--version"], capture_output=True)
    first = (out.stdout or out.stderr).decode().split()
    return first[2] if len(first) > 2 else "?"


if __name__ == "__main__":
    sys.exit(main())
