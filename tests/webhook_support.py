"""What the admission webhook tests share: the webhook registered, the operator serving it,
workloads, freezes and the denials to expect.

The webhook configurations come from `budgetwarden webhook render --url https://127.0.0.1:PORT`
and are applied with kubectl once per test module (`registered`, module-scoped: each module that
imports it registers its own port and CA, and deletes the configurations when it ends; modules run
one after the other, so two never register at once). Each test runs the operator (KopfRunner,
in-process) with its webhook server on that port, scoped to a fresh namespace labelled for
enforcement. The freeze is an ErrorBudgetPolicy whose status is written through the API (as the
poller would write it); the operator's registry picks it up from its watch, and the webhook
answers from that.

Test modules import the fixtures they use (`enforced_fixture` for `enforced`, and so on, with
`# noqa: F401`), with those these depend on (`certs`, `port`, `registered`): pytest finds fixtures
imported into a test module. The functions are named apart from their fixtures so that a test's
parameter does not shadow an import.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert, write_serving_cert
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import example, get, running_operator, wait_for

CONFIG_NAME = "budgetwarden-admission-test"
SINCE = "2026-11-29T10:14:00Z"
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"
DENIED = 'admission webhook "workloads.budgetwarden.io" denied the request: '
STILL_ALLOWED = (
    "Blocked: pod template changes (new versions). Still allowed: rollbacks to the stable"
    " version, scaling, pausing, restarts, metadata changes."
)
# a PartialFreeze lets a change of only container resources through (spec.resourceChanges)
STILL_ALLOWED_PARTIAL = STILL_ALLOWED.replace("scaling,", "scaling, resources,")


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def fetch(
    port: int, ca: Path, method: str, path: str, body: bytes = b"",
    client: tuple[Path, Path] | None = None,
) -> tuple[int, str]:  # fmt: skip
    """One HTTPS request trusting `ca`, as `client` (certificate, key) if given; (status, body).
    Plain asyncio: no client library."""
    context = ssl.create_default_context(cafile=str(ca))
    if client is not None:
        context.load_cert_chain(str(client[0]), str(client[1]))
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"
    )
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    writer.write(f"{head}Content-Type: application/json\r\nConnection: close\r\n\r\n".encode())
    writer.write(body)
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.decode().partition("\r\n")
    return int(status_line.split()[1]), rest.partition("\r\n\r\n")[2]


@pytest.fixture(scope="module", name="certs")
def certs_fixture(tmp_path_factory: pytest.TempPathFactory) -> ServingCert:
    """The webhook's CA and serving certificate for 127.0.0.1."""
    return write_serving_cert(tmp_path_factory.mktemp("webhook-tls"))


@pytest.fixture(scope="module", name="port")
def port_fixture() -> int:
    """The port every webhook server of the test module listens on (the configurations name it)."""
    return free_port()


def render(port: int, certs: ServingCert, *flags: str) -> str:
    """`budgetwarden webhook render` output for the local server."""
    argv = [sys.executable, "-m", "budgetwarden", "webhook", "render"]
    url = f"https://127.0.0.1:{port}"
    argv += ["--url", url, "--ca", str(certs.ca), "--name", CONFIG_NAME, *flags]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module", name="registered")
def registered_fixture(cluster: Cluster, port: int, certs: ServingCert) -> Iterator[None]:
    """The rendered configurations applied to the cluster for the test module, and deleted when
    the module is done (before the next module registers its own)."""
    cluster.kubectl("apply", "-f", "-", input=render(port, certs))
    yield
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        cluster.kubectl("delete", kind, CONFIG_NAME, "--ignore-not-found")


@pytest.fixture(name="enforced")
def enforced_fixture(cluster: Cluster, namespace: str, registered: None) -> str:
    """The test's namespace, opted in to enforcement by an admin."""
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    return namespace


@contextmanager
def operator_with_webhook(
    namespace: str, port: int, certs: ServingCert, monkeypatch: pytest.MonkeyPatch,
    client: tuple[Path, Path] | None = None,
) -> Iterator[KopfRunner]:  # fmt: skip
    """The operator for `namespace`, serving the webhook on `port` once /healthz answers."""
    monkeypatch.setenv(config.ENV_WEBHOOK_ADDRESS, f"127.0.0.1:{port}")
    monkeypatch.setenv(config.ENV_WEBHOOK_CERT, str(certs.cert))
    monkeypatch.setenv(config.ENV_WEBHOOK_KEY, str(certs.key))
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", "off")
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)  # status comes from us
    with running_operator(namespace) as runner:
        wait_for("the webhook server", lambda: healthy(port, certs, client))
        yield runner


