"""Admission latency: the webhook as the operator serves it, under a fixed request rate.

Runs the local control plane and `budgetwarden run` with its admission webhook on (TLS, the
serving certificate from devenv.certs), without Prometheus, so the freeze the benchmark writes
into the payments policy's status (FullFreeze, holding Rollout checkout) stays as written and is
what the webhook's cached view answers from. A load generator in a second process (this module
run with `--load`, aiohttp on loopback, keep-alive connections as the API server keeps them)
sends AdmissionReviews at a fixed rate, open loop: half are new images for the Rollout (denied),
half are scale changes (allowed), built from the Rollout as the API server stores it. The load
starts once the webhook's /readyz answers 200 (the chart's readiness probe), as an API server
sends reviews only to a ready replica; how long after it started serving that was is printed.

Latency is counted two ways: from the moment a request was sent until its answer was read (what
kube-apiserver would wait), and from the moment it was due (also counting how late the load
generator itself sent it: on two busy cores, its own scheduling delays show up here). A rate is
held when the requests went out at that rate (95 % or more), every answer was the expected one,
and p99 from sending is under 10 ms.
200 requests/s runs for 20 s, then the rate doubles, 10 s a step, until one is not held; two
more steps bisect between the last rate held and that one. Then 200 requests/s again, beside a
burst of junk each time (bench/admission_burst.py): a second table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._stack import OperatorProcess, control_plane, load_average, percentile
from bench.admission_burst import HEADERS, RATE, burst_rows
from bench.admission_setup import (
    NAMESPACE,
    POLICIES,
    SLOS,
    bodies,
    freeze,
    populate,
    rollout,
)
from bench.report import print_table
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv import ControlPlane
from budgetwarden_dev.devenv.certs import ServingCert, write_serving_cert
from budgetwarden_dev.devenv.processes import free_port

STEPS = ((200, 20), (400, 10), (800, 10), (1600, 10), (3200, 10), (6400, 10))  # (rate, seconds)
P99_LIMIT_MS = 10.0
BISECTIONS = 2  # rates tried between the last held step and the first not held
CONNECTIONS = 16


# --- the load generator (second process) -------------------------------------------------------
async def _one(session: Any, url: str, body: bytes, due: float) -> tuple[float, float, bool]:
    loop = asyncio.get_running_loop()
    sent = loop.time()
    async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
        answer = await r.read()
        if r.status != 200:
            raise SystemExit(f"HTTP {r.status}: {answer[:200]!r}")
    done = loop.time()
    return done - due, done - sent, b'"allowed":false' in answer


async def generate(url: str, ca: str, rate: int, seconds: int, bodies: list[bytes]) -> dict:
    """Send rate*seconds requests, request i due at start + i/rate; the measurements."""
    import aiohttp

    context = ssl.create_default_context(cafile=ca)
    connector = aiohttp.TCPConnector(ssl=context, limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(_one(session, url, bodies[0], 0.0) for _ in range(CONNECTIONS)))
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        tasks = []
        for i in range(rate * seconds):
            due = start + i / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(_one(session, url, bodies[i % len(bodies)], due)))
        sent_for = loop.time() - start
        results = await asyncio.gather(*tasks)
    return {
        "due": [r[0] for r in results],
        "sent": [r[1] for r in results],
        "denied": [r[2] for r in results],
        "sent_for": sent_for,
    }


def run_load(args: argparse.Namespace) -> None:
    """The `--load` entry point: read bodies from a file, print the measurements as JSON."""
    bodies = [json.dumps(b).encode() for b in json.loads(Path(args.bodies).read_text())]
    result = asyncio.run(generate(args.load, args.ca, args.rate, args.seconds, bodies))
    print(json.dumps(result))


# --- the measurement ---------------------------------------------------------------------------
def post(url: str, ca: Path, body: dict[str, Any]) -> dict[str, Any]:
    """One AdmissionReview from this process (for the readiness check)."""
    import urllib.request

    context = ssl.create_default_context(cafile=str(ca))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=5) as answer:
        return dict(json.loads(answer.read()))


def wait_denied(url: str, certs: ServingCert, body: dict[str, Any], operator: Any) -> str:
    """Block until the webhook denies `body` (the freeze is cached); the denial message."""
    deadline = time.monotonic() + 600  # the webhook listens once every object is in memory
    while time.monotonic() < deadline:
        if operator.process.poll() is not None:
            break
        try:
            response = post(url, certs.ca, body)["response"]
            if response["allowed"] is False:
                return str(response["status"]["message"])
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the webhook never denied a new image:\n{operator.tail()}")


def wait_ready(port: int, operator: Any) -> None:
    """Block until /readyz answers 200: from then on the Service would send it reviews."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 120  # the operator's own wait ends after 60 s
    while time.monotonic() < deadline and operator.process.poll() is None:
        try:
            with opener.open(f"http://127.0.0.1:{port}{c.PATH_READYZ}", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"the webhook never reported ready:\n{operator.tail()}")


