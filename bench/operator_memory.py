"""Where the operator's memory per SLO goes: its own structures, then the whole running process.

Two measurements; the sizes come from $BUDGETWARDEN_BENCH_SLOS (bench.specs.sizes; by default
1,000 and 10,000):
1. For each size, in this process, with tracemalloc: the bytes per SLO of what budgetwarden
   keeps or builds for each SLO, from bodies shaped as the API server sends them after the
   handler and the poller wrote status (managedFields, kopf's annotations, conditions,
   errorBudget): the body itself (what kopf holds while an object's worker lives), a Registry
   entry, the parsed spec alone, the typed status alone, and the PrometheusRule body built from
   it.
2. The smallest size created on a real control plane, then `budgetwarden run` started (through
   this module with --probed, which adds a SIGUSR1 handler): when every SLO is polled, or after
   $BUDGETWARDEN_MEMORY_AT seconds (default 900), its RSS and a census of its heap: live objects
   by type, asyncio tasks by coroutine (kopf runs one worker per object with events to handle)
   and the watch events queued for them.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench import specs
from bench.report import print_table
from budgetwarden.core.budget.status_model import SLOStatus
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden.runtime.registry import Registry

SIZES = specs.sizes((1000, 10_000))
SNAPSHOT_VARIABLE = "BUDGETWARDEN_MEMORY_SNAPSHOT"  # where the probed operator writes its census
# Seconds the operator gets before the census is taken anyway; $BUDGETWARDEN_MEMORY_AT takes it
# earlier, in the middle of a start-up.
CENSUS_DEADLINE = float(os.environ.get("BUDGETWARDEN_MEMORY_AT") or 900)
TOP = 25


def body(case: specs.SLOCase, index: int) -> dict[str, Any]:
    """One SLO as a watch event carries it once handled and polled, round-tripped through JSON."""
    resource = yaml.safe_load(specs.budgetwarden_yaml(case))
    spec = json.dumps(resource["spec"], separators=(",", ":"))
    meta = resource["metadata"]
    meta.update(uid=f"6f1c2b3a-0000-4000-8000-{index:012d}", resourceVersion=str(10_000 + index),
                generation=1, creationTimestamp="2026-12-06T10:00:00Z")  # fmt: skip
    meta["annotations"] = {"budgetwarden.io/last-handled-configuration": spec}
    fields = {"f:spec": {"f:indicator": {}, "f:objective": {}, "f:service": {}, "f:window": {}}}
    meta["managedFields"] = [
        {"manager": "kubectl", "operation": "Update", "apiVersion": "budgetwarden.io/v1alpha1",
         "time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields},
    ]  # fmt: skip
    resource["status"] = {
        "observedGeneration": 1,
        "prometheusRule": f"bench/{case.name}",
        "conditions": [
            condition(kind, case.name)
            for kind in ("Ready", "RulesApplied", "MetricsAvailable", "BudgetExhausted")
        ],
        "errorBudget": {"total": "43m12s", "evaluatedAt": "2026-12-06T10:00:10Z"},
    }
    return json.loads(json.dumps(resource))


def condition(kind: str, name: str) -> dict[str, Any]:
    """A condition as the operator writes one."""
    message, at = f"{kind} of {name}.", "2026-12-06T10:00:01Z"
    return {"type": kind, "status": "True", "reason": "Reason", "observedGeneration": 1,
            "lastTransitionTime": at, "message": message}  # fmt: skip


def held(make: Callable[[], Any]) -> int:
    """Bytes still allocated after `make()` while its result is kept."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def per_slo_rows(count: int) -> list[list[str]]:
    """Bytes per SLO of each structure, for `count` SLOs."""
    cases = specs.cases(count)
    bodies = [body(case, i) for i, case in enumerate(cases)]

    def registry() -> Registry:
        table = Registry()
        for item in bodies:
            table.observe("slos", None, item)
        return table

    options = RuleOptions()
    models = [parse_slo(item) for item in bodies]
    measured = {
        "body as received (JSON)": lambda: [json.loads(json.dumps(item)) for item in bodies],
        "Registry (all entries)": registry,
        "parsed SLO specs": lambda: [parse_slo(item) for item in bodies],
        "typed SLOStatus": lambda: [SLOStatus.read(item["status"]) for item in bodies],
        "PrometheusRule bodies": lambda: [build_prometheus_rule(m, options) for m in models],
    }
    sizes = {what: held(make) for what, make in measured.items()}
    return [[f"{count:,}", what, f"{size / count / 1024:.1f} KiB", f"{size / 2**20:.0f} MiB"]
            for what, size in sizes.items()]  # fmt: skip


