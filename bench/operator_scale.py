"""The operator on a real control plane: SLOs applied while it runs, and waiting when it starts.

Starts etcd + kube-apiserver (devenv.ControlPlane) with the CRDs, a Prometheus without rules (so
the budget loop runs and writes every SLO's status, as it does in production, with every SLO
reading "no series"), and `budgetwarden run` as a subprocess. The sizes come from
$BUDGETWARDEN_BENCH_SLOS (bench.specs.sizes; by default 200, 1,000 and 10,000). For each size
but the largest, varied SLOs (bench.specs) are applied to one namespace with one server-side
`kubectl apply`, up to that many, and watches on the API record when every PrometheusRule
exists, when every SLO reports Ready=True and when every SLO carries the poller's
MetricsAvailable condition. Last, the largest number of SLOs is created in a second namespace
while no operator watches it, and an operator started for it: the start-up path, everything at
once. After each row settles, the operator's CPU over a minute of steady polling, its RSS
(/proc VmRSS) and peak (VmHWM), and how many
lines of its log report an HTTP 409 Conflict.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import specs
from bench._stack import (
    OperatorProcess,
    Watcher,
    child,
    control_plane,
    custom_api,
    load_average,
)
from bench.report import print_table
from budgetwarden.adapters.kube import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv import ControlPlane, PrometheusProcess
from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.kubeconfig import Kubectl

NAMESPACE = "bench"
SIZES = specs.sizes((200, 1000, 10_000))
STEPS = SIZES[:-1]  # SLOs in the namespace after each step while the operator runs
POLL_INTERVAL = "10s"
DEADLINE = 2400.0  # seconds a step may take before the benchmark gives up
STEADY = 60.0  # seconds of settled polling the CPU is measured over
MB = 1024


def has_condition(type_: str, status: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """A predicate: the object's status has this condition (with this status, if given)."""

    def met(obj: dict[str, Any]) -> bool:
        for condition in (obj.get("status") or {}).get("conditions") or []:
            if condition.get("type") == type_ and status in (None, condition.get("status")):
                return True
        return False

    return met


def wait_all(watchers: list[tuple[Watcher, list[str]]], operator: OperatorProcess) -> None:
    """Block until every watcher saw all its names; fail at DEADLINE or if the operator dies."""
    deadline = time.monotonic() + DEADLINE
    while any(w.done_at(names) is None for w, names in watchers):
        if operator.process.poll() is not None:
            raise SystemExit(f"the operator exited:\n{operator.tail()}")
        if time.monotonic() > deadline:
            counts = [f"{len(w.times)}/{len(names)}" for w, names in watchers]
            raise SystemExit(f"gave up after {DEADLINE:.0f}s at {counts}:\n{operator.tail()}")
        time.sleep(0.2)


def manifest(cases: list[specs.SLOCase], namespace: str, path: Path) -> Path:
    """The cases as one multi-document file, moved into `namespace`."""
    docs = [specs.budgetwarden_yaml(case) for case in cases]
    moved = [d.replace(f"  namespace: {NAMESPACE}\n", f"  namespace: {namespace}\n") for d in docs]
    path.write_text("---\n".join(moved))
    return path


def watch_slos(api: Any, namespace: str) -> dict[str, Watcher]:
    """The three watches a row needs: rules created, SLOs Ready, SLOs polled."""
    slos = (c.GROUP, c.VERSION, c.PLURAL_SLO)
    rules = (PROMETHEUS_RULE_GROUP, PROMETHEUS_RULE_VERSION, PROMETHEUS_RULE_PLURAL)
    return {
        "rules": Watcher(api, rules, namespace, lambda obj: True),
        "ready": Watcher(api, slos, namespace, has_condition(c.CONDITION_READY, "True")),
        "polled": Watcher(api, slos, namespace, has_condition(c.CONDITION_METRICS_AVAILABLE)),
    }


def measured(
    what: str,
    operator: OperatorProcess,
    watchers: dict[str, Watcher],
    names: list[str],
    start: float,
    cpu: float,
    applied: str,
) -> list[str]:
    """Wait until every SLO in `names` is handled and polled; one table row."""
    rule_names = [c.prometheus_rule_name(name) for name in names]
    wanted = {"rules": rule_names, "ready": names, "polled": names}
    wait_all([(watchers[key], which) for key, which in wanted.items()], operator)
    took = {key: f"{(watchers[key].done_at(which) or start) - start:.1f} s"
            for key, which in wanted.items()}  # fmt: skip
    busy = operator.cpu_seconds() - cpu
    time.sleep(3 * float(POLL_INTERVAL.rstrip("s")))  # a few steady polls before measuring
    settled = operator.cpu_seconds()
    time.sleep(STEADY)
    per_minute = (operator.cpu_seconds() - settled) * 60 / STEADY
    return [
        what, applied, took["rules"], took["ready"], took["polled"], f"{busy:.1f} s",
        f"{per_minute:.1f} s/min", f"{operator.status('VmRSS') / MB:.0f} MB",
        f"{operator.status('VmHWM') / MB:.0f} MB", str(conflicts(operator)), load_average(),
    ]  # fmt: skip


