"""The poll of 10,000 SLOs when a ruler evaluates their rules and the poll reads a query layer.

At 10,000 SLOs the rules are 233,000, more than two cores evaluate every 30 s (bench.poll_cycle
measures the poll against a Prometheus that evaluates them on the same two cores, where every
read waits behind them). Teams of that size run the rules on a ruler (Thanos Ruler, vmalert, a
Prometheus of their own) and read through Prometheus or Thanos Query. This measures that read:
a synthetic target serves the series the rules record for each SLO of bench.specs (budget left
and a burn rate per window of the SLO, labelled as the rules label them, about a tenth of the
SLOs' values changing at every scrape, as budgets move), Prometheus 3 scrapes it every 10 s with
the target's labels dropped, as a ruler writes them, and evaluates no rules. Then the two reads
of bench.poll_cycle take turns (bench.poll_turns): the values and the stale query, and the
operator's read with a lookback per query. Each cycle is the read, the snapshots and
slo_status_patch for every SLO, as in bench.poll_cycle. The size comes from
$BUDGETWARDEN_BENCH_SLOS (the largest is used; default 10,000).
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from bench import specs
from bench._stack import cpu_seconds, load_average, serve_exposition
from bench.poll_cycle import CYCLE_HEADERS, max_ages, pace, row, wait_recorded
from bench.poll_read import StaleQueryReader
from bench.poll_turns import Read, cycles
from bench.report import print_table
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.budget.slo_status import BudgetTerms
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden.core.slo.windows import burn_rate_windows, ratio_windows
from budgetwarden_dev.devenv import PrometheusProcess
from budgetwarden_dev.devenv.backends import backend_binaries
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.processes import free_port

SLOS = max(specs.sizes((10_000,)))
SCRAPE_SECONDS = 10
# Each SLO's values change once every this many scrapes, a different tenth of them each time.
CHANGE_EVERY = 10


class RecordedSeries:
    """The exposition of what the rules would record, a new turn at every scrape."""

    def __init__(self, slos: list[SLO]) -> None:
        self._slos = [
            (
                f'slo_namespace="{slo.metadata.namespace}",slo_name="{slo.metadata.name}",'
                f'slo_service="{slo.spec.service}"',
                [format_duration(w) for w in ratio_windows(burn_rate_windows(slo.spec.window))],
            )
            for slo in slos
        ]
        self._turns = itertools.count()

    def render(self) -> str:
        turn = next(self._turns)
        lines = []
        for index, (labels, windows) in enumerate(self._slos):
            phase = (turn + index) // CHANGE_EVERY
            left = ((index + 13 * phase) % 97 + 1) / 100
            lines.append(f"{c.METRIC_BUDGET_REMAINING}{{{labels}}} {left}")
            lines += [
                f'{c.METRIC_BURN_RATE}{{{labels},slo_window="{window}"}} '
                f"{((index + 7 * phase + offset) % 40) / 20}"
                for offset, window in enumerate(windows)
            ]
        return "\n".join(lines) + "\n"


def main() -> int:
    """Serve the series, let Prometheus 3 hold them, time the two reads in turns."""
    cases = specs.cases(SLOS)
    slos = [parse_slo(yaml.safe_load(specs.budgetwarden_yaml(case))) for case in cases]
    series = RecordedSeries(slos)
    port = free_port()
    threading.Thread(target=serve_exposition, args=(port, series.render), daemon=True).start()
    drop_target_labels = {"action": "labeldrop", "regex": "job|instance"}
    scrape = {"job_name": "ruler", "honor_labels": True,
              "scrape_interval": f"{SCRAPE_SECONDS}s",
              "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
              "metric_relabel_configs": [drop_target_labels]}  # fmt: skip
    binary = backend_binaries(repo_root())["prometheus3"]
    with (
        tempfile.TemporaryDirectory(prefix="bench-poll-apart-") as rules,
        PrometheusProcess(Path(rules), [scrape], binary=binary) as prometheus,
    ):
        settings = PrometheusSettings(prometheus.url, timeout_seconds=600)
        reads = [
            Read("values, then stale", StaleQueryReader(settings)),
            Read("values within the lookback", PrometheusReader(settings)),
        ]
        ages = max_ages(SLOS)
        waited = wait_recorded(reads[-1], slos, ages)
        time.sleep(SCRAPE_SECONDS + 1)  # a second scrape: the first changes nothing
        assert prometheus.process is not None
        cpu = cpu_seconds(prometheus.process.pid)
        started = time.monotonic()
        terms = [BudgetTerms.of(slo) for slo in slos]
        runs, same = cycles(reads, terms, ages, *pace(SLOS))
        busy = (cpu_seconds(prometheus.process.pid) - cpu) / (time.monotonic() - started)
    rows = [row(SLOS, read.name, waited, run, same) for read, run in zip(reads, runs, strict=True)]
    print_table(
        f"The poll with the rules on a ruler: Prometheus 3 holding the recorded series of "
        f"{SLOS:,} SLOs (scraped every {SCRAPE_SECONDS} s, about a tenth of the values new at "
        f"each scrape, no rules), the two reads taking turns; Prometheus CPU {busy:.0%} "
        f"during the cycles",
        CYCLE_HEADERS,
        rows,
    )
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