def step(
    url: str, certs: ServingCert, path: Path, operator: OperatorProcess, rate: int, seconds: int
) -> tuple[list[str], bool]:
    """One rate: run the load generator, summarise; (table row, held)."""
    argv = [sys.executable, "-m", "bench.admission_latency", "--load", url, "--ca", str(certs.ca),
            "--bodies", str(path), "--rate", str(rate), "--seconds", str(seconds)]  # fmt: skip
    cpu = operator.cpu_seconds()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds * 10 + 60)
    if out.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{out.stderr[-2000:]}")
    busy = operator.cpu_seconds() - cpu
    result = json.loads(out.stdout)
    count = len(result["due"])
    achieved = count / max(result["sent_for"], 1e-9)
    due = [s * 1000 for s in result["due"]]
    sent = [s * 1000 for s in result["sent"]]
    right = all(denied == (i % 2 == 0) for i, denied in enumerate(result["denied"]))
    held = achieved >= 0.95 * rate and percentile(sent, 0.99) < P99_LIMIT_MS and right
    return [
        f"{rate}/s", f"{achieved:.0f}/s", f"{count}",
        f"{statistics.median(due):.1f} ms", f"{percentile(due, 0.99):.1f} ms", f"{max(due):.1f} ms",
        f"{statistics.median(sent):.1f} ms", f"{percentile(sent, 0.99):.1f} ms",
        f"{100 * busy / seconds:.0f} %", "yes" if right else "NO", "yes" if held else "no",
        slow_spells(sent, rate), load_average(),
    ], held  # fmt: skip


def slow_spells(sent_ms: list[float], rate: int, most: int = 3) -> str:
    """When in the step the answers over P99_LIMIT_MS were due, as spells of seconds: a p99 made
    by one stall of the server reads differently from one made by steady slowness."""
    slow = [i / rate for i, ms in enumerate(sent_ms) if ms >= P99_LIMIT_MS]
    spells: list[list[float]] = []
    for at in slow:
        if spells and at - spells[-1][-1] <= 0.5:
            spells[-1].append(at)
        else:
            spells.append([at])
    shown = [f"{s[0]:.1f}-{s[-1]:.1f} s ({len(s)})" for s in spells[:most]]
    return ", ".join(shown + ([f"+{len(spells) - most} more"] if len(spells) > most else [])) or "-"


def rate_steps(run: Callable[[int, int], tuple[list[str], bool]]) -> list[list[str]]:
    """Double the rate from 200/s until one is not held, then bisect; one row per rate."""
    rows, good, bad = [], 0, 0
    for rate, seconds in STEPS:
        row, held = run(rate, seconds)
        rows.append(row)
        good, bad = (rate, bad) if held else (good, rate)
        if not held:
            break
    for _ in range(BISECTIONS if bad else 0):  # narrow down between held and not held
        rate = (good + bad) // 2
        row, held = run(rate, STEPS[-1][1])
        rows.append(row)
        good, bad = (rate, bad) if held else (good, rate)
    return rows