def probed_operator(argv: list[str]) -> None:
    """Run `budgetwarden ARGV`; SIGUSR1 writes what its heap holds to the file
    $BUDGETWARDEN_MEMORY_SNAPSHOT names (tracemalloc would slow the start-up it measures)."""
    import runpy

    signal.signal(signal.SIGUSR1, lambda *_: write_census(Path(os.environ[SNAPSHOT_VARIABLE])))
    sys.argv = ["budgetwarden", *argv]
    runpy.run_module("budgetwarden", run_name="__main__", alter_sys=True)


def write_census(path: Path) -> None:
    """Live objects by type (count, shallow bytes), asyncio tasks by coroutine, queued events."""
    import asyncio

    gc.collect()
    counts: dict[str, list[int]] = {}
    for item in gc.get_objects():
        entry = counts.setdefault(type(item).__qualname__, [0, 0])
        entry[0] += 1
        entry[1] += sys.getsizeof(item, 0)
    tasks: dict[str, int] = {}
    for task in asyncio.all_tasks(asyncio.get_event_loop()):
        name = getattr(task.get_coro(), "__qualname__", "?")
        tasks[name] = tasks.get(name, 0) + 1
    queued = sum(q.qsize() for q in gc.get_objects() if isinstance(q, asyncio.Queue))
    by_size = sorted(counts.items(), key=lambda item: -item[1][1])[:TOP]
    busiest = sorted(tasks.items(), key=lambda item: -item[1])[:10]
    part = path.with_suffix(".part")  # renamed when complete: the reader waits for the name
    part.write_text(json.dumps({"types": by_size, "tasks": busiest, "queued": queued}))
    part.rename(path)


def cluster_rows(count: int) -> tuple[dict[str, Any], int, float]:
    """The operator's census with `count` SLOs waiting, its RSS (kB) and when taken."""
    from bench import operator_scale as scale
    from bench._stack import child, control_plane, custom_api
    from budgetwarden_dev.devenv import PrometheusProcess

    with tempfile.TemporaryDirectory(prefix="bench-operator-memory-") as tmp:
        folder = Path(tmp)
        with control_plane() as plane, PrometheusProcess(folder / "rules") as prometheus:
            namespace = scale.NAMESPACE
            plane.kubectl("create", "namespace", namespace)
            path = scale.manifest(specs.cases(count), namespace, folder / "slos.yaml")
            plane.kubectl("create", "-f", str(path))
            polled = scale.watch_slos(custom_api(plane), namespace)["polled"]
            names = [case.name for case in specs.cases(count)]
            args = scale.operator_args(namespace, prometheus)
            snapshot = folder / "snapshot.json"
            env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig)}
            env[SNAPSHOT_VARIABLE] = str(snapshot)
            with (folder / "operator.log").open("wb") as log:
                argv = [sys.executable, "-m", "bench.operator_memory", "--probed", "run", *args]
                operator = child(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
            return sample(operator, polled, names, snapshot)


def sample(
    operator: subprocess.Popen[bytes], polled: Any, names: list[str], snapshot: Path
) -> tuple[dict[str, Any], int, float]:
    """Wait for every SLO polled (or the deadline), then take the operator's census."""
    from bench._stack import stop

    start = time.monotonic()
    try:
        while polled.done_at(names) is None and time.monotonic() - start < CENSUS_DEADLINE:
            if operator.poll() is not None:
                raise SystemExit(f"the probed operator exited:\n{tail(snapshot.parent)}")
            time.sleep(1)
        taken = time.monotonic() - start
        rss = rss_kb(operator.pid)
        operator.send_signal(signal.SIGUSR1)
        while not snapshot.exists() and operator.poll() is None:
            time.sleep(1)
        return json.loads(snapshot.read_text()), rss, taken
    finally:
        polled.stop()
        stop(operator)


def tail(folder: Path) -> str:
    """The end of the probed operator's log."""
    return "\n".join((folder / "operator.log").read_text(errors="replace").splitlines()[-20:])


def rss_kb(pid: int) -> int:
    """VmRSS of process `pid` in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    """Print both measurements."""
    rows = [row for count in SIZES for row in per_slo_rows(count)]
    print_table("budgetwarden's own structures, per SLO and in all (tracemalloc)",
                ["SLOs", "what", "per SLO", "all"], rows)  # fmt: skip
    count = min(SIZES)
    census, rss, taken = cluster_rows(count)
    title = (f"`budgetwarden run` with {count:,} SLOs waiting, {taken:.0f} s after its start: "
             f"RSS {rss / 1024:.0f} MB, {census['queued']:,} watch events queued")  # fmt: skip
    print_table(title, ["live objects of type", "count", "shallow MiB"],
                [[n, f"{c:,}", f"{b / 2**20:.1f}"] for n, (c, b) in census["types"]])  # fmt: skip
    print_table(
        "asyncio tasks", ["coroutine", "count"], [[n, f"{c:,}"] for n, c in census["tasks"]]
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probed"]:
        probed_operator(sys.argv[2:])
    else:
        sys.exit(main())
