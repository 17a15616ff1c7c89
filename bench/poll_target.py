"""The synthetic scrape target of bench.poll_cycle: the raw series its SLOs read.

Run as `python -m bench.poll_target PORT COUNT` (a process of its own, so serving scrapes does not
share a GIL with the measured read). It exposes, for the first COUNT SLOs of bench.specs, request
counters per handler with 200 and 500 codes, a latency histogram and an `up` gauge per job, grown
at REQUESTS_PER_SECOND with ERROR_SHARE errors since start.
"""

from __future__ import annotations

import sys
import time

from bench import specs
from bench._stack import serve_exposition

REQUESTS_PER_SECOND = 10.0
ERROR_SHARE = 0.001
# Share of requests at or below each bucket bound of the synthetic histogram.
BUCKETS = (("0.1", 0.90), ("0.25", 0.97), ("0.3", 0.98), ("0.5", 0.99), ("1", 0.999))


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


def serve(port: int, count: int) -> None:
    """Serve /metrics for the first `count` cases until killed."""
    cases, started = specs.cases(count), time.monotonic()

    serve_exposition(port, lambda: exposition(cases, time.monotonic() - started + 60))


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
