"""One poll of 10, 100 and 1,000 SLOs against a real Prometheus evaluating their real rules.

Setup: a synthetic target (this module run as `python -m bench.poll_cycle --serve PORT`, a
separate process) exposes the raw series the SLOs of bench.specs read: request counters per
handler with 200 and 500 codes, a latency histogram and an `up` gauge per job. Prometheus
(Debian's, devenv.PrometheusProcess) scrapes it every second with honor_labels, so the job
labels stay as exposed, and loads the rule files `rules-sync` would write for the SLOs
(build_prometheus_rule -> rule_file_content), evaluated every 30 s as by default. For each N
the rules of the first N SLOs are loaded and the benchmark waits until Prometheus has recorded
every one's budget and burn rates.

Then the poller's read path runs back to back, one cycle a second: the one query
(budget_query, through PrometheusReader), poll_result, and slo_status_patch for every SLO
carrying the status forward as the registry does; everything a poll does except the API
writes and policy decisions. Queries per cycle come from the reader's own counter.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from bench import specs
from bench._stack import child, cpu_seconds, load_average, percentile, stop
from bench.report import print_table
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.core.budget.reading import budget_query, poll_result
from budgetwarden.core.budget.slo_status import SLOPoll, slo_status_patch
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.kernel.wire import merge_apply
from budgetwarden.core.slo.rulefiles import desired_files
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden.core.slo.windows import burn_rate_windows, ratio_windows
from budgetwarden_dev.devenv import PrometheusProcess
from budgetwarden_dev.devenv.processes import free_port

SIZES = (10, 100, 1000)
CYCLES = 60  # per size, one a second
RULE_OPTIONS = RuleOptions(scrape_interval=timedelta(seconds=1))  # evaluated every 30s
# What the poller allows by default: three intervals of the slower of poll and evaluation.
MAX_AGE = 3 * max(timedelta(seconds=30), RULE_OPTIONS.evaluation_interval)
WAIT_FOR_SERIES = 300.0  # seconds for Prometheus to record every budget of one size
REQUESTS_PER_SECOND = 10.0
ERROR_SHARE = 0.001
# Share of requests at or below each bucket bound of the synthetic histogram.
BUCKETS = (("0.1", 0.90), ("0.25", 0.97), ("0.3", 0.98), ("0.5", 0.99), ("1", 0.999))


# --- the synthetic target ----------------------------------------------------------------------
def exposition(cases: list[specs.SLOCase], elapsed: float) -> str:
    """Every raw series the cases read, as counters grown for `elapsed` seconds."""
    lines = ["# TYPE http_requests_total counter"]
    total = REQUESTS_PER_SECOND * elapsed
    for case in cases:
        if case.kind in ("errors", "good"):
            labels = f'job="{case.job}",handler="/api/{case.index}"'
            lines.append(f'http_requests_total{{{labels},code="200"}} {total * (1 - ERROR_SHARE)}')
            lines.append(f'http_requests_total{{{labels},code="500"}} {total * ERROR_SHARE}')
    jobs = sorted({case.job for case in cases})
    lines.append("# TYPE http_request_duration_seconds histogram")
    for job in jobs:
        for bound, share in (*BUCKETS, ("+Inf", 1.0)):
            lines.append(f'http_request_duration_seconds_bucket{{job="{job}",le="{bound}"}} '
                         f"{total * share}")  # fmt: skip
        lines.append(f'http_request_duration_seconds_count{{job="{job}"}} {total}')
        lines.append(f'http_request_duration_seconds_sum{{job="{job}"}} {total * 0.05}')
    lines.append("# TYPE up gauge")
    lines.extend(f'up{{job="{job}"}} 1' for job in jobs)
    return "\n".join(lines) + "\n"


def serve(port: int) -> None:
    """Serve /metrics for every case until killed."""
    cases, started = specs.cases(max(SIZES)), time.monotonic()

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exposition(cases, time.monotonic() - started + 60).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Metrics).serve_forever()


# --- the measurement ---------------------------------------------------------------------------
def load_rules(slos: list[SLO], rules_dir: Path) -> None:
    """Write the rule file rules-sync would write for each SLO."""
    files = desired_files([build_prometheus_rule(slo, RULE_OPTIONS) for slo in slos])
    for name, content in files.items():
        (rules_dir / name).write_text(content)


def complete(reader: PrometheusReader, slos: list[SLO]) -> int:
    """How many of the SLOs have a recorded budget and every burn rate."""
    result = poll_result(reader.query(budget_query(MAX_AGE)), datetime.now(UTC))
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


def wait_recorded(reader: PrometheusReader, slos: list[SLO]) -> float:
    """Block until Prometheus recorded every SLO's budget; seconds waited."""
    start = time.monotonic()
    while (done := complete(reader, slos)) < len(slos):
        if time.monotonic() - start > WAIT_FOR_SERIES:
            raise SystemExit(f"only {done}/{len(slos)} SLOs recorded after {WAIT_FOR_SERIES}s")
        time.sleep(2)
    return time.monotonic() - start


