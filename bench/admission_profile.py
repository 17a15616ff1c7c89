"""Admission's CPU per review, in one process, at the size bench.admission_latency serves.

The registry is filled the way the watch handlers fill it (`Registry.observe`, handlers/tracking.py)
with the objects bench/admission_setup.py creates: $BUDGETWARDEN_BENCH_SLOS SLOs (default 10,000),
one ErrorBudgetPolicy per ten SLOs (Unknown: no poller writes their status, as in the benchmark)
and examples/05's policy in FullFreeze holding Rollout checkout. The same two AdmissionReviews the
load generator sends (a new image, denied; a scale change, allowed) are then answered:
- by `decide` alone, by the route's reviewer (`Admission.workloads`: view lookup, decide, log,
  response), and by the body-to-body work a worker thread of the webhook server does (JSON
  decoded, judged, encoded), counted in process CPU time per review;
- by the webhook server itself over TLS (aiohttp, the Gate's threads) in this process, with
  bench.admission_latency's load generator in a second process sending 200 reviews/s on 16
  keep-alive connections: this process's CPU time per review answered is the server's.
Rows for examples/05's policy alone and for the full namespace. With --profile, the cProfile
functions taking the most cumulative time in the worker thread's work at the full size.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import itertools
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from bench import specs
from bench._stack import load_average
from bench.admission_setup import NAMESPACE, POLICIES, SLOS, bodies, policy_yaml, rollout
from bench.report import print_table
from budgetwarden.adapters.webhook_limits import Gate
from budgetwarden.adapters.webhook_server import ReloadingTLS, WebhookServer
from budgetwarden.core.freeze.admission import decide
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.admission import Admission
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import utcnow
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.certs import write_serving_cert
from budgetwarden_dev.devenv.processes import free_port

CALLS = 2000  # reviews per in-process row, alternating denied and allowed
SERVED_RATE, SERVED_SECONDS = 200, 10
_uids = itertools.count(1)


def stored(text: str) -> dict[str, Any]:
    """A manifest as the API server returns it: in the namespace, with a uid and version."""
    body = yaml.safe_load(text)
    number = next(_uids)
    body["metadata"] |= {"namespace": NAMESPACE, "uid": f"uid-{number}",
                         "resourceVersion": str(number), "generation": 1}  # fmt: skip
    return dict(body)


def frozen_payments() -> dict[str, Any]:
    """examples/05's policy with the FullFreeze bench.admission_setup.freeze records."""
    body = stored((repo_root() / "examples" / "05-policy.yaml").read_text())
    body["status"] = {
        "level": "FullFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-7c2e",
        "reason": "SLO checkout-availability has 8.2% error budget left",
        "slos": [{"name": "checkout-availability", "remainingPercent": "8.2",
                  "level": "FullFreeze"}],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": False,
                         "stableTemplate": template_digest(rollout()["spec"]["template"])}],
    }  # fmt: skip
    return body


def registry_of(slos: int, policies: int) -> tuple[Registry, float]:
    """The registry the watch events make; and the CPU seconds one SLO event cost it."""
    registry = Registry()
    registry.observe(c.PLURAL_POLICY, None, frozen_payments())
    for index in range(policies):
        registry.observe(c.PLURAL_POLICY, None, stored(policy_yaml(index)))
    documents = [stored(specs.budgetwarden_yaml(case)) for case in specs.cases(slos)]
    started = time.process_time()
    for body in documents:
        registry.observe(c.PLURAL_SLO, None, body)
    return registry, (time.process_time() - started) / max(slos, 1)


def per_call(work: Callable[[int], object], calls: int = CALLS) -> float:
    """CPU seconds per call of work(i), i = 0 .. calls-1."""
    started = time.process_time()
    for i in range(calls):
        work(i)
    return (time.process_time() - started) / calls


def worker_thread_work(admission: Admission, raw: list[bytes]) -> Callable[[int], object]:
    """What a worker thread does with body i % 2: decode, judge, encode (webhook_limits)."""

    def work(i: int) -> object:
        review = json.loads(raw[i % 2])
        return json.dumps(admission.workloads(review), separators=(",", ":"))

    return work