def measure(plane: ControlPlane, folder: Path) -> tuple[list[list[str]], list[list[str]], str]:
    """Freeze, fill the namespace, start the operator with its webhook, step the rate up, then
    beside junk; the rows of both tables and the denial."""
    plane.kubectl("create", "namespace", NAMESPACE)
    plane.kubectl("apply", "-f", "-", input=json.dumps(rollout()))
    stored = json.loads(plane.kubectl("get", "rollout", "checkout", "-n", NAMESPACE,
                                      "-o", "json").stdout)  # fmt: skip
    freeze(plane, stored)
    populate(plane, folder)
    path = folder / "bodies.json"
    reviews = bodies(stored)
    path.write_text(json.dumps(reviews))
    certs = write_serving_cert(folder / "certs")
    port = free_port()
    env = {"BUDGETWARDEN_WEBHOOK_ADDRESS": f"127.0.0.1:{port}", "BUDGETWARDEN_WEBHOOK_CERT":
           str(certs.cert), "BUDGETWARDEN_WEBHOOK_KEY": str(certs.key)}  # fmt: skip
    os.environ.pop("BUDGETWARDEN_PROMETHEUS_URL", None)  # the freeze comes from us, not a poll
    # The chart's webhook container: the webhook from its own watches, no handlers beside it.
    ready_port = free_port()  # the chart's webhook-ready port: its readiness probe
    args = ["--namespace", NAMESPACE, "--metrics-port", str(ready_port), "--role", "admission"]
    operator = OperatorProcess(plane.kubeconfig, args, folder / "operator.log", env)
    url = f"https://127.0.0.1:{port}{c.PATH_VALIDATE_WORKLOADS}"
    try:
        started = time.monotonic()
        denial = wait_denied(url, certs, reviews[0], operator)
        serving = time.monotonic()
        print(f"webhook serving {serving - started:.0f} s after the process was live, "
              f"RSS {operator.status('VmRSS') // 1024} MB", flush=True)  # fmt: skip
        # As an API server would: reviews go to a replica once its readiness probe passes
        wait_ready(ready_port, operator)
        print(f"ready {time.monotonic() - serving:.1f} s after serving", flush=True)
        rows = rate_steps(lambda r, s: step(url, certs, path, operator, r, s))
        burst = burst_rows(
            url, certs.ca, operator, lambda r, s: step(url, certs, path, operator, r, s)
        )
    finally:
        operator.stop()
    return rows, burst, denial


def main() -> int:
    """Run the steps and print the table."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-admission-") as tmp, control_plane() as plane:
        rows, burst, denial = measure(plane, Path(tmp))
    print(f"denial sent for a new image: {denial[:110]}...")
    print_table(
        f"Admission webhook in `budgetwarden run` (TLS, cached FullFreeze) holding {SLOS:,} SLOs "
        f"and {POLICIES + 1:,} ErrorBudgetPolicies, half denied new images, half allowed scale "
        f"changes, open-loop load from a second process, {CONNECTIONS} keep-alive connections; "
        f"load {load:.1f} on {os.cpu_count()} CPUs before",
        ["rate", "sent at", "requests", "p50 from due", "p99 from due", "max from due",
         "p50 from send", "p99 from send", "operator CPU", "answers right", "held",
         f"over {P99_LIMIT_MS:.0f} ms, due at (count)", "machine"],
        rows,
    )  # fmt: skip
    print_table(f"The same webhook, {RATE} valid reviews/s (half denied) beside junk on its own "
                f"connections, from a third process; {load_average()} after",
                HEADERS, burst)  # fmt: skip
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", metavar="URL", help="be the load generator for URL")
    parser.add_argument("--ca", help="CA file of the webhook's certificate")
    parser.add_argument("--bodies", help="JSON list of AdmissionReviews, sent in turn")
    parser.add_argument("--rate", type=int, default=200, help="requests per second")
    parser.add_argument("--seconds", type=int, default=20, help="how long")
    options = parser.parse_args()
    if options.load:
        run_load(options)
        sys.exit(0)
    sys.exit(main())
