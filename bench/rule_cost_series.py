"""The raw series the rule-cost benchmark's SLOs read: served live, and written as history.

Used by bench.rule_cost. The shapes are bench.poll_cycle's synthetic target (request counters per
handler with 200 and 500 codes, a latency histogram and an `up` gauge per job), but only the
series some SLO reads, and with errors and slow requests far inside every objective: one request
in a million fails or is slow, a burn rate of 0.01 for the strictest objective (99.99 %), so no
alert fires and neither tool pays for ALERTS series the other does not have.

Counters grow at a fixed rate from an origin (epoch seconds), so the live target continues the
backfilled history without a reset. `python -m bench.rule_cost_series --serve PORT --slos N
--origin T` is the target, a separate process so its CPU is not the benchmark's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bench import specs
from bench._stack import serve_exposition

REQUESTS_PER_SECOND = 10.0
ERROR_SHARE = 1e-6
# Share of requests above each bucket bound (every threshold bench.specs uses).
SLOW_SHARES = (("0.1", 1e-6), ("0.25", 8e-7), ("0.3", 6e-7), ("0.5", 4e-7), ("1", 2e-7))


@dataclass(frozen=True)
class Series:
    """One raw series: a counter growing at `value` per second, or a gauge holding `value`."""

    name: str
    labels: str  # rendered, without braces
    value: float
    counter: bool

    def at(self, seconds: float) -> float:
        """The sample `seconds` after the origin."""
        return self.value * seconds if self.counter else self.value


def raw_series(cases: Iterable[specs.SLOCase]) -> list[Series]:
    """Every series the cases read, grouped by metric name (OpenMetrics wants families whole)."""
    found: dict[tuple[str, str], Series] = {}
    for case in cases:
        for series in _case_series(case):
            found.setdefault((series.name, series.labels), series)
    return sorted(found.values(), key=lambda s: (s.name, s.labels))


def _case_series(case: specs.SLOCase) -> list[Series]:
    if case.kind in ("errors", "good"):
        labels = f'job="{case.job}",handler="/api/{case.index}"'
        bad = REQUESTS_PER_SECOND * ERROR_SHARE
        return [
            Series("http_requests_total", f'{labels},code="200"', REQUESTS_PER_SECOND - bad, True),
            Series("http_requests_total", f'{labels},code="500"', bad, True),
        ]
    if case.kind == "latency":
        name = "http_request_duration_seconds_bucket"
        buckets = [(bound, 1 - slow) for bound, slow in SLOW_SHARES] + [("+Inf", 1.0)]
        return [
            Series(name, f'job="{case.job}",le="{bound}"', REQUESTS_PER_SECOND * share, True)
            for bound, share in buckets
        ]
    return [Series("up", f'job="{case.job}"', 1.0, False)]


def exposition(series: list[Series], seconds: float) -> str:
    """The text format of every series, `seconds` after the origin."""
    return "".join(f"{s.name}{{{s.labels}}} {s.at(seconds)}\n" for s in series)


def serve(port: int, count: int, origin: float) -> None:
    """Serve /metrics for the first `count` cases until killed."""
    series = raw_series(specs.cases(count))

    serve_exposition(port, lambda: exposition(series, time.time() - origin))


# --- history, for promtool tsdb create-blocks-from openmetrics ---------------------------------
@dataclass(frozen=True)
class History:
    """Samples every `step` seconds from `start` to `end` (epoch seconds, end excluded)."""

    start: int
    end: int
    step: int

    def times(self) -> range:
        """The sample timestamps."""
        return range(self.start, self.end, self.step)


def write_raw(out: TextIO, series: list[Series], history: History) -> int:
    """The raw series' samples, the counters counted from history.start; lines written."""
    lines = 0
    for s in series:
        head = f"{s.name}{{{s.labels}}} "
        out.write("".join(f"{head}{s.at(t - history.start)} {t}\n" for t in history.times()))
        lines += len(history.times())
    return lines


def write_recorded(
    out: TextIO, recorded: list[tuple[str, dict[str, str], float]], history: History
) -> int:
    """Recorded series (metric, labels, value) as constant samples, by metric; lines written."""
    lines = 0
    for name, labels, value in sorted(recorded, key=lambda r: r[0]):
        rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
        head = f"{name}{{{rendered}}} {value} "
        out.write("".join(f"{head}{t}\n" for t in history.times()))
        lines += len(history.times())
    return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def openmetrics_file(
    path: Path,
    series: list[Series],
    recorded: list[tuple[str, dict[str, str], float]],
    history: History,
) -> int:
    """Raw and recorded history in one file (one block set, nothing overlapping); lines."""
    with path.open("w") as out:
        lines = write_raw(out, series, history) + write_recorded(out, recorded, history)
        out.write("# EOF\n")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, metavar="PORT", required=True)
    parser.add_argument("--slos", type=int, required=True)
    parser.add_argument("--origin", type=float, required=True, help="epoch seconds")
    options = parser.parse_args()
    serve(options.serve, options.slos, options.origin)