async def served(admission: Admission, reviews: list[dict[str, Any]], folder: Path) -> float:
    """This process's CPU seconds per review while its server answers the load generator."""
    certs = write_serving_cert(folder / "certs")
    (folder / "bodies.json").write_text(json.dumps(reviews))
    server = WebhookServer(
        admission.routes(), ReloadingTLS(certs.cert, certs.key), "127.0.0.1", free_port()
    )
    await server.start()
    url = f"https://127.0.0.1:{server.port}{c.PATH_VALIDATE_WORKLOADS}"
    argv = ["-m", "bench.admission_latency", "--load", url, "--ca", str(certs.ca), "--bodies",
            str(folder / "bodies.json"), "--rate", str(SERVED_RATE), "--seconds",
            str(SERVED_SECONDS)]  # fmt: skip
    started = time.process_time()
    try:
        load = await asyncio.create_subprocess_exec(sys.executable, *argv, stdout=-1, stderr=-1)
        out, err = await load.communicate()
    finally:
        busy = time.process_time() - started
        await server.stop()
    if load.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{err.decode()[-2000:]}")
    answered = len(json.loads(out)["sent"])
    return busy / answered


async def row(what: str, slos: int, policies: int, folder: Path) -> list[str]:
    """One table row: a namespace of `slos` SLOs and `policies` + 1 policies."""
    registry, per_slo_event = registry_of(slos, policies)
    admission = Admission(registry)  # built in the loop: its views are built on it
    reviews = bodies(rollout())
    raw = [json.dumps(review).encode() for review in reviews]
    view = admission.view(NAMESPACE)
    judged = per_call(lambda i: decide(reviews[i % 2], view, operator_username="", now=utcnow()))
    reviewed = per_call(lambda i: admission.workloads(reviews[i % 2]))
    worker = per_call(worker_thread_work(admission, raw))
    over_tls = await served(admission, reviews, folder / what.split()[0])
    return [what, f"{len(registry.policies):,}", f"{slos:,}", f"{judged * 1e3:.3f} ms",
            f"{reviewed * 1e3:.3f} ms", f"{worker * 1e3:.3f} ms", f"{over_tls * 1e3:.2f} ms",
            f"{per_slo_event * 1e3:.3f} ms" if slos else "-", load_average()]  # fmt: skip


def profile(top: int = 15) -> str:
    """cProfile of the worker thread's work at the full size: the costliest functions."""
    registry, _ = registry_of(0, POLICIES)
    admission = Admission(registry)
    work = worker_thread_work(admission, [json.dumps(r).encode() for r in bodies(rollout())])
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [work(i) for i in range(CALLS)])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _sizes() -> Iterator[tuple[str, int, int]]:
    yield "examples/05 alone", 0, 0
    yield f"{SLOS:,} SLOs", SLOS, POLICIES


async def measure(folder: Path) -> list[list[str]]:
    """Every row, one namespace size after the other."""
    return [await row(what, slos, policies, folder) for what, slos, policies in _sizes()]


def main() -> int:
    """Print the table (and, with --profile, the profile)."""
    with tempfile.TemporaryDirectory(prefix="bench-admission-profile-") as tmp:
        rows = asyncio.run(measure(Path(tmp)))
    print_table(
        f"Admission CPU per review in one process (time.process_time), half denied new images, "
        f"half allowed scale changes; {CALLS} reviews in process, {SERVED_RATE}/s for "
        f"{SERVED_SECONDS} s over TLS from a second process ({Gate.__name__}'s worker threads); "
        f"policies Unknown but examples/05's FullFreeze; Python {sys.version.split()[0]}, "
        f"pid {os.getpid()}",
        ["namespace", "policies", "SLOs", "decide", "reviewer", "decode+judge+encode",
         "served over TLS", "one SLO event", "machine"],
        rows,
    )  # fmt: skip
    if "--profile" in sys.argv:
        print(profile())
    return 0


if __name__ == "__main__":
    sys.exit(main())
