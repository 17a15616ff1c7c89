"""The demo stack behind `budgetwarden demo up|down|env`: the whole loop on one machine.

`up` starts, detached so they outlive the command: a local control plane with the CRDs, the
demo service with a steady load, Alertmanager with the shipped routing delivering to a local
receiver (demo/alerting.py), Prometheus scraping the service every second with a day of healthy
history backfilled (demo/history.py) and sending its alerts to Alertmanager,
`budgetwarden rules-sync`, and the operator polling every
second and serving the admission webhook (registered from `budgetwarden webhook render`); then
it applies demo/manifests/ and waits until the policy has a level. With `workloads`, the
controllers that make workloads roll out run beside the control plane (demo/live.py) and `up`
waits until the first version of each workload serves. Pids, folders and exports go to
DIR/state.json (the format of `budgetwarden dev`) after every step, so `down` is
`devenv.stack.down`. `budgetwarden drill` then runs against the exported KUBECONFIG.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden_dev.demo import alerting, live
from budgetwarden_dev.demo import components as parts
from budgetwarden_dev.demo.history import History, backfill
from budgetwarden_dev.demo.identity import operator_kubeconfig
from budgetwarden_dev.demo.ready import wait_ready
from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv import stack as devstack
from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import install_crds
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.kubeconfig import Kubectl
from budgetwarden_dev.devenv.processes import Spawned
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

DEMO_URL_VAR = "BUDGETWARDEN_DEMO_URL"
NAMESPACE_VAR = "BUDGETWARDEN_DEMO_NAMESPACE"
RECEIVER_URL_VAR = "BUDGETWARDEN_DEMO_RECEIVER_URL"  # the drill prints what it was delivered
ALERTMANAGER_URL_VAR = "BUDGETWARDEN_ALERTMANAGER_URL"
INCIDENTS_VAR = "BUDGETWARDEN_DEMO_INCIDENTS"  # drills write their windows, the report reads them
OPERATOR_USERNAME_VAR = "BUDGETWARDEN_OPERATOR_USERNAME"  # runtime/config.py reads it
DEFAULT_NAMESPACE = "demo"
DEFAULT_LOAD_RPS = 20


def example_files() -> list[Path]:
    """demo/manifests/*.yaml, in order."""
    return sorted((repo_root() / "demo" / "manifests").glob("*.yaml"))


def default_dir() -> Path:
    """Where the demo stack keeps its state unless told otherwise: .cache/demo in the repo."""
    return repo_root() / ".cache" / "demo"


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the exports."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class _Started:
    """What `up` has started so far, written to DIR/state.json after every step, so `down`
    (or a failure) stops exactly that, even after `up` itself was killed."""

    directory: Path
    processes: list[Spawned] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def add(self, *procs: Spawned, folders: Sequence[Path] = ()) -> None:
        """Remember more processes and folders; rewrite the state file."""
        self.processes += procs
        self.folders += folders
        self.state({}).save(self.directory)

    def state(self, env: dict[str, str]) -> devstack.StackState:
        """The state with these exports."""
        return devstack.StackState(list(self.processes), list(self.folders), env)


def up(
    directory: Path,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    load_rps: int = DEFAULT_LOAD_RPS,
    settings: parts.LoopSettings | None = None,
    workloads: bool = False,
) -> devstack.StackState:
    """Start the demo stack in `directory`; raises when one already runs there. `workloads`
    adds the controllers that make the demo's workloads roll out (building them if missing)."""
    settings = settings or parts.LoopSettings()
    _refuse_running(directory)
    # before anything starts: a cold build takes a quarter of an hour and may fail
    built = live.binaries() if workloads else None
    directory.mkdir(parents=True, exist_ok=True)
    started = _Started(directory)
    try:
        return _up(namespace, load_rps, settings, started, built)
    except BaseException:
        devstack.down(directory)
        raise


def _refuse_running(directory: Path) -> None:
    previous = devstack.StackState.load(directory)
    if previous is None:
        return
    running = [f"{p.name} (pid {p.pid})" for p in previous.processes if processes.is_running(p)]
    if running:
        raise DevEnvError(
            f"already running in {directory}: {', '.join(running)}; "
            "run `budgetwarden demo down` first"
        )
    devstack.down(directory)  # leftovers of a stack whose processes died


def _up(
    namespace: str, load_rps: int, settings: parts.LoopSettings, started: _Started,
    built: dict[str, Path] | None,
) -> devstack.StackState:  # fmt: skip
    directory = started.directory
    plane, kubectl, docs = _control_plane(namespace, started)
    exports: dict[str, str] = {}
    if built is not None:
        say("starting kube-controller-manager, kube-scheduler, kwok (one fake node) and the "
            "Argo Rollouts controller")  # fmt: skip
        controllers, exports = live.start_controllers(plane, built)
        started.add(*controllers)
        docs = live.with_live_canary(docs)

    demo_url = _demo_service(load_rps, started)
    receiver_url, alertmanager_url = _alerting(started)
    slos = [parse_slo(d) for d in docs if d["kind"] == c.KIND_SLO]
    prometheus = _prometheus(demo_url, slos, load_rps, settings, started, alertmanager_url)
    _operator(plane.kubeconfig, kubectl, prometheus, namespace, settings, started)
    objects = [d for d in docs if d["kind"] != "Namespace"]
    parts.apply(kubectl, [*objects, alerting.resources_pack(namespace)])
    say("waiting for the rules to reach Prometheus and the policy to get a level")
    wait_ready(kubectl, prometheus.url, slos, namespace)
    if built is not None:
        say("waiting for the first version of each workload to roll out")
        live.wait_rolled_out(kubectl, namespace)
    state = started.state({
        "KUBECONFIG": str(plane.kubeconfig),
        devstack.PROMETHEUS_URL_VAR: prometheus.url,
        devstack.RULES_DIR_VAR: str(prometheus.rules_dir),
        DEMO_URL_VAR: demo_url,
        NAMESPACE_VAR: namespace,
        RECEIVER_URL_VAR: receiver_url,
        ALERTMANAGER_URL_VAR: alertmanager_url,
        INCIDENTS_VAR: str(directory / "incidents.yaml"),
        **exports,
    })  # fmt: skip
    state.save(directory)
    return state


def _demo_service(load_rps: int, started: _Started) -> str:
    """The demo service, with the load generator on; its URL."""
    directory = started.directory
    say(f"starting the demo service: {load_rps} requests/s, no errors")
    started.add(folders=[directory / "demo", directory / "logs"])
    demo, demo_url = parts.start_demo_service(directory / "demo", load_rps=load_rps, detached=True)
    started.add(demo.proc)
    return demo_url


def _control_plane(
    namespace: str, started: _Started
) -> tuple[ControlPlane, Kubectl, list[dict[str, Any]]]:
    """The local control plane with the CRDs and the demo's namespace; demo/manifests/ read."""
    directory = started.directory
    say(f"starting the local control plane in {directory / 'controlplane'}")
    plane = ControlPlane(directory / "controlplane", detached=True)
    started.add(folders=[plane.workdir])
    plane.start()
    started.add(*plane.processes)
    kubectl = Kubectl(plane.kubeconfig)
    install_crds(kubectl, repo_root())
    docs = parts.manifests(example_files(), namespace)
    parts.apply(kubectl, [d for d in docs if d["kind"] == "Namespace"])
    return plane, kubectl, docs


def _operator(
    kubeconfig: Path, kubectl: Kubectl, prometheus: PrometheusProcess, namespace: str,
    settings: parts.LoopSettings, started: _Started,
) -> None:  # fmt: skip
    """rules-sync, then the operator (as its own user, demo/identity.py) and the admission
    webhook it serves, registered."""
    directory = started.directory
    say(f"starting rules-sync and the operator (polling every {settings.poll_interval})")
    logs = directory / "logs"
    rules_sync = parts.start_rules_sync(
        kubeconfig, prometheus.url, prometheus.rules_dir, namespace,
        logs / "rules-sync.log", detached=True,
    )  # fmt: skip
    started.add(rules_sync.proc)
    started.add(folders=[directory / "webhook"])
    webhook = parts.Webhook.create(directory / "webhook")
    own = operator_kubeconfig(kubectl, kubeconfig, directory / "webhook" / "operator.kubeconfig")
    operator = parts.start_operator(
        own.kubeconfig, prometheus.url, namespace, logs / "operator.log", settings=settings,
        extra_env={**webhook.env(), OPERATOR_USERNAME_VAR: own.username}, detached=True,
    )  # fmt: skip
    started.add(operator.proc)
    say(f"registering the admission webhook the operator serves at {webhook.url}")
    webhook.register(kubectl, operator, operator_username=own.username)


def _alerting(started: _Started) -> tuple[str, str]:
    """The local receiver and Alertmanager (demo/alerting.py): their URLs."""
    say("starting Alertmanager (alertmanager/alertmanager.yml) and a local receiver for what it "
        "delivers")  # fmt: skip
    started.add(folders=[started.directory / "alerting"])
    return alerting.start(started.directory / "alerting", started.add)


def _prometheus(
    demo_url: str, slos: list[SLO], load_rps: int, settings: parts.LoopSettings,
    started: _Started, alertmanager_url: str,
) -> PrometheusProcess:  # fmt: skip
    """Prometheus with a healthy day behind it, scraping the demo service and sending its alerts
    to the demo's Alertmanager."""
    directory = started.directory
    prometheus = PrometheusProcess(
        directory / "rules",
        [parts.scrape_config(demo_url, settings.scrape_interval)],
        evaluation_interval=settings.evaluation_interval,
        scrape_interval=settings.scrape_interval,
        workdir=directory / "prometheus",
        detached=True,
        alerting=alerting.prometheus_alerting(alertmanager_url),
    )
    started.add(folders=[prometheus.workdir, prometheus.rules_dir, directory / "backfill"])
    history = demo_history(slos[0], demo_url, load_rps)
    say(
        f"backfilling {slos[0].spec.window.days or 1}d of healthy history: "
        f"{history.requests:,} requests at {load_rps}/s, none failed "
        "(promtool tsdb create-blocks-from openmetrics, then from rules)"
    )
    backfill(prometheus.workdir / "data", history, slos, rule_options(settings),
             directory / "backfill")  # fmt: skip
    say(f"starting Prometheus (scrape and evaluation every {settings.evaluation_interval})")
    prometheus.start()
    assert prometheus.process is not None  # start() succeeded
    started.add(prometheus.process)
    return prometheus


def demo_history(slo: SLO, demo_url: str, load_rps: int) -> History:
    """One SLO window of steady, error-free traffic for the demo service's series."""
    return History(
        end=datetime.now(UTC),
        length=slo.spec.window,
        load_rps=load_rps,
        error_rate=Decimal(0),
        job=parts.DEMO_JOB,
        instance=demo_url.removeprefix("http://"),
    )


def rule_options(settings: parts.LoopSettings) -> RuleOptions:
    """The rule options the operator runs with, so backfilled rules match the live ones."""
    return RuleOptions(
        scrape_interval=parse_duration(settings.scrape_interval),
        evaluation_interval=parse_duration(settings.evaluation_interval),
    )
