"""The local stack behind `budgetwarden dev up|down|env`: processes that outlive the command.

`up` starts a detached control plane (and optionally the controllers that make workloads
progress, and Prometheus), installs the CRDs and records pids, folders and environment variables
in DIR/state.json; `down` reads that file, stops the processes (SIGTERM, then SIGKILL, newest
first) and removes the folders; `env` repeats the exports.
"""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import install_crds
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.kubeconfig import Kubectl
from budgetwarden_dev.devenv.processes import Spawned
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from budgetwarden_dev.devenv.workloads import Workloads, live_binaries

STATE_FILE = "state.json"
PROMETHEUS_URL_VAR = "BUDGETWARDEN_PROMETHEUS_URL"
RULES_DIR_VAR = "BUDGETWARDEN_RULES_DIR"


def default_dir() -> Path:
    """Where the stack keeps its state unless told otherwise: .cache/dev in the repository."""
    return repo_root() / ".cache" / "dev"


@dataclass(frozen=True)
class StackState:
    """What `up` recorded: the processes, the folders to remove, the variables to export."""

    processes: list[Spawned]
    folders: list[Path]
    env: dict[str, str]

    def save(self, directory: Path) -> None:
        """Write DIR/state.json."""
        data = {
            "processes": [proc.to_json() for proc in self.processes],
            "folders": [str(folder) for folder in self.folders],
            "env": self.env,
        }
        (directory / STATE_FILE).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> StackState | None:
        """Read DIR/state.json, or None when there is no stack there."""
        path = directory / STATE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return cls(
            [Spawned.from_json(proc) for proc in data["processes"]],
            [Path(folder) for folder in data["folders"]],
            {str(k): str(v) for k, v in data["env"].items()},
        )

    def exports(self) -> str:
        """Shell lines that point a terminal at the stack."""
        return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in self.env.items())


def up(
    directory: Path,
    *,
    with_prometheus: bool = False,
    evaluation_interval: str = "5s",
    with_workloads: bool = False,
) -> StackState:
    """Start the stack in `directory`; raises when one already runs there. `with_workloads`
    adds the controllers that make workloads progress, building their binaries if missing."""
    _clear_previous(directory)
    binaries = live_binaries(repo_root()) if with_workloads else None
    directory.mkdir(parents=True, exist_ok=True)
    plane = ControlPlane(directory / "controlplane", detached=True)
    workloads: Workloads | None = None
    prometheus: PrometheusProcess | None = None
    try:
        plane.start()
        install_crds(Kubectl(plane.kubeconfig), repo_root())
        state = StackState(
            list(plane.processes), [plane.workdir], {"KUBECONFIG": str(plane.kubeconfig)}
        )
        if binaries is not None:
            workloads = Workloads(plane, binaries, detached=True).start()
            state = StackState([*state.processes, *workloads.processes], state.folders, state.env)
        if with_prometheus:
            prometheus = _start_prometheus(directory, evaluation_interval)
            state = _with_prometheus(state, prometheus)
    except BaseException:
        for started in (prometheus, workloads):
            if started is not None:
                started.stop()
        plane.stop()
        if not any(directory.iterdir()):
            directory.rmdir()
        raise
    state.save(directory)
    return state


def _clear_previous(directory: Path) -> None:
    """Refuse when a stack runs in `directory`; clean up after one whose processes died."""
    previous = StackState.load(directory)
    if previous is None:
        return
    running = [f"{p.name} (pid {p.pid})" for p in previous.processes if processes.is_running(p)]
    if running:
        raise DevEnvError(f"already running in {directory}: {', '.join(running)}; "
                          "run `budgetwarden dev down` first")  # fmt: skip
    down(directory)  # leftovers of a stack whose processes died


def _start_prometheus(directory: Path, evaluation_interval: str) -> PrometheusProcess:
    prometheus = PrometheusProcess(
        directory / "rules",
        evaluation_interval=evaluation_interval,
        scrape_interval=evaluation_interval,
        workdir=directory / "prometheus",
        detached=True,
    )
    # Prometheus scrapes itself, so a fresh stack has series to query
    prometheus.scrape_configs = [
        {
            "job_name": "prometheus",
            "static_configs": [{"targets": [f"127.0.0.1:{prometheus.port}"]}],
        }
    ]
    return prometheus.start()


def _with_prometheus(state: StackState, prometheus: PrometheusProcess) -> StackState:
    assert prometheus.process is not None  # start() succeeded
    return StackState(
        [*state.processes, prometheus.process],
        [*state.folders, prometheus.workdir, prometheus.rules_dir],
        {**state.env, PROMETHEUS_URL_VAR: prometheus.url, RULES_DIR_VAR: str(prometheus.rules_dir)},
    )


def down(directory: Path) -> StackState | None:
    """Stop what `up` started in `directory` and remove its folders; None when nothing was there."""
    state = StackState.load(directory)
    if state is None:
        return None
    for proc in reversed(state.processes):
        processes.stop(proc)
    for folder in state.folders:
        shutil.rmtree(folder, ignore_errors=True)
    (directory / STATE_FILE).unlink()
    if not any(directory.iterdir()):
        directory.rmdir()
    return state
