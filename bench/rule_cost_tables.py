"""The rule-cost benchmark's tables: the comparison per scenario, and where the time goes.

Used by bench.rule_cost. Runs of one tool and size are pooled: the evaluation as the median over
every measured cycle of both runs (each group weighted by its share of a cycle), CPU as the
median of each run's mean over its cycles (a group evaluated every fifth cycle shows in one
cycle of five, which a median over cycles would leave out), end-of-run figures (head series,
RSS) averaged, the load average as the median of the reads with its range.
"""

from __future__ import annotations

import os
import statistics
from collections import defaultdict
from typing import TYPE_CHECKING

from bench.report import print_table

if TYPE_CHECKING:
    from bench.rule_cost import Plan, Run

HEADERS = ["SLOs", "tool", "rules", "evaluation/cycle p50", "per run", "CPU s/cycle mean",
           "head series", "RSS MiB", "ALERTS", "missed", "load (1 min)"]  # fmt: skip


def _pooled(runs: list[Run]) -> dict[str, float]:
    """The figures the ratio row compares."""
    return {
        "rules": float(runs[-1].costs.rules),
        "evaluation": statistics.median(v for r in runs for v in r.evaluation),
        "cpu": statistics.median(statistics.mean(r.cpu) for r in runs),
        "head": statistics.mean(r.head_series for r in runs),
        "rss": statistics.mean(r.rss_bytes for r in runs) / 2**20,
    }


def _row(size: int, tool: str, runs: list[Run]) -> list[str]:
    figures = _pooled(runs)
    loads = [v for r in runs for v in r.loads]
    return [
        f"{size:,}", tool, f"{figures['rules']:,.0f}", f"{figures['evaluation']:.3f} s",
        " / ".join(f"{statistics.median(r.evaluation):.3f}" for r in runs),
        f"{figures['cpu']:.2f} s", f"{figures['head']:,.0f}", f"{figures['rss']:,.0f}",
        " / ".join(f"{r.alerts:.0f}" for r in runs), f"{sum(r.missed for r in runs):.0f}",
        f"{statistics.median(loads):.1f} ({min(loads):.1f}-{max(loads):.1f}) "
        f"on {os.cpu_count()} CPUs",
    ]  # fmt: skip


def _ratio_row(size: int, tool: str, ours: list[Run], theirs: list[Run]) -> list[str]:
    a, b = _pooled(ours), _pooled(theirs)

    def ratio(key: str) -> str:
        return f"{a[key] / b[key]:.2f}" if b[key] else "-"

    return [f"{size:,}", f"{tool}/Sloth", ratio("rules"), ratio("evaluation"), "",
            ratio("cpu"), ratio("head"), ratio("rss"), "", "", ""]  # fmt: skip


def print_scenario(title: str, results: dict[int, dict[str, list[Run]]], plan: Plan) -> None:
    """One row per tool and size, then the ratio row for each size."""
    from bench.rule_cost import INTERVAL, PACE, SCRAPE_INTERVAL

    rows = []
    for size, by_tool in results.items():
        rows += [_row(size, tool, runs) for tool, runs in by_tool.items()]
        rows += [
            _ratio_row(size, tool, runs, by_tool["Sloth"])
            for tool, runs in by_tool.items()
            if tool != "Sloth" and "Sloth" in by_tool
        ]
    paced = (
        f" (budgetwarden's rules for {INTERVAL / PACE:.0f} s, every group {PACE}x slower)"
        if PACE > 1
        else ""
    )
    print_table(
        f"{title}: Prometheus 2.42, scrape every {SCRAPE_INTERVAL:.0f} s, evaluation every "
        f"{INTERVAL:.0f} s{paced}, "
        f"{plan.runs} run(s) x {plan.cycles} cycles per row",
        HEADERS,
        rows,
    )


def _kind_rows(
    seconds: dict[tuple[str, str], float], counts: dict[tuple[str, str], int]
) -> list[list[str]]:
    """Subtotals per group kind, then every rule, the costliest first."""
    total = sum(seconds.values()) or 1.0
    kinds: dict[str, float] = defaultdict(float)
    kind_counts: dict[str, int] = defaultdict(int)
    for (kind, _), value in seconds.items():
        kinds[kind] += value
        kind_counts[kind] += counts[(kind, _)]
    rows = [[f"{kind} (all)", "", f"{kind_counts[kind]:,}", f"{100 * value / total:.1f} %",
             f"{1e6 * value / kind_counts[kind]:.0f}"]
            for kind, value in sorted(kinds.items(), key=lambda kv: -kv[1])]  # fmt: skip
    for (kind, rule), value in sorted(seconds.items(), key=lambda kv: -kv[1]):
        rows.append([kind, rule, f"{counts[(kind, rule)]:,}", f"{100 * value / total:.1f} %",
                     f"{1e6 * value / counts[(kind, rule)]:.0f}"])  # fmt: skip
    return rows


def print_costs(scenario: str, results: dict[int, dict[str, list[Run]]]) -> None:
    """Where each tool's evaluation time goes at the largest size (last run, /api/v1/rules)."""
    size = max(results)
    for tool, runs in results[size].items():
        costs = runs[-1].costs
        total = sum(costs.seconds.values())
        print_table(
            f"Where {tool}'s evaluation time goes, {size:,} SLOs, {scenario} "
            f"(last evaluation of each rule, {total:.3f} s in all)",
            ["group kind", "rule [window]", "rules", "share", "µs per rule"],
            _kind_rows(costs.seconds, costs.counts),
        )
