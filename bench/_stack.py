"""What the benchmarks that run real processes share: the control plane, the operator, watches.

Used by bench.operator_scale, bench.poll_cycle, bench.reaction and bench.admission_latency.
`OperatorProcess` runs `budgetwarden run` as a subprocess (as users run it) and reads its memory
and CPU from /proc; `Watcher` records when objects first meet a condition, from a watch, so
reaction times are not rounded to a polling period.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from budgetwarden_dev.devenv import ControlPlane
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.crds import install_crds
from budgetwarden_dev.devenv.processes import free_port

_PR_SET_PDEATHSIG = 1  # prctl option: the signal a child gets when its parent dies


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


def child(argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Start a helper process that gets SIGKILL if this one dies, so none outlives a benchmark."""
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child only calls it
    return subprocess.Popen(argv, preexec_fn=lambda: libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL),
                            **options)  # fmt: skip


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds; reaps the process."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
            self.process = child(
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
        stop(self.process)


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


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile, e.g. share 0.99 for p99."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def serve_exposition(port: int, render: Callable[[], str]) -> None:
    """Serve `render()` as Prometheus' text format at any path of `port` until killed."""

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Metrics).serve_forever()
