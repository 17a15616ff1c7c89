"""What the generated rules cost Prometheus, side by side with Sloth v0.16.0's for the same SLOs.

The same SLOs (bench.specs) go through budgetwarden's rule generator (the files `rules-sync`
writes) and through `sloth generate` (bench.rule_cost_rules says how the specs map). Each run
starts Debian's Prometheus 2.42 on a fresh TSDB with one tool's rules, scraping a synthetic
target (bench.rule_cost_series) every 30 s and evaluating every 30 s (a cycle). After a warm-up
of two evaluations per group it reads Prometheus's own /metrics once a cycle: the sum over groups
of prometheus_rule_group_last_duration_seconds (one whole cycle of evaluations), and its CPU time
from /proc/<pid>/stat between reads (the reads themselves left out, scaled to a cycle). At the end:
head series, RSS, the rules loaded, the ALERTS series, and each rule's evaluationTime from
/api/v1/rules for the table of where the time goes. Two runs per tool and size, the tools
alternating, never at the same time.

The synthetic errors and slow requests are one in a million, far inside every objective, so no
burn-rate or budget-low alert fires: firing alerts add ALERTS series on one side only and would
make the comparison unfair. The ALERTS column shows it held.

Scenario 1 starts from an empty TSDB, so every window holds minutes of data. Scenario 2 first
backfills 30 days (bench.rule_cost_backfill): the raw series and the recorded series each
tool's long-window rules read over a range, so the 30d sums and 3d rates are full.

`BUDGETWARDEN_BENCH_SLOS=100,1000` sets the sizes (the backfill takes the largest, at most
1,000); `BUDGETWARDEN_BENCH_SCENARIOS=fresh` or `=backfilled` runs one scenario;
`BUDGETWARDEN_BENCH_RUNS` sets the runs per tool and size (2); `BUDGETWARDEN_BENCH_INTERVAL`
the evaluation interval in seconds (30; the scrape stays at 30 s, and budgetwarden's rules are
generated for that interval, the budget group five times slower up to its 2m30s cap) and
`BUDGETWARDEN_BENCH_CYCLES` the cycles measured (10): 10,000 SLOs need more than two cores to
evaluate every 30 s, so on this machine they are measured at 120 s; `BUDGETWARDEN_BENCH_PACE=4`
beside an interval of 120 generates budgetwarden's rules for 30 s and multiplies each group's
interval by 4 (the budget group every 10 minutes): a 30 s deployment evaluated at a quarter of its
pace, as Sloth's rules are at 120 s; `BUDGETWARDEN_BENCH_TOOLS` picks some of the three sets by
name (comma-separated);
`python -m bench.rule_cost --quick` (or BUDGETWARDEN_BENCH_QUICK=1) runs 100 SLOs, one run and
three cycles, for trying changes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench import rule_cost_backfill, specs
from bench._stack import child, cpu_seconds, stop
from bench.rule_cost_probe import RuleCosts, query_value, read_self, rule_costs
from bench.rule_cost_rules import budgetwarden_rules, sloth_binary, sloth_rules
from budgetwarden_dev.devenv import PrometheusProcess
from budgetwarden_dev.devenv.processes import free_port

# budgetwarden's rules as generated, then without the alerts Sloth has no counterpart for (budget
# low, service down, absent data: bench.specs.ONLY_BURN_ALERTS), then Sloth's.
BURN_ONLY = "budgetwarden burn-only"
TOOLS = ("budgetwarden", BURN_ONLY, "Sloth")
SCRAPE_INTERVAL = 30.0  # seconds
INTERVAL = float(os.environ.get("BUDGETWARDEN_BENCH_INTERVAL") or 30)  # seconds: evaluation
WARMUP_ITERATIONS = 2  # cycles' worth of evaluations of every group before measuring
# Cycles measured per run: a whole number of budgetwarden's 2m30s budget-group intervals (five
# cycles each at 30 s), so every run holds as many of its evaluations as the cycles' share.
CYCLES = int(os.environ.get("BUDGETWARDEN_BENCH_CYCLES") or 10)
# budgetwarden's rules are generated for INTERVAL / PACE, then every group slowed down by PACE.
PACE = int(os.environ.get("BUDGETWARDEN_BENCH_PACE") or 1)
_NAMED_TOOLS = (os.environ.get("BUDGETWARDEN_BENCH_TOOLS") or ",".join(TOOLS)).split(",")
CHOSEN_TOOLS = tuple(tool for tool in TOOLS if tool in _NAMED_TOOLS)
SCENARIOS = ("fresh", "backfilled")
FRESH_TITLE = "Rule cost on a fresh TSDB"


@dataclass(frozen=True)
class Plan:
    """Sizes, repetitions and scenarios of one invocation."""

    sizes: tuple[int, ...]
    backfill_slos: int
    runs: int
    cycles: int
    scenarios: tuple[str, ...] = SCENARIOS


def plan() -> Plan:
    """Full sizes unless --quick or the environment asks for others."""
    chosen = os.environ.get("BUDGETWARDEN_BENCH_SCENARIOS")
    scenarios = tuple(chosen.split(",")) if chosen else SCENARIOS
    if "--quick" in sys.argv or os.environ.get("BUDGETWARDEN_BENCH_QUICK"):
        return Plan((100,), 100, runs=1, cycles=5, scenarios=scenarios)
    runs = int(os.environ.get("BUDGETWARDEN_BENCH_RUNS") or 2)
    if sizes := os.environ.get("BUDGETWARDEN_BENCH_SLOS"):
        counts = tuple(int(size) for size in sizes.split(","))
        return Plan(counts, min(max(counts), 1000), runs=runs, cycles=CYCLES, scenarios=scenarios)
    return Plan((1000, 10000), 1000, runs=runs, cycles=CYCLES, scenarios=scenarios)


@dataclass(frozen=True)
class Run:
    """One Prometheus run with one tool's rules."""

    evaluation: list[float]  # seconds per cycle, summed over groups
    cpu: list[float]  # Prometheus CPU seconds per 30 s cycle
    loads: list[float]  # 1-minute load average at each read
    head_series: float
    rss_bytes: float
    alerts: float
    missed: float
    costs: RuleCosts


