"""What the generated rules take of Prometheus' memory just by being loaded, against Sloth's.

bench.rule_cost measures Prometheus' RSS while it evaluates each tool's rules; this measures
the part of it that is the rules themselves: each parsed expression, its label matchers, the
labels and annotations of every rule, and the per-rule state of the rule manager. The same
three sets of rule files for the same SLOs (budgetwarden's as generated, budgetwarden's with
only the page and ticket alerts, Sloth v0.16.0's; bench.rule_cost_rules) are loaded one at a
time into Debian's Prometheus 2.42 with no scrape target and every group's interval set to a
day, so nothing is evaluated and nothing is stored; then the Go heap is collected (pprof's
`gc=1`) and `go_memstats_alloc_bytes` read, the bytes live on the heap. An empty rule folder
gives what Prometheus holds without rules, which every row leaves out. The text columns are
the lengths of the expressions and of the labels and annotations (names and values) in the
files. The size comes from $BUDGETWARDEN_BENCH_SLOS (the largest; 1,000 by default).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench import specs
from bench._stack import load_average
from bench.report import print_table
from bench.rule_cost import BURN_ONLY, TOOLS
from bench.rule_cost_probe import fetch
from bench.rule_cost_rules import budgetwarden_rules, sloth_binary, sloth_rules
from budgetwarden_dev.devenv import PrometheusProcess

SLOS = max(specs.sizes((1000,)))
NO_RULES = "no rules"
SETTLE_SECONDS = 5.0  # after the rules are loaded, before the heap is read
COLLECTIONS = 3  # forced, one after the other: finalizers free more on the second


@dataclass(frozen=True)
class Loaded:
    """One rule set as loaded: its rules, their text, and the heap they leave."""

    rules: int
    alerts: int
    expression_bytes: int
    label_bytes: int  # labels and annotations, names and values
    heap_bytes: float


def idle(folder: Path) -> None:
    """Every group of the files in `folder` evaluated once a day: loaded, never run here."""
    for path in folder.iterdir():
        path.write_text(re.sub(r"(?m)^(\s*interval:) \S+$", r"\1 24h", path.read_text()))


def text_sizes(folder: Path) -> tuple[int, int, int, int]:
    """Rules, alerts, and the bytes of their expressions and of their labels and annotations."""
    rules = alerts = expressions = labels = 0
    for path in folder.iterdir():
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        groups = document.get("groups") or document.get("spec", {}).get("groups") or []
        for rule in (rule for group in groups for rule in group["rules"]):
            rules, alerts = rules + 1, alerts + ("alert" in rule)
            expressions += len(rule["expr"])
            pairs = {**(rule.get("labels") or {}), **(rule.get("annotations") or {})}
            labels += sum(len(name) + len(str(value)) for name, value in pairs.items())
    return rules, alerts, expressions, labels


def live_heap(url: str) -> float:
    """Bytes live on Prometheus' heap after forced collections."""
    for _ in range(COLLECTIONS):
        fetch(f"{url}/debug/pprof/heap?gc=1")
    metrics = fetch(f"{url}/metrics").decode()
    found = re.search(r"(?m)^go_memstats_alloc_bytes (\S+)$", metrics)
    if found is None:
        raise SystemExit("Prometheus' /metrics has no go_memstats_alloc_bytes")
    return float(found.group(1))


def load(folder: Path) -> Loaded:
    """Start Prometheus on the rules in `folder` and read what they hold once loaded."""
    rules, alerts, expressions, labels = text_sizes(folder)
    with PrometheusProcess(folder, [], evaluation_interval="24h") as prometheus:
        time.sleep(SETTLE_SECONDS)
        return Loaded(rules, alerts, expressions, labels, live_heap(prometheus.url))


def mib(value: float) -> str:
    return f"{value / 2**20:.1f}"


def main() -> int:
    """Write the three rule sets, load each in turn, print the table."""
    cases = specs.cases(SLOS)
    with tempfile.TemporaryDirectory(prefix="bench-rule-memory-") as root:
        folders = {tool: Path(root) / tool.replace(" ", "-") for tool in (*TOOLS, NO_RULES)}
        budgetwarden_rules(cases, folders["budgetwarden"])
        budgetwarden_rules(cases, folders[BURN_ONLY], only_burn_alerts=True)
        sloth_rules(cases, folders["Sloth"], sloth_binary())
        folders[NO_RULES].mkdir()
        for folder in folders.values():
            idle(folder)
        loaded = {tool: load(folder) for tool, folder in folders.items()}
    base = loaded.pop(NO_RULES).heap_bytes
    sloth = loaded["Sloth"].heap_bytes - base
    rows = []
    for tool, run in loaded.items():
        held = run.heap_bytes - base
        rows.append([
            f"{SLOS:,}", tool, f"{run.rules:,}", f"{run.alerts:,}", mib(run.expression_bytes),
            mib(run.label_bytes), mib(held), f"{held / run.rules / 1024:.2f}",
            f"{held / sloth:.2f}",
        ])  # fmt: skip
    print_table(
        f"The rules loaded, not evaluated: Prometheus 2.42's live heap with each set of rules "
        f"(less {mib(base)} MiB without rules), after forced collections",
        ["SLOs", "tool", "rules", "alerts", "expressions MiB", "labels+annotations MiB",
         "heap held MiB", "KiB per rule", "/Sloth"],
        rows,
    )  # fmt: skip
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
