"""30 days of history for the rule-cost benchmark's second scenario, written with promtool.

Used by bench.rule_cost. For each tool one OpenMetrics file holds the raw series of the SLOs
(identical for both tools: same series, values and timestamps) and the recorded series that
tool's rules read over a range (rule_cost_rules.ranged_recordings: budgetwarden's 5m error and
total rates under its 30d/28d/7d sums, Sloth's 5m error ratio under its 30d ratio). `promtool
tsdb create-blocks-from openmetrics` (Debian's, beside the Prometheus under test) turns it into
blocks; each run starts Prometheus on a copy, so every run has a fresh TSDB.

One sample every 5 minutes keeps the file to a few GB and the backfill to a few minutes for
1,000 SLOs. A real history evaluated every 30 s has ten times the samples, so this scenario's
30d sums read a tenth of the samples they would in production, on both sides alike.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

from bench import specs
from bench.rule_cost_probe import query_value
from bench.rule_cost_rules import ranged_recordings
from bench.rule_cost_series import History, openmetrics_file, raw_series
from budgetwarden_dev.devenv.binaries import find_binary

DAYS = 30
STEP = 300  # seconds between backfilled samples
STEP_TEXT = "5m"
# One block for the whole history (promtool's default is 2h blocks, and it re-reads the whole
# file once per block); a block this long is past every range Prometheus compacts into.
MAX_BLOCK = "744h"


def history() -> History:
    """The 30 days that end one step before now, aligned to the step."""
    end = int(time.time()) // STEP * STEP - STEP
    return History(start=end - DAYS * 86400, end=end, step=STEP)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(root: Path, count: int, rules: Path, span: History, tool: str) -> Path:
    """A TSDB folder holding the history for one tool's rules; prints what it took."""
    source, data = root / f"{tool}.om", root / f"{tool}-tsdb"
    started = time.monotonic()
    recorded = ranged_recordings(rules)
    raw = raw_series(specs.cases(count))
    lines = openmetrics_file(source, raw, recorded, span)
    written, text_bytes = time.monotonic() - started, source.stat().st_size
    promtool = str(find_binary("promtool"))
    argv = [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q",
            f"--max-block-duration={MAX_BLOCK}", str(source), str(data)]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True)
    source.unlink()
    print(f"backfill for {tool}, {count:,} SLOs: {len(raw):,} raw and {len(recorded):,} recorded "
          f"series, {DAYS} days every {STEP_TEXT}, {lines:,} samples; file "
          f"{text_bytes / 2**30:.2f} GiB written in {written:.0f} s, blocks "
          f"{_size(data) / 2**20:.0f} MiB by promtool in "
          f"{time.monotonic() - started - written:.0f} s", flush=True)  # fmt: skip
    return data


def check_joined(url: str, rules: Path) -> None:
    """Warn when a backfilled series does not carry the labels the live rules record: the long
    windows would then sum two series, or none."""
    expected = Counter(metric for metric, _, _ in ranged_recordings(rules))
    for metric, count in expected.items():
        found = query_value(url, f"count(last_over_time({metric}[{DAYS + 1}d]))")
        if found != count:
            print(f"  warning: {metric}: {found:.0f} series over {DAYS} days, expected {count}")