def _wait_warm(url: str, deadline: float) -> None:
    """Until every group has run for WARMUP_ITERATIONS cycles (or the deadline passes)."""
    time.sleep(WARMUP_ITERATIONS * INTERVAL)
    while read_self(url, INTERVAL).least_iterations < WARMUP_ITERATIONS:
        if time.monotonic() > deadline:
            raise SystemExit("rule groups did not run twice before the deadline")
        time.sleep(INTERVAL / 3)


def measure(prometheus: PrometheusProcess, cycles: int) -> Run:
    """Warm up, then read /metrics once a cycle; CPU counted between the reads."""
    assert prometheus.process is not None
    pid, url = prometheus.process.pid, prometheus.url
    _wait_warm(url, time.monotonic() + 20 * INTERVAL)
    evaluation, cpu, loads = [], [], []
    last_cpu, last_end = cpu_seconds(pid), time.monotonic()
    for _ in range(cycles):
        time.sleep(max(0.0, last_end + INTERVAL - time.monotonic()))
        before, start = cpu_seconds(pid), time.monotonic()
        cpu.append((before - last_cpu) * INTERVAL / (start - last_end))
        reading = read_self(url, INTERVAL)
        last_cpu, last_end = cpu_seconds(pid), time.monotonic()
        evaluation.append(reading.evaluation_seconds)
        loads.append(os.getloadavg()[0])
    alerts, costs = query_value(url, "count(ALERTS)"), rule_costs(url, INTERVAL)
    return Run(evaluation, cpu, loads, reading.head_series, reading.rss_bytes,
               alerts, reading.missed, costs)  # fmt: skip


def one_run(rules: Path, port: int, cycles: int, data: Path | None = None) -> Run:
    """A fresh Prometheus (on a copy of `data` when given) with the rules in `rules`."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-rule-cost-prom-"))
    extra: list[str] = []
    if data is not None:
        shutil.copytree(data, workdir / "data")
        extra = ["--storage.tsdb.retention.time=60d"]  # keep the 30 days of history
    scrape = {"job_name": "synthetic", "honor_labels": True,
              "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}  # fmt: skip
    every, scrape_every = f"{INTERVAL:.0f}s", f"{SCRAPE_INTERVAL:.0f}s"
    with PrometheusProcess(rules, [scrape], evaluation_interval=every,
                           scrape_interval=scrape_every, workdir=workdir,
                           extra_args=extra) as prometheus:  # fmt: skip
        run = measure(prometheus, cycles)
        if data is not None:  # after the measurement: the check reads 30 days of samples
            rule_cost_backfill.check_joined(prometheus.url, rules)
        return run


def target(count: int, origin: float) -> tuple[int, subprocess.Popen[bytes]]:
    """Start the synthetic target for the first `count` cases; (port, process)."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.rule_cost_series", "--serve", str(port),
            "--slos", str(count), "--origin", str(origin)]  # fmt: skip
    return port, child(argv)


