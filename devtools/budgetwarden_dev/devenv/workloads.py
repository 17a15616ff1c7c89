"""The controllers that make workloads progress on a local control plane.

A `ControlPlane` alone stores objects and nothing acts on them. `Workloads(plane, binaries)`
adds kube-controller-manager (ReplicaSets, namespaces, garbage collection, ...), kube-scheduler,
kwok with one fake Node (pods on it turn Running and Ready without a container runtime) and Argo
Rollouts' controller, with upstream's Argo CRDs in place of the trimmed Rollout stand-in.
`start()` returns once each answers its health check, the node is Ready and the default
ServiceAccount exists; `stop()` ends them, newest first. Used by `budgetwarden dev up
--workloads` and the `live_cluster` test fixture; `live_binaries` builds the binaries.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import built_by, repo_root
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import crd_names
from budgetwarden_dev.devenv.errors import DevEnvError, MissingBinaryError
from budgetwarden_dev.devenv.processes import Spawned

LIVE_BUILD = Path("hack") / "live" / "build.sh"
ARGO_CRDS = Path("hack") / "crds" / "argo-rollouts"
KWOK_STAGES = Path("hack") / "kwok" / "stages.yaml"
NODE_NAME = "kwok-node-0"
# kwok manages only nodes carrying this annotation; the node has no taint, so pods need no
# toleration to land on it
NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
ROLLOUTS_NAMESPACE = "argo-rollouts"  # where the controller looks up its notification ConfigMap
# The controller runs as the ServiceAccount upstream's install gives it, so admission tells its
# writes apart from people's as it would in a real cluster (it may write rollouts/status freely).
ROLLOUTS_SERVICE_ACCOUNT = "argo-rollouts"
ROLLOUTS_USERNAME = f"system:serviceaccount:{ROLLOUTS_NAMESPACE}:{ROLLOUTS_SERVICE_ACCOUNT}"
NODE_IP = "10.244.0.1"
POD_CIDR = "10.244.1.0/24"  # apart from NODE_IP, and more addresses than the node has pods
# the node-lifecycle controller marks a node NotReady after 40 s without a lease renewal
NODE_LEASE_SECONDS = 40


def live_binaries(root: Path) -> dict[str, Path]:
    """Build (or reuse from the cache) the live cluster's binaries; returns name -> path.

    Runs hack/live/build.sh, whose progress goes to this process's stderr.
    """
    return {name: Path(path) for name, path in built_by(root, LIVE_BUILD).items()}


def fake_node(name: str = NODE_NAME) -> dict[str, Any]:
    """The Node kwok plays: big enough for any test, with no taint."""
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    key, value = NODE_ANNOTATION
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {key: value, "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": name, "type": "kwok"},
        },
        "status": {"allocatable": capacity, "capacity": capacity},
    }


def _insecure_tls() -> ssl.SSLContext:
    # kube-controller-manager and kube-scheduler serve /healthz with a self-signed certificate
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Workloads:
    """kube-controller-manager, kube-scheduler, kwok and rollouts-controller beside a plane."""

    def __init__(
        self,
        plane: ControlPlane,
        binaries: Mapping[str, Path],
        *,
        root: Path | None = None,
        detached: bool = False,
    ) -> None:
        """Attach to a started `plane`; logs and certificates go to its work directory."""
        self.plane = plane
        self.root = root or repo_root()
        self.binaries = dict(binaries)
        self.detached = detached
        self.workdir = plane.workdir / "workloads"
        self.processes: list[Spawned] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def binary(self, name: str) -> Path:
        """The path of one of the live cluster's binaries."""
        path = self.binaries.get(name)
        if path is None or not path.is_file():
            raise MissingBinaryError(f"{name} not built; run `bash {LIVE_BUILD}`")
        return path

    def start(self) -> Workloads:
        """Install the Argo CRDs and the node, start the four processes, wait until all work."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._install_argo_crds()
            # the node before the scheduler: no pod is ever reported unschedulable for want of one
            self.plane.kubectl("create", "-f", "-", input=json.dumps(fake_node()))
            self._start_kwok()
            self._start_controller_manager()
            self._start_scheduler()
            self._start_rollouts_controller()
            self._wait_cluster_works()
        except BaseException:
            self.stop()
            raise
        return self

    def _install_argo_crds(self) -> None:
        # replace, not apply: a server-side apply would merge the stand-in's schema into upstream's
        files = sorted((self.root / ARGO_CRDS).glob("*.yaml"))
        if not files:
            raise DevEnvError(f"no CRDs in {self.root / ARGO_CRDS}")
        names = [f"customresourcedefinition.apiextensions.k8s.io/{n}" for n in crd_names(files)]
        found = self.plane.kubectl("get", *names, "--ignore-not-found", "--output=name")
        present = set(found.stdout.split())
        for verb, group in (
            ("replace", [f for f, n in zip(files, names, strict=True) if n in present]),
            ("create", [f for f, n in zip(files, names, strict=True) if n not in present]),
        ):
            if group:
                self.plane.kubectl(verb, *(f"--filename={path}" for path in group))
        self.plane.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
        self.plane.kubectl("create", "namespace", ROLLOUTS_NAMESPACE)

    def _spawn(self, name: str, argv: list[str]) -> Spawned:
        proc, child = processes.spawn(
            name, argv, self.workdir / f"{name}.log", detached=self.detached
        )
        self.processes.append(proc)
        self._children[proc.pid] = child
        return proc

    def _start_kwok(self) -> None:
        key, value = NODE_ANNOTATION
        port = processes.free_port()
        kwok = self._spawn(
            "kwok",
            [
                str(self.binary("kwok")),
                f"--kubeconfig={self.plane.kubeconfig}",
                f"--config={self.root / KWOK_STAGES}",  # Stages only, the options are flags
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={key}={value}",
                f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
                f"--server-address=127.0.0.1:{port}",
                f"--node-ip={NODE_IP}",
                f"--cidr={POD_CIDR}",
            ],
        )
        processes.wait_http(f"http://127.0.0.1:{port}/healthz", kwok, timeout=60)

    def _start_controller_manager(self) -> None:
        port, pki = processes.free_port(), self.plane.pki
        kcm = self._spawn(
            "kube-controller-manager",
            [
                str(self.binary("kube-controller-manager")),
                f"--kubeconfig={self.plane.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={self.workdir / 'kcm-certs'}",
                "--leader-elect=false",
                "--controllers=*",
                "--use-service-account-credentials=false",
                f"--service-account-private-key-file={pki.service_account_key}",
                f"--root-ca-file={pki.ca}",
                f"--cluster-signing-cert-file={pki.ca}",
                f"--cluster-signing-key-file={pki.ca.parent / 'ca.key'}",
            ],
        )
        processes.wait_http(f"https://127.0.0.1:{port}/healthz", kcm, context=_insecure_tls())

    def _start_scheduler(self) -> None:
        port = processes.free_port()
        scheduler = self._spawn(
            "kube-scheduler",
            [
                str(self.binary("kube-scheduler")),
                f"--kubeconfig={self.plane.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={self.workdir / 'scheduler-certs'}",
                "--leader-elect=false",
            ],
        )
        url = f"https://127.0.0.1:{port}/healthz"
        processes.wait_http(url, scheduler, context=_insecure_tls())

    def _start_rollouts_controller(self) -> None:
        # it binds both ports on every interface and has no flag to change that: free ports only
        metrics, healthz = processes.free_port(), processes.free_port()
        controller = self._spawn(
            "rollouts-controller",
            [
                "env",  # exec's the controller: the pid stays the controller's
                f"POD_NAMESPACE={ROLLOUTS_NAMESPACE}",
                str(self.binary("rollouts-controller")),
                f"--kubeconfig={self._rollouts_kubeconfig()}",
                "--leader-elect=false",
                f"--metricsPort={metrics}",
                f"--healthzPort={healthz}",
            ],
        )
        processes.wait_http(f"http://127.0.0.1:{healthz}/healthz", controller)

    def _rollouts_kubeconfig(self) -> Path:
        """The admin kubeconfig, impersonating the controller's ServiceAccount (cluster-admin)."""
        account = ROLLOUTS_SERVICE_ACCOUNT
        self.plane.kubectl("create", "serviceaccount", account, f"--namespace={ROLLOUTS_NAMESPACE}")
        self.plane.kubectl(
            "create", "clusterrolebinding", "argo-rollouts", "--clusterrole=cluster-admin",
            f"--serviceaccount={ROLLOUTS_NAMESPACE}:{account}",
        )  # fmt: skip
        config = yaml.safe_load(self.plane.kubeconfig.read_text())
        for user in config["users"]:
            user["user"]["as"] = ROLLOUTS_USERNAME
        path = self.workdir / "rollouts-controller.kubeconfig"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    def _wait_cluster_works(self, timeout: float = 60) -> None:
        self.plane.kubectl(
            "wait", f"node/{NODE_NAME}", "--for=condition=Ready", f"--timeout={timeout:.0f}s"
        )
        # the service-account controller creating `default` shows kube-controller-manager acts
        deadline = time.monotonic() + timeout
        while not self._default_service_account():
            if time.monotonic() > deadline:
                raise DevEnvError("kube-controller-manager made no default ServiceAccount")
            time.sleep(0.2)

    def _default_service_account(self) -> bool:
        found = self.plane.kubectl(
            "get", "serviceaccount", "default", "--namespace=default", "--ignore-not-found",
            "--output=name",
        )  # fmt: skip
        return bool(found.stdout.strip())

    def stop(self) -> None:
        """Stop the processes, newest first. Safe to call twice; the files stay with the plane."""
        processes.stop_all(self.processes, self._children)
