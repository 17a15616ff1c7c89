"""A healthy past for a fresh Prometheus: raw counters and an SLO's base rates, backfilled.

A new Prometheus has minutes of data, so an SLO's period budget over a day would be computed
over those minutes: tiny and jumpy. The demo stack and the end-to-end tests call `backfill`
before the Prometheus they query starts, so the budget is computed over a whole window:

1. Raw history: `http_requests_total` and the `http_request_duration_seconds` histogram of the
   demo service's job and instance at a steady load, error rate and latency, written as
   OpenMetrics and turned into TSDB blocks with `promtool tsdb create-blocks-from
   openmetrics`. The series have the labels the live scrape will have, so the live service
   continues them; its counters start again from zero, which Prometheus reads as a restart
   (rate() counts across a reset).
2. Recorded history: each SLO's two base-rate recording rules (errors and total over 5m, the
   series the period budget sums) evaluated over the raw history by
   `promtool tsdb create-blocks-from rules` against a short-lived Prometheus. Only these two:
   every other recorded series is either computed from raw data over its own window or from
   these sums, and promtool cannot backfill rules that read rules it is backfilling.
   They are evaluated at the rule group's own interval, because `sum_over_time` weighs every
   sample alike: history at another spacing would weigh a past minute unlike a live one.

The history ends before the live data begins, so blocks never overlap the head.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO
from budgetwarden.core.slo.windows import BASE_RATE_WINDOW
from budgetwarden_dev.demo.service import LATENCY_BUCKETS
from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

# Spacing of the raw samples: a fifth of the shortest rate window any backfilled rule reads.
RAW_STEP = timedelta(seconds=5)
HANDLER = "/work"  # the path the demo service's load generator calls
# What every past request took, in seconds: the demo's 10ms (±20 %) falls within the 0.025
# bucket; the 300ms of the latency SLO is far above it either way.
HISTORY_LATENCY = 0.025
_BASE_RATES = (c.METRIC_ERRORS_RATE, c.METRIC_TOTAL_RATE)


@dataclass(frozen=True)
class History:
    """A steady past: `length` of traffic at `load_rps` and `error_rate`, ending at `end`."""

    end: datetime
    length: timedelta
    load_rps: int
    error_rate: Decimal
    job: str
    instance: str

    @property
    def start(self) -> datetime:
        """Where the recorded history starts (the raw history starts one rate window earlier)."""
        return self.end - self.length

    @property
    def requests(self) -> int:
        """How many requests the history holds over `length`."""
        return int(self.load_rps * self.length.total_seconds())


def openmetrics(history: History, step: timedelta = RAW_STEP) -> Iterator[str]:
    """The raw history as OpenMetrics text lines, `# EOF` last: the requests counter, and the
    latency histogram with every request in the bucket of HISTORY_LATENCY."""
    yield "# HELP http_requests Requests served by the demo service."
    yield "# TYPE http_requests counter"
    for code in ("200", "500"):
        for at, count in _counts(history, code, step):
            yield f"http_requests_total{{{_labels(history, code)}}} {count} {at}"
    yield "# HELP http_request_duration_seconds Time to answer traffic requests."
    yield "# TYPE http_request_duration_seconds histogram"
    for code in ("200", "500"):
        labels = _labels(history, code)
        for bound in (*(str(b) for b in LATENCY_BUCKETS), "+Inf"):
            fast = bound == "+Inf" or float(bound) >= HISTORY_LATENCY
            for at, count in _counts(history, code, step):
                name = f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}}'
                yield f"{name} {count if fast else 0} {at}"
        for at, count in _counts(history, code, step):
            yield f"http_request_duration_seconds_count{{{labels}}} {count} {at}"
    yield "# EOF"


def _labels(history: History, code: str) -> str:
    return f'code="{code}",handler="{HANDLER}",instance="{history.instance}",job="{history.job}"'


def _counts(history: History, code: str, step: timedelta) -> Iterator[tuple[int, int]]:
    """(timestamp, requests answered with `code` so far) every `step` of the raw history."""
    first = int((history.start - BASE_RATE_WINDOW).timestamp())
    for at in range(first, int(history.end.timestamp()) + 1, int(step.total_seconds())):
        served = history.load_rps * (at - first)
        # the demo service's "exact" mode: after n requests exactly floor(n × rate) failed
        failed = int((served * history.error_rate).to_integral_value(ROUND_FLOOR))
        yield at, failed if code == "500" else served - failed


def base_rate_rules(slo: SLO, options: RuleOptions) -> dict[str, Any]:
    """A rule file with the SLO's errors and total 5m rates, as the operator generates them."""
    sli = build_rule_groups(slo, options)[0]
    rules = [rule for rule in sli["rules"] if rule.get("record") in _BASE_RATES]
    return {"groups": [{"name": f"{sli['name']}-backfill", "interval": sli["interval"],
                        "rules": rules}]}  # fmt: skip


def backfill(
    data_dir: Path, history: History, slos: list[SLO], options: RuleOptions, workdir: Path
) -> None:
    """Write raw and recorded history as TSDB blocks into `data_dir` (before Prometheus starts)."""
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    raw = workdir / "history.om"
    with raw.open("w") as out:
        out.writelines(f"{line}\n" for line in openmetrics(history))
    _promtool("create-blocks-from", "openmetrics", str(raw), str(data_dir))
    raw.unlink()
    rule_files = [workdir / f"backfill-{index}.yaml" for index in range(len(slos))]
    for path, slo in zip(rule_files, slos, strict=True):
        path.write_text(yaml.safe_dump(base_rate_rules(slo, options), sort_keys=False))
    # promtool evaluates the rules through the HTTP API, so a Prometheus must serve the raw
    # history; it gets a copy, so the real one later opens blocks nobody else has touched.
    reader = PrometheusProcess(workdir / "no-rules", workdir=workdir / "reader")
    shutil.copytree(data_dir, reader.workdir / "data")
    with reader:
        _promtool(
            "create-blocks-from", "rules", "--quiet",
            f"--start={_rfc3339(history.start)}", f"--end={_rfc3339(history.end)}",
            f"--url={reader.url}", f"--output-dir={data_dir}", *map(str, rule_files),
        )  # fmt: skip
    for path in rule_files:
        path.unlink()


def _promtool(*args: str) -> None:
    argv = [str(find_binary("promtool")), "tsdb", *args]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        raise DevEnvError(f"promtool tsdb {args[0]} {args[1]} failed:\n{result.stderr.strip()}")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