def write_rules(root: Path, count: int) -> dict[str, Path]:
    """Both tools' rule files for the first `count` cases."""
    cases = specs.cases(count)
    folders = {tool: root / f"{tool}-{count}" for tool in CHOSEN_TOOLS}
    every = timedelta(seconds=INTERVAL)
    for tool in CHOSEN_TOOLS:
        if tool == "Sloth":
            sloth_rules(cases, folders[tool], sloth_binary())
        else:
            budgetwarden_rules(cases, folders[tool], only_burn_alerts=tool == BURN_ONLY,
                               evaluation_interval=every, pace=PACE)  # fmt: skip
    return folders


def alternate(
    folders: dict[str, Path], port: int, plan_: Plan, data: dict[str, Path] | None = None
) -> dict[str, list[Run]]:
    """`plan_.runs` runs per tool, the tools alternating; a progress line after each."""
    runs: dict[str, list[Run]] = {tool: [] for tool in CHOSEN_TOOLS}
    for number in range(plan_.runs):
        for tool in CHOSEN_TOOLS:
            run = one_run(folders[tool], port, plan_.cycles, data[tool] if data else None)
            runs[tool].append(run)
            print(f"  {tool} run {number + 1}: evaluation {statistics.median(run.evaluation):.3f}"
                  f" s/cycle, CPU {statistics.mean(run.cpu):.2f} s/cycle, "
                  f"{run.costs.rules} rules, {run.head_series:.0f} head series, "
                  f"load {statistics.median(run.loads):.1f}", flush=True)  # fmt: skip
    return runs


def fresh_scenario(root: Path, plan_: Plan) -> dict[int, dict[str, list[Run]]]:
    """Scenario 1: an empty TSDB per run, every size; each size's tables once it is done."""
    from bench.rule_cost_tables import print_costs, print_scenario

    results = {}
    for size in plan_.sizes:
        print(f"fresh TSDB, {size:,} SLOs: generating rules", flush=True)
        folders = write_rules(root, size)
        port, process = target(size, time.time() - 60)
        try:
            results[size] = alternate(folders, port, plan_)
        finally:
            stop(process)
        print_scenario(FRESH_TITLE, {size: results[size]}, plan_)
        print_costs("fresh TSDB", {size: results[size]})
    return results


def backfilled_scenario(root: Path, plan_: Plan) -> dict[int, dict[str, list[Run]]]:
    """Scenario 2: 30 days of history under every run."""
    size = plan_.backfill_slos
    folders = write_rules(root, size)
    history = rule_cost_backfill.history()
    data = {
        tool: rule_cost_backfill.build(root, size, folders[tool], history, tool)
        for tool in CHOSEN_TOOLS
    }
    port, process = target(size, history.start)
    try:
        return {size: alternate(folders, port, plan_, data)}
    finally:
        stop(process)


def main() -> int:
    """Run the scenarios and print a table for each, and where each tool's time goes."""
    from bench.rule_cost_tables import print_costs, print_scenario

    plan_ = plan()
    print(f"{plan_.runs} run(s) per tool and size, {plan_.cycles} cycles of {INTERVAL:.0f} s each,"
          f" scrape every {SCRAPE_INTERVAL:.0f} s")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-rule-cost-") as folder:
        if "fresh" in plan_.scenarios:
            fresh = fresh_scenario(Path(folder) / "fresh", plan_)
            if len(fresh) > 1:  # each size was printed as it finished; now side by side
                print_scenario(FRESH_TITLE, fresh, plan_)
        if "backfilled" in plan_.scenarios:
            backfilled = backfilled_scenario(Path(folder) / "backfilled", plan_)
            step = rule_cost_backfill.STEP_TEXT
            title = f"Rule cost over 30 days of backfilled history ({step} step)"
            print_scenario(title, backfilled, plan_)
            print_costs("30 days of history", backfilled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