def healthy(port: int, certs: ServingCert, client: tuple[Path, Path] | None = None) -> bool:
    """Whether the webhook server on `port` answers /healthz over TLS (as `client`, if given)."""
    try:
        return asyncio.run(fetch(port, certs.ca, "GET", "/healthz", client=client))[0] == 200
    except (OSError, IndexError, ValueError):  # refused, or closed before an answer
        return False


@pytest.fixture(name="operator")
def operator_fixture(
    enforced: str, port: int, certs: ServingCert, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    """The operator watching the enforced namespace, webhook included."""
    with operator_with_webhook(enforced, port, certs, monkeypatch) as runner:
        yield runner


# --- Workloads and freezes -------------------------------------------------------------------
def deployment(namespace: str, image: str, name: str = "checkout-worker") -> dict[str, Any]:
    """A Deployment the payments policy (examples/05) targets."""
    labels = {"app": name}
    container = {"name": "worker", "image": image}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def rollout(namespace: str, image: str) -> dict[str, Any]:
    """A Rollout the payments policy targets."""
    labels = {"app": "checkout"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "checkout", "image": image}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
        },
    }


def write(tmp_path: Path, name: str, resource: dict[str, Any]) -> Path:
    """The resource as a file for `kubectl apply -f`."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(resource))
    return path


def kubectl(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl without raising: tests look at the exit code and output themselves."""
    return cluster.kubectl(*args, check=False)


def freeze(
    cluster: Cluster,
    namespace: str,
    level: str,
    remaining: str,
    stable: dict[str, Any] | None = None,
) -> None:
    """The payments policy at `level`, as the poller would record it in status."""
    policy = example("05-policy.yaml", namespace)
    cluster.kubectl("apply", "-f", "-", input=json.dumps(policy))
    held = []
    if stable is not None:
        digest = template_digest(stable["spec"]["template"])
        held = [{"kind": stable["kind"], "name": stable["metadata"]["name"], "pausedByUs": False,
                 "stableTemplate": digest}]  # fmt: skip
    status = {
        "level": level,
        "since": SINCE,
        "reason": f"SLO checkout-availability has {remaining}% error budget left",
        "freezeId": "fz-7c2e" if level in ("PartialFreeze", "FullFreeze") else "",
        "slos": [{"name": "checkout-availability", "remainingPercent": remaining, "level": level}],
        "heldTargets": held,
    }
    cluster.kubectl(
        "patch", "errorbudgetpolicy", "payments", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip


def denial(namespace: str, kind: str, name: str, level: str = "PartialFreeze") -> str:
    """The whole one-line denial the webhook gives for a new version of `kind/name`."""
    facts = "has 21.4% error budget left (below 30%)"
    how = "To ship a critical fix, an approver creates a FreezeException"
    allowed = STILL_ALLOWED_PARTIAL
    if level == "FullFreeze":
        facts = "has 8.2% error budget left (below 10%)"
        how = "To ship anyway, an approver creates a FreezeException with maxLevel FullFreeze"
        allowed = STILL_ALLOWED
    return (
        f"[budgetwarden] {level} on {namespace}/{kind}/{name}: SLO checkout-availability {facts}"
        f" under policy payments since {SINCE}. {allowed} {how} (kubectl explain"
        f" freezeexception; runbook: {RUNBOOK}). Freeze fz-7c2e."
    )


def stored(cluster: Cluster, kind: str, name: str, namespace: str) -> dict[str, Any]:
    """The object as the API server holds it (defaults filled in)."""
    obj = get(cluster, kind, name, namespace)
    assert obj is not None, f"{kind} {namespace}/{name} is missing"
    return obj


def image_of(cluster: Cluster, kind: str, name: str, namespace: str) -> str:
    """The first container's image as stored."""
    obj = stored(cluster, kind, name, namespace)
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def until_denied(cluster: Cluster, path: Path) -> str:
    """Server-side dry-run applies of `path` until the webhook denies one; its stderr."""

    def probe() -> str | None:
        result = kubectl(cluster, "apply", "--dry-run=server", "-f", str(path))
        return result.stderr if result.returncode != 0 else None

    return wait_for(f"the webhook to deny {path.name}", probe)
