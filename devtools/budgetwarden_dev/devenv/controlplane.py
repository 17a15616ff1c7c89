"""A real etcd + kube-apiserver on loopback ports, envtest-style (no controller-manager).

Used by `budgetwarden dev up` (detached processes that outlive the command) and by the test
fixtures (processes tied to the test run). `ControlPlane(workdir).start()` generates
certificates, starts etcd and kube-apiserver with RBAC on, writes an admin kubeconfig and waits
until the API answers; `stop()` ends both processes and removes the work directory.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.certs import ControlPlanePki, write_control_plane_pki
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.kubeconfig import Kubectl, write_kubeconfig
from budgetwarden_dev.devenv.processes import Spawned


class ControlPlane:
    """etcd and kube-apiserver, started and stopped together."""

    def __init__(self, workdir: Path | None = None, *, detached: bool = False) -> None:
        """Work in `workdir` (created; must be empty) or a new temp dir; both removed on stop."""
        if workdir is not None and workdir.exists() and any(workdir.iterdir()):
            raise DevEnvError(f"{workdir} is not empty; the control plane needs a fresh folder")
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="budgetwarden-cp-"))
        self.detached = detached
        self.processes: list[Spawned] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self.server_url = ""
        self._pki: ControlPlanePki | None = None

    @property
    def pki(self) -> ControlPlanePki:
        """The certificate files; only after start()."""
        if self._pki is None:
            raise DevEnvError("the control plane has not been started")
        return self._pki

    @property
    def ca_path(self) -> Path:
        """The CA that signed the apiserver's serving certificate."""
        return self.pki.ca

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (user `admin` in group system:masters)."""
        return self.workdir / "kubeconfig"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this control plane as admin."""
        return Kubectl(self.kubeconfig)(*args, input=input, check=check)

    def start(self) -> ControlPlane:
        """Start etcd, then kube-apiserver; return once the API serves requests."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._pki = write_control_plane_pki(self.workdir / "pki")
            etcd_url = self._start_etcd()
            self._start_apiserver(etcd_url)
            write_kubeconfig(
                self.kubeconfig,
                self.server_url,
                self.pki.ca,
                self.pki.admin_cert,
                self.pki.admin_key,
            )
            self._wait_api()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, argv: list[str]) -> Spawned:
        proc, child = processes.spawn(
            name, argv, self.workdir / f"{name}.log", detached=self.detached
        )
        self.processes.append(proc)
        self._children[proc.pid] = child
        return proc

    def _start_etcd(self) -> str:
        client_url = f"http://127.0.0.1:{processes.free_port()}"
        peer_url = f"http://127.0.0.1:{processes.free_port()}"
        etcd = self._spawn(
            "etcd",
            [
                str(find_binary("etcd")),
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={client_url}",
                f"--advertise-client-urls={client_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--unsafe-no-fsync=true",  # throw-away data: durability only costs time
            ],
        )
        processes.wait_http(f"{client_url}/health", etcd)
        return client_url

    def _start_apiserver(self, etcd_url: str) -> None:
        port = processes.free_port()
        self.server_url = f"https://127.0.0.1:{port}"
        pki = self.pki
        apiserver = self._spawn(
            "kube-apiserver",
            [
                str(find_binary("kube-apiserver")),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={pki.ca.parent}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={self.server_url}/",
                f"--service-account-key-file={pki.service_account_pub}",
                f"--service-account-signing-key-file={pki.service_account_key}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                # no token controller runs, so pods could never get their service-account token
                "--disable-admission-plugins=ServiceAccount",
                f"--admission-control-config-file={self._admission_config()}",
            ],
        )
        processes.wait_http(f"{self.server_url}/readyz", apiserver, context=self._admin_tls())

    def _admission_config(self) -> Path:
        """Admission webhooks get the control plane's webhook client certificate, as a
        production API server configured so does (a webhook may then require one)."""
        pki, folder = self.pki, self.workdir / "admission"
        folder.mkdir(exist_ok=True)
        client = {"client-certificate": str(pki.webhook_client_cert),
                  "client-key": str(pki.webhook_client_key)}  # fmt: skip
        kubeconfig = {"apiVersion": "v1", "kind": "Config",
                      "users": [{"name": "*", "user": client}]}  # fmt: skip
        (folder / "webhook-kubeconfig.json").write_text(json.dumps(kubeconfig))
        webhook = {"apiVersion": "apiserver.config.k8s.io/v1",
                   "kind": "WebhookAdmissionConfiguration",
                   "kubeConfigFile": str(folder / "webhook-kubeconfig.json")}  # fmt: skip
        names = ("ValidatingAdmissionWebhook", "MutatingAdmissionWebhook")
        plugins = [{"name": name, "configuration": webhook} for name in names]
        config = {"apiVersion": "apiserver.config.k8s.io/v1",
                  "kind": "AdmissionConfiguration", "plugins": plugins}  # fmt: skip
        path = folder / "admission-config.json"
        path.write_text(json.dumps(config))
        return path

    def _admin_tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki.ca))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context

    def _wait_api(self) -> None:
        # /readyz can pass a moment before the system namespaces exist (envtest waits too)
        apiserver = self.processes[-1]
        url = f"{self.server_url}/api/v1/namespaces/default"
        processes.wait_http(url, apiserver, context=self._admin_tls(), timeout=30)

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd; remove the work directory. Safe to call twice."""
        try:
            processes.stop_all(self.processes, self._children)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
