"""The operator on a real control plane: 200, then 1,000 SLOs applied at once; time and memory.

Starts etcd + kube-apiserver (devenv.ControlPlane) with the CRDs, a Prometheus without rules (so
the budget loop runs and writes every SLO's status, as it does in production, with every SLO
reading "no series"), and `budgetwarden run` as a subprocess. Applies 200 varied SLOs
(bench.specs) to one namespace with one server-side `kubectl apply`, and measures, by watching
the API, when every PrometheusRule exists, when every SLO reports Ready=True and when every SLO
carries the poller's MetricsAvailable condition; then the operator's RSS (/proc VmRSS) and peak
(VmHWM). Then 800 more SLOs, for 1,000 in all.

Also the shared pieces of the benchmarks that run the operator (bench.reaction,
bench.admission_latency): `control_plane`, `OperatorProcess`, `Watcher`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import specs
from bench.report import print_table
from budgetwarden.adapters.kube import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
)
from budgetwarden.core import conventions as c
from budgetwarden.devenv import ControlPlane, PrometheusProcess
from budgetwarden.devenv.binaries import find_binary, repo_root
from budgetwarden.devenv.crds import install_crds
from budgetwarden.devenv.kubeconfig import Kubectl
from budgetwarden.devenv.processes import free_port

NAMESPACE = "bench"
STEPS = (200, 1000)  # SLOs in the namespace after each step
POLL_INTERVAL = "10s"
DEADLINE = 600.0  # seconds a step may take before the benchmark gives up
MB = 1024


@contextmanager
def control_plane() -> Iterator[ControlPlane]:
    """etcd + kube-apiserver with the CRDs installed; stopped and removed on exit."""
    with ControlPlane() as plane:
        install_crds(plane.kubectl, repo_root())
        yield plane


def custom_api(plane: ControlPlane) -> Any:
    """A kubernetes CustomObjectsApi for the control plane (admin)."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(plane.kubeconfig))
    return client.CustomObjectsApi(api_client)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process `pid` has used so far (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1-minute load average and the CPU count, for the table titles."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


class OperatorProcess:
    """`budgetwarden run ARGS` as a subprocess, up once its liveness probe answers."""

    def __init__(self, kubeconfig: Path, args: list[str], log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "budgetwarden", "run", *args]
        argv += ["--liveness", f"http://127.0.0.1:{self.port}/healthz"]
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env, "KUBECONFIG": str(kubeconfig)},
            )
        self._wait_live()

    def _wait_live(self, timeout: float = 60) -> None:
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the operator exited:\n{self.tail()}")
            try:
                with opener.open(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the operator did not become live in {timeout:.0f}s:\n{self.tail()}")

    def status(self, field: str) -> int:
        """A /proc/<pid>/status field in kB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self) -> float:
        """User + system CPU time the operator has used so far."""
        return cpu_seconds(self.process.pid)

    def tail(self, lines: int = 30) -> str:
        """The end of the operator's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Watcher:
    """Watches one namespaced custom resource in a thread; remembers when each object first
    met a condition (time.monotonic())."""

    def __init__(
        self,
        api: Any,
        resource: tuple[str, str, str],
        namespace: str,
        met: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.api, self.resource, self.namespace, self.met = api, resource, namespace, met
        self.times: dict[str, float] = {}
        self.events = 0
        self._stopped = False
        threading.Thread(target=self._run, daemon=True, name=f"watch-{resource[2]}").start()

    def _run(self) -> None:
        from kubernetes import watch

        group, version, plural = self.resource
        while not self._stopped:
            stream = watch.Watch().stream(
                self.api.list_namespaced_custom_object,
                group,
                version,
                self.namespace,
                plural,
                timeout_seconds=60,
            )
            try:
                for event in stream:
                    self.events += 1
                    obj = event["object"]
                    if event["type"] != "DELETED" and self.met(obj):
                        self.times.setdefault(obj["metadata"]["name"], time.monotonic())
            except Exception:  # the API server went away (at the end) or dropped the watch
                time.sleep(0.5)

    def done_at(self, names: list[str]) -> float | None:
        """When the last of `names` met the condition, or None while some have not."""
        times = [self.times.get(name) for name in names]
        return None if None in times else max(t for t in times if t is not None)

    def stop(self) -> None:
        """Stop after the current watch request ends (the thread is a daemon)."""
        self._stopped = True


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
    return [
        what,
        applied,
        took["rules"],
        took["ready"],
        took["polled"],
        f"{busy:.1f} s",
        f"{operator.status('VmRSS') / MB:.0f} MB",
        f"{operator.status('VmHWM') / MB:.0f} MB",
    ]


def operator_args(namespace: str, prometheus: PrometheusProcess) -> list[str]:
    """`budgetwarden run` flags: one namespace, the budget loop on."""
    return ["--namespace", namespace, "--prometheus-url", prometheus.url,
            "--poll-interval", POLL_INTERVAL, "--metrics-port", "0"]  # fmt: skip


def live_steps(
    plane: ControlPlane, prometheus: PrometheusProcess, folder: Path, cases: list[specs.SLOCase]
) -> tuple[list[list[str]], int]:
    """200, then 800 more SLOs applied while the operator runs; rows and the idle RSS (kB)."""
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
    """1,000 SLOs created first (4 kubectl processes at once), then the operator started."""
    namespace = f"{NAMESPACE}-cold"
    plane.kubectl("create", "namespace", namespace)
    parts = [manifest(cases[i::4], namespace, folder / f"cold-{i}.yaml") for i in range(4)]
    argv = [str(find_binary("kubectl")), f"--kubeconfig={plane.kubeconfig}", "create", "-f"]
    kubectl = [subprocess.Popen([*argv, str(path)], stdout=subprocess.DEVNULL) for path in parts]
    if any(process.wait(timeout=DEADLINE) != 0 for process in kubectl):
        raise SystemExit("kubectl create failed")
    watchers = watch_slos(custom_api(plane), namespace)
    start = time.monotonic()
    operator = OperatorProcess(
        plane.kubeconfig, operator_args(namespace, prometheus), folder / "cold.log", {}
    )
    try:
        what = f"{len(cases)} waiting, then the operator started"
        return measured(what, operator, watchers, [x.name for x in cases], start, 0.0, "-")
    finally:
        operator.stop()
        for watcher in watchers.values():
            watcher.stop()


def main() -> int:
    """Run both scenarios and print the table."""
    cases = specs.cases(max(STEPS))
    with tempfile.TemporaryDirectory(prefix="bench-operator-scale-") as tmp:
        folder = Path(tmp)
        with control_plane() as plane, PrometheusProcess(folder / "rules") as prometheus:
            rows, idle = live_steps(plane, prometheus, folder, cases)
            rows.append(cold_start(plane, prometheus, folder, cases))
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
            "RSS after",
            "peak RSS",
        ],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