def cycle(
    reader: PrometheusReader, slos: list[SLO], status: dict[SLORef, dict[str, Any]]
) -> tuple[float, float, int, int]:
    """One poll's read path: (seconds, of which the query, samples, status patches)."""
    start = time.perf_counter()
    now = datetime.now(UTC)
    samples = reader.query(budget_query(MAX_AGE))
    queried = time.perf_counter()
    result = poll_result(samples, now)
    patches = 0
    for slo in slos:
        ref = SLORef(slo.metadata.namespace, slo.metadata.name)
        poll = SLOPoll(result.snapshots.get(ref), None, now, MAX_AGE, generation=1)
        patch = slo_status_patch(status.get(ref), slo, poll)
        if patch is not None:
            status[ref] = merge_apply(status.get(ref) or {}, patch)
            patches += 1
    end = time.perf_counter()
    return end - start, queried - start, len(samples), patches


@dataclass(frozen=True)
class Cycle:
    """One poll's read path, timed."""

    seconds: float
    query_seconds: float  # the HTTP query, its JSON and the samples, in PrometheusReader
    samples: int
    patches: int
    queries: int


def cycles(reader: PrometheusReader, slos: list[SLO]) -> list[Cycle]:
    """CYCLES polls a second apart, the status carried from one to the next."""
    status: dict[SLORef, dict[str, Any]] = {}
    runs = []
    for _ in range(CYCLES):
        before = reader.queries_issued
        runs.append(Cycle(*cycle(reader, slos, status), reader.queries_issued - before))
        time.sleep(1)
    return runs


def row(size: int, waited: float, runs: list[Cycle], prometheus_cpu: float) -> list[str]:
    """One table row."""
    totals, queries = [r.seconds for r in runs], [r.query_seconds for r in runs]
    converts = [r.seconds - r.query_seconds for r in runs]
    wall = sum(totals) + len(runs)  # the cycles and the pauses between them

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    return [
        f"{size:,}", f"{waited:.0f} s", str(runs[-1].samples),
        ", ".join(str(q) for q in sorted({r.queries for r in runs})),
        ms(statistics.median(totals)), ms(percentile(totals, 0.95)),
        ms(statistics.median(queries)), ms(percentile(queries, 0.95)),
        ms(statistics.median(converts)),
        f"{runs[0].patches} / {statistics.median(r.patches for r in runs[1:]):.0f}",
        f"{100 * prometheus_cpu / wall:.0f} %", load_average(),
    ]  # fmt: skip


def measure(prometheus: PrometheusProcess, all_slos: list[SLO]) -> list[list[str]]:
    """Load each size's rules, wait for the series, run the polls; one row per size."""
    reader = PrometheusReader(PrometheusSettings(prometheus.url))
    assert prometheus.process is not None
    rows, loaded = [], 0
    for size in SIZES:
        load_rules(all_slos[loaded:size], prometheus.rules_dir)
        loaded = size
        prometheus.reload()
        waited = wait_recorded(reader, all_slos[:size])
        cpu = cpu_seconds(prometheus.process.pid)
        runs = cycles(reader, all_slos[:size])
        rows.append(row(size, waited, runs, cpu_seconds(prometheus.process.pid) - cpu))
    return rows


def main() -> int:
    """Start the target and Prometheus, measure every size, print the table."""
    slos = [parse_slo(yaml.safe_load(specs.budgetwarden_yaml(c))) for c in specs.cases(max(SIZES))]
    port = free_port()
    target = child([sys.executable, "-m", "bench.poll_cycle", "--serve", str(port)])
    scrape = {"job_name": "synthetic", "honor_labels": True, "scrape_interval": "1s",
              "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}  # fmt: skip
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-poll-cycle-") as tmp,
            PrometheusProcess(
                Path(tmp) / "rules", [scrape], evaluation_interval="30s"
            ) as prometheus,
        ):
            rows = measure(prometheus, slos)
    finally:
        stop(target)
    print_table(
        f"Poll read path against Prometheus {prometheus_version()} with the generated rules "
        f"(evaluated every 30 s), {CYCLES} cycles per size",
        ["SLOs", "recorded after", "samples", "queries/cycle", "cycle p50", "cycle p95",
         "query p50", "query p95", "rest p50", "status patches first/then", "Prometheus CPU",
         "machine"],
        rows,
    )  # fmt: skip
    return 0


def prometheus_version() -> str:
    """The version Prometheus reports, e.g. 2.42.0+ds."""
    from budgetwarden_dev.devenv.binaries import find_binary

    out = subprocess.run([str(find_binary("prometheus")), "--version"], capture_output=True)
    first = (out.stdout or out.stderr).decode().split()
    return first[2] if len(first) > 2 else "?"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help="be the synthetic target")
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
    sys.exit(main())