def conflicts(operator: OperatorProcess) -> int:
    """The operator's log lines about an HTTP 409: a write that lost to another writer."""
    return sum("HTTP 409" in line for line in operator.log.read_text(errors="replace").splitlines())


def operator_args(namespace: str, prometheus: PrometheusProcess) -> list[str]:
    """`budgetwarden run` flags: one namespace, the budget loop on."""
    return ["--namespace", namespace, "--prometheus-url", prometheus.url,
            "--poll-interval", POLL_INTERVAL, "--metrics-port", "0"]  # fmt: skip


def live_steps(
    plane: ControlPlane, prometheus: PrometheusProcess, folder: Path, cases: list[specs.SLOCase]
) -> tuple[list[list[str]], int]:
    """SLOs applied while the operator runs, up to each of STEPS; rows and the idle RSS (kB)."""
    plane.kubectl("create", "namespace", NAMESPACE)
    watchers = watch_slos(custom_api(plane), NAMESPACE)
    args = operator_args(NAMESPACE, prometheus)
    operator = OperatorProcess(plane.kubeconfig, args, folder / "operator.log", {})
    rows, done = [], 0
    try:
        idle = operator.status("VmRSS")
        for total in STEPS:
            batch = cases[done:total]
            path = manifest(batch, NAMESPACE, folder / f"slos-{total}.yaml")
            cpu, start = operator.cpu_seconds(), time.monotonic()
            kubectl = Kubectl(plane.kubeconfig)
            kubectl(
                "apply", "--server-side", "--field-manager=bench", "-f", str(path), timeout=DEADLINE
            )
            applied = f"{time.monotonic() - start:.1f} s"
            what = f"+{len(batch)} (= {total}), operator running"
            rows.append(measured(what, operator, watchers, [x.name for x in batch], start, cpu,
                                 applied))  # fmt: skip
            done = total
    finally:
        operator.stop()
        for watcher in watchers.values():
            watcher.stop()
    return rows, idle


def cold_start(
    plane: ControlPlane, prometheus: PrometheusProcess, folder: Path, cases: list[specs.SLOCase]
) -> list[str]:
    """The cases created first (4 kubectl processes at once), then the operator started."""
    namespace = f"{NAMESPACE}-cold"
    plane.kubectl("create", "namespace", namespace)
    parts = [manifest(cases[i::4], namespace, folder / f"cold-{i}.yaml") for i in range(4)]
    argv = [str(find_binary("kubectl")), f"--kubeconfig={plane.kubeconfig}", "create", "-f"]
    kubectl = [child([*argv, str(path)], stdout=subprocess.DEVNULL) for path in parts]
    if any(process.wait(timeout=DEADLINE) != 0 for process in kubectl):
        raise SystemExit("kubectl create failed")
    watchers = watch_slos(custom_api(plane), namespace)
    start = time.monotonic()
    operator = OperatorProcess(
        plane.kubeconfig, operator_args(namespace, prometheus), folder / "cold.log", {}
    )
    try:
        what = f"{len(cases):,} waiting, then the operator started"
        return measured(what, operator, watchers, [x.name for x in cases], start, 0.0, "-")
    finally:
        operator.stop()
        for watcher in watchers.values():
            watcher.stop()


def main() -> int:
    """Run both scenarios and print the table."""
    cases = specs.cases(max(SIZES))
    with tempfile.TemporaryDirectory(prefix="bench-operator-scale-") as tmp:
        folder = Path(tmp)
        with control_plane() as plane, PrometheusProcess(folder / "rules") as prometheus:
            rows, idle = live_steps(plane, prometheus, folder, cases) if STEPS else ([], 0)
            rows.append(cold_start(plane, prometheus, folder, cases[: max(SIZES)]))
    if idle:
        print(f"operator RSS before any SLO: {idle / MB:.0f} MB")
    print_table(
        f"budgetwarden run on a local kube-apiserver, SLOs in one namespace, poll every "
        f"{POLL_INTERVAL}; times from the start of the apply (or of the operator)",
        [
            "SLOs",
            "kubectl apply",
            "all PrometheusRules",
            "all Ready=True",
            "all polled",
            "operator CPU",
            "CPU settled",
            "RSS after",
            "peak RSS",
            "409s",
            "machine",
        ],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
