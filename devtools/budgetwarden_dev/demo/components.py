"""The processes of the closed loop, started one by one: demo service, rules-sync, operator.

`budgetwarden demo up` (demo/stack.py) starts them detached, so they outlive the command; the
end-to-end tests start them tied to the test process, so they can kill and restart them. Each
is a real `budgetwarden` subcommand in its own process, exactly as a user would run it.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.demo.process import service_command
from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.certs import ServingCert, write_serving_cert
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.kubeconfig import RunsKubectl
from budgetwarden_dev.devenv.processes import Spawned

T = TypeVar("T")
DEMO_JOB = "checkout"  # the scrape job the demo SLO's queries select


@dataclass
class Child:
    """A started process: its record, and the Popen when this process is its parent."""

    proc: Spawned
    popen: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether it still runs."""
        return processes.is_running(self.proc)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL; safe to call twice."""
        processes.stop(self.proc, self.popen)

    def kill(self) -> None:
        """SIGKILL at once, as a node failure or the OOM killer would."""
        if self.running:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=10)


@dataclass(frozen=True)
class LoopSettings:
    """How fast the loop turns: Prometheus scrapes and evaluates, the operator polls."""

    scrape_interval: str = "1s"
    evaluation_interval: str = "1s"
    poll_interval: str = "1s"
    # status.errorBudget is rewritten at least this often, so a watcher sees it move
    status_refresh: str = "5s"


def spawn(
    name: str,
    args: Sequence[str],
    log: Path,
    *,
    detached: bool,
    env: Mapping[str, str] | None = None,
) -> Child:
    """Start `budgetwarden ARGS` with extra environment variables; output goes to `log`."""
    # env(1) execs the command, so the recorded pid is the command's own
    prefix = ["env", *(f"{key}={value}" for key, value in (env or {}).items())] if env else []
    proc, popen = processes.spawn(
        name, [*prefix, *service_command(), *args], log, detached=detached
    )
    return Child(proc, popen)


def start_demo_service(
    workdir: Path, *, load_rps: int, error_rate: str = "0", detached: bool = False
) -> tuple[Child, str]:
    """Start `budgetwarden demo-service` on a free port; returns it and its URL."""
    args = ["demo-service", "--listen", "127.0.0.1:0", "--error-rate", error_rate,
            "--latency", "10ms", "--load", str(load_rps)]  # fmt: skip
    return start_serving(args, workdir, "/healthz", detached=detached)


def start_serving(
    args: Sequence[str], workdir: Path, ready_path: str, *, detached: bool
) -> tuple[Child, str]:
    """Start `budgetwarden ARGS --port-file ...` (a command that serves on a free loopback port
    and writes it to that file), wait until `ready_path` answers; it and its URL."""
    name = args[0]
    port_file = workdir / f"{name}.port"
    port_file.unlink(missing_ok=True)
    child = spawn(name, [*args, "--port-file", str(port_file)], workdir / f"{name}.log",
                  detached=detached)  # fmt: skip
    try:
        port = wait_for(f"the port file of {name}", lambda: _port(port_file, child), 30)
        url = f"http://127.0.0.1:{port}"
        processes.wait_http(f"{url}{ready_path}", child.proc, timeout=30)
    except BaseException:
        child.stop()
        raise
    return child, url


def _port(path: Path, child: Child) -> int | None:
    if not child.running:
        raise DevEnvError(f"{child.proc.name} exited:\n{processes.log_tail(child.proc.log)}")
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def scrape_config(target_url: str, interval: str, job: str = DEMO_JOB) -> dict[str, Any]:
    """A Prometheus scrape config for the demo service."""
    target = target_url.removeprefix("http://")
    return {"job_name": job, "scrape_interval": interval, "static_configs": [{"targets": [target]}]}


def start_rules_sync(
    kubeconfig: Path, prometheus_url: str, rules_dir: Path, namespace: str, log: Path,
    *, detached: bool = False,
) -> Child:  # fmt: skip
    """Start `budgetwarden rules-sync` for one namespace."""
    args = ["rules-sync", "--prometheus-url", prometheus_url, "--rules-dir", str(rules_dir),
            "--namespace", namespace, "--resync", "60"]  # fmt: skip
    env = {"KUBECONFIG": str(kubeconfig)}
    return spawn("rules-sync", args, log, detached=detached, env=env)


def operator_env(kubeconfig: Path, prometheus_url: str, settings: LoopSettings) -> dict[str, str]:
    """The environment `budgetwarden run` reads its poller settings from."""
    return {
        "KUBECONFIG": str(kubeconfig),
        "BUDGETWARDEN_PROMETHEUS_URL": prometheus_url,
        "BUDGETWARDEN_POLL_INTERVAL": settings.poll_interval,
        "BUDGETWARDEN_STATUS_REFRESH": settings.status_refresh,
        "BUDGETWARDEN_METRICS_PORT": "0",  # any free port: several operators may run at once
    }


def start_operator(
    kubeconfig: Path, prometheus_url: str, namespace: str, log: Path,
    *, settings: LoopSettings | None = None, extra_env: Mapping[str, str] | None = None,
    detached: bool = False,
) -> Child:  # fmt: skip
    """Start `budgetwarden run` watching one namespace, polling Prometheus every poll interval."""
    settings = settings or LoopSettings()
    args = ["run", "--namespace", namespace,
            "--scrape-interval", settings.scrape_interval,
            "--evaluation-interval", settings.evaluation_interval]  # fmt: skip
    env = {**operator_env(kubeconfig, prometheus_url, settings), **(extra_env or {})}
    return spawn("operator", args, log, detached=detached, env=env)


@dataclass(frozen=True)
class Webhook:
    """Where the operator serves admission: a loopback port and a certificate for it."""

    port: int
    certs: ServingCert

    @classmethod
    def create(cls, folder: Path) -> Webhook:
        """A free port and a fresh CA and serving certificate for 127.0.0.1 in `folder`."""
        return cls(processes.free_port(), write_serving_cert(folder))

    @property
    def url(self) -> str:
        """The base URL the API server calls."""
        return f"https://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The operator's variables that make it serve the webhook here."""
        return {
            "BUDGETWARDEN_WEBHOOK_ADDRESS": f"127.0.0.1:{self.port}",
            "BUDGETWARDEN_WEBHOOK_CERT": str(self.certs.cert),
            "BUDGETWARDEN_WEBHOOK_KEY": str(self.certs.key),
        }

    def register(self, kubectl: RunsKubectl, operator: Child, operator_username: str = "") -> None:
        """Wait until the operator serves, then apply `budgetwarden webhook render`'s output;
        the API server lets `operator_username`'s own changes through without calling it."""
        context = ssl.create_default_context(cafile=str(self.certs.ca))
        processes.wait_http(f"{self.url}{c.PATH_HEALTHZ}", operator.proc, context=context)
        render = [*service_command(), "webhook", "render", "--url", self.url,
                  "--ca", str(self.certs.ca)]  # fmt: skip
        if operator_username:
            render += ["--operator-username", operator_username]
        rendered = subprocess.run(render, capture_output=True, text=True, check=False)
        if rendered.returncode != 0:
            raise DevEnvError(f"budgetwarden webhook render failed: {rendered.stderr.strip()}")
        kubectl("apply", "-f", "-", input=rendered.stdout)


def manifests(files: Iterable[Path], namespace: str) -> list[dict[str, Any]]:
    """The documents of `files`, moved into `namespace` (a Namespace document is renamed)."""
    docs = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "Namespace":
                doc["metadata"]["name"] = namespace
            else:
                doc["metadata"]["namespace"] = namespace
            docs.append(doc)
    return docs


def apply(kubectl: RunsKubectl, docs: Sequence[Mapping[str, Any]]) -> None:
    """`kubectl apply` the documents as one list."""
    body = {"apiVersion": "v1", "kind": "List", "items": list(docs)}
    kubectl("apply", "-f", "-", input=json.dumps(body))


def wait_for(what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Poll `probe` until it returns something truthy; DevEnvError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DevEnvError(f"gave up waiting for {what} after {timeout:.0f}s")
        time.sleep(0.25)
