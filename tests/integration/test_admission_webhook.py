"""Admission on a real API server: kubectl against workloads in a namespace under a freeze.

The webhook configurations come from `budgetwarden webhook render --url https://127.0.0.1:PORT`
and are applied with kubectl once per module; each test runs the operator (KopfRunner,
in-process) with its webhook server on that port, scoped to a fresh namespace labelled for
enforcement. The freeze is an ErrorBudgetPolicy whose status is written through the API (as the
poller would write it); the operator's registry picks it up from its watch, and the webhook
answers from that. People are played with kubectl impersonation (--as, --as-group) under real
RBAC. The first tests exercise the server alone: TLS reload and the HTTP edges.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from budgetwarden.adapters.webhook_server import ReloadingTLS, Routes, WebhookServer
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.devenv.certs import ServingCert, write_serving_cert
from budgetwarden.devenv.cluster import Cluster
from budgetwarden.handlers import webhook
from operator_support import events, example, get, running_operator, wait_for

CONFIG_NAME = "budgetwarden-admission-test"
SINCE = "2026-11-29T10:14:00Z"
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"
DENIED = 'admission webhook "workloads.budgetwarden.io" denied the request: '
STILL_ALLOWED = (
    "Blocked: pod template changes (new versions). Still allowed: rollbacks to the stable"
    " version, scaling, pausing, restarts, metadata changes."
)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- The server alone ------------------------------------------------------------------------
def echo_routes() -> Routes:
    """Every route answers with the request's uid; the validating one fails on purpose."""

    def answer(review: Any) -> dict[str, Any]:
        return {"response": {"uid": review["request"]["uid"], "allowed": True}}

    def broken(_: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")

    return Routes(validate_workloads=answer, mutate_exceptions=answer, validate_exceptions=broken)


async def fetch(port: int, ca: Path, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
    """One HTTPS request trusting `ca`; (status, body). Plain asyncio: no client library."""
    context = ssl.create_default_context(cafile=str(ca))
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


def test_the_server_answers_reviews_and_says_what_is_wrong(tmp_path: Path) -> None:
    certs = write_serving_cert(tmp_path)
    review = json.dumps({"request": {"uid": "u-1"}}).encode()

    async def scenario() -> list[tuple[int, str]]:
        server = WebhookServer(echo_routes(), ReloadingTLS(certs.cert, certs.key), "127.0.0.1", 0)
        await server.start()
        try:
            return [
                await fetch(server.port, certs.ca, "GET", "/healthz"),
                await fetch(server.port, certs.ca, "POST", "/validate/workloads", review),
                await fetch(server.port, certs.ca, "POST", "/mutate/freezeexceptions", b"{no"),
                await fetch(server.port, certs.ca, "POST", "/validate/freezeexceptions", review),
            ]
        finally:
            await server.stop()

    assert asyncio.run(scenario()) == [
        (200, "ok\n"),
        (200, '{"response":{"uid":"u-1","allowed":true}}'),
        (
            400,
            "/mutate/freezeexceptions: the body is not JSON: Expecting property name enclosed"
            " in double quotes: line 1 column 2 (char 1)\n",
        ),
        (500, "/validate/freezeexceptions: internal error\n"),
    ]


def test_a_renewed_certificate_is_served_from_the_next_handshake(tmp_path: Path) -> None:
    first = write_serving_cert(tmp_path / "first")
    live = tmp_path / "live"
    live.mkdir()
    for name in ("tls.crt", "tls.key"):
        (live / name).write_bytes((tmp_path / "first" / name).read_bytes())
    second = write_serving_cert(tmp_path / "second")  # another CA: only its clients trust it

    async def scenario() -> list[object]:
        tls = ReloadingTLS(live / "tls.crt", live / "tls.key")
        server = WebhookServer(echo_routes(), tls, "127.0.0.1", 0)
        await server.start()
        seen: list[object] = [await fetch(server.port, first.ca, "GET", "/healthz")]
        for name in ("tls.key", "tls.crt"):  # a renewal replaces both files, as kubelet does
            (live / f".{name}").write_bytes((tmp_path / "second" / name).read_bytes())
            os.replace(live / f".{name}", live / name)
        seen.append(await fetch(server.port, second.ca, "GET", "/healthz"))
        try:
            await fetch(server.port, first.ca, "GET", "/healthz")
        except ssl.SSLCertVerificationError as error:
            seen.append(error.verify_message)
        seen.append(tls.reloads)
        await server.stop()
        return seen

    assert asyncio.run(scenario()) == [
        (200, "ok\n"),
        (200, "ok\n"),
        "certificate signature failure",  # both CAs share a name; the old one does not sign
        1,
    ]


# --- On the API server -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ServingCert:
    """The webhook's CA and serving certificate for 127.0.0.1."""
    return write_serving_cert(tmp_path_factory.mktemp("webhook-tls"))


@pytest.fixture(scope="module")
def port() -> int:
    """The port every test's webhook server listens on (the configurations name it)."""
    return free_port()


def render(port: int, certs: ServingCert, *flags: str) -> str:
    """`budgetwarden webhook render` output for the local server."""
    argv = [sys.executable, "-m", "budgetwarden", "webhook", "render"]
    url = f"https://127.0.0.1:{port}"
    argv += ["--url", url, "--ca", str(certs.ca), "--name", CONFIG_NAME, *flags]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def registered(cluster: Cluster, port: int, certs: ServingCert) -> Iterator[None]:
    """The rendered configurations applied to the cluster, and deleted afterwards."""
    cluster.kubectl("apply", "-f", "-", input=render(port, certs))
    yield
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        cluster.kubectl("delete", kind, CONFIG_NAME, "--ignore-not-found")


@pytest.fixture
def enforced(cluster: Cluster, namespace: str, registered: None) -> str:
    """The test's namespace, opted in to enforcement by an admin."""
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    return namespace


@contextmanager
def operator_with_webhook(
    namespace: str, port: int, certs: ServingCert, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    """The operator for `namespace`, serving the webhook on `port` once /healthz answers."""
    monkeypatch.setenv(webhook.ENV_ADDRESS, f"127.0.0.1:{port}")
    monkeypatch.setenv(webhook.ENV_CERT, str(certs.cert))
    monkeypatch.setenv(webhook.ENV_KEY, str(certs.key))
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", "off")
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)  # status comes from us
    with running_operator(namespace) as runner:
        wait_for("the webhook server", lambda: healthy(port, certs))
        yield runner


def healthy(port: int, certs: ServingCert) -> bool:
    try:
        return asyncio.run(fetch(port, certs.ca, "GET", "/healthz"))[0] == 200
    except OSError:
        return False


@pytest.fixture
def operator(
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
    if level == "FullFreeze":
        facts = "has 8.2% error budget left (below 10%)"
        how = "To ship anyway, an approver creates a FreezeException with maxLevel FullFreeze"
    return (
        f"[budgetwarden] {level} on {namespace}/{kind}/{name}: SLO checkout-availability {facts}"
        f" under policy payments since {SINCE}. {STILL_ALLOWED} {how} (kubectl explain"
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


# --- Denials ---------------------------------------------------------------------------------
@pytest.mark.cluster
def test_applying_a_new_image_during_a_freeze_is_denied_with_the_whole_message(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    dry_run = until_denied(cluster, v2)
    applied = kubectl(cluster, "apply", "-f", str(v2))
    message = denial(enforced, "Deployment", "checkout-worker")
    lines = applied.stderr.splitlines()
    assert applied.returncode == 1
    assert lines[0] == "Error from server (Forbidden): error when applying patch:"
    assert lines[-1] == f'for: "{v2}": error when patching "{v2}": {DENIED}{message}'
    assert dry_run == applied.stderr  # a server-side dry run gets the very same answer
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:1.0"


@pytest.mark.cluster
def test_set_image_a_rollout_image_patch_and_a_resume_are_denied_in_a_full_freeze(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    cluster.kubectl("apply", "-f", str(write(tmp_path, "d", deployment(enforced, "worker:1.0"))))
    paused = rollout(enforced, "checkout:1.0")
    paused["metadata"]["annotations"] = {
        "budgetwarden.io/paused-by": "budgetwarden/payments/fz-7c2e"
    }
    paused["spec"]["paused"] = True
    cluster.kubectl("apply", "-f", str(write(tmp_path, "r", paused)))
    freeze(cluster, enforced, "FullFreeze", "8.23")
    until_denied(cluster, write(tmp_path, "d2", deployment(enforced, "worker:2.0")))

    set_image = kubectl(
        cluster, "set", "image", "deployment/checkout-worker", "worker=worker:2.0", "-n", enforced
    )
    image = [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
              "value": "checkout:2.0"}]  # fmt: skip
    patched = kubectl(
        cluster, "patch", "rollout", "checkout", "-n", enforced, "--type=json",
        "-p", json.dumps(image),
    )  # fmt: skip
    resumed = kubectl(
        cluster, "patch", "rollout", "checkout", "-n", enforced, "--type=merge",
        "-p", json.dumps({"spec": {"paused": False}}),
    )  # fmt: skip

    full = denial(enforced, "Deployment", "checkout-worker", "FullFreeze")
    assert (set_image.returncode, set_image.stderr) == (
        1,
        f"error: failed to patch image update to pod template: {DENIED}{full}\n",
    )
    rollout_denial = denial(enforced, "Rollout", "checkout", "FullFreeze")
    assert (patched.returncode, patched.stderr) == (
        1,
        f"Error from server (Forbidden): {DENIED}{rollout_denial}\n",
    )
    resume_denial = rollout_denial.replace(
        "pod template changes (new versions)",
        "resuming a workload budgetwarden paused for this freeze",
    )
    assert (resumed.returncode, resumed.stderr) == (
        1,
        f"Error from server (Forbidden): {DENIED}{resume_denial}\n",
    )
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:1.0"
    assert image_of(cluster, "rollout", "checkout", enforced) == "checkout:1.0"
    assert stored(cluster, "rollout", "checkout", enforced)["spec"]["paused"] is True


@pytest.mark.cluster
def test_scaling_a_rollback_and_metadata_changes_pass_and_only_the_rollback_is_sent(
    cluster: Cluster,
    enforced: str,
    port: int,
    certs: ServingCert,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    stable = stored(cluster, "deployment", "checkout-worker", enforced)  # with server defaults
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v2", deployment(enforced, "worker:2.0"))))
    cluster.kubectl("apply", "-f", str(write(tmp_path, "r", rollout(enforced, "checkout:1.0"))))
    with operator_with_webhook(enforced, port, certs, monkeypatch) as runner:
        freeze(cluster, enforced, "PartialFreeze", "21.4", stable=stable)
        until_denied(cluster, write(tmp_path, "v3", deployment(enforced, "worker:3.0")))
        changes = [
            ("apply", "-f", str(tmp_path / "v2.json")),  # unchanged: nothing to judge
            ("apply", "-f", str(tmp_path / "v1.json")),  # back to the stable version
            ("scale", "deployment/checkout-worker", "--replicas=5", "-n", enforced),
            ("patch", "rollout", "checkout", "-n", enforced, "--type=merge",
             "-p", json.dumps({"spec": {"replicas": 5}})),
            ("label", "deployment/checkout-worker", "tier=backend", "-n", enforced),
            ("annotate", "rollout/checkout", "owner=payments", "-n", enforced),
        ]  # fmt: skip
        results = [kubectl(cluster, *change) for change in changes]
    assert [(r.returncode, r.stderr) for r in results] == [(0, "")] * len(changes)
    worker = stored(cluster, "deployment", "checkout-worker", enforced)
    assert (worker["spec"]["replicas"], worker["metadata"]["labels"]["tier"]) == (5, "backend")
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:1.0"
    assert stored(cluster, "rollout", "checkout", enforced)["spec"]["replicas"] == 5
    # matchConditions kept everything but the new version and the rollback from the server.
    judged = [line.split("admission ", 1)[1] for line in runner.output.splitlines()
              if "admission UPDATE" in line and "(dry run)" not in line]  # fmt: skip
    assert judged == [
        f"UPDATE Deployment {enforced}/checkout-worker Rollback: AllowedDuringFreeze fz-7c2e"
    ]


@pytest.mark.cluster
def test_at_the_warning_level_kubectl_shows_the_admission_warning(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    freeze(cluster, enforced, "Warning", "42.0")
    warning = (
        f"Warning: [budgetwarden] Warning on {enforced}/Deployment/checkout-worker: SLO"
        " checkout-availability has 42.0% error budget left (below 50%) under policy payments."
        " New versions are still allowed; a freeze would block them."
    )
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))

    def warned() -> str | None:
        result = kubectl(cluster, "apply", "--dry-run=server", "-f", str(v2))
        return result.stderr if warning in result.stderr else None

    wait_for("the budget warning", warned)
    result = kubectl(
        cluster, "set", "image", "deployment/checkout-worker", "worker=worker:2.0", "-n", enforced
    )
    assert (result.returncode, result.stderr) == (0, f"{warning}\n")
    assert result.stdout == "deployment.apps/checkout-worker image updated\n"


# --- FreezeExceptions ------------------------------------------------------------------------
def approvers(cluster: Cluster, namespace: str) -> None:
    """RBAC: only the group `approvers` may create FreezeExceptions in the namespace."""
    cluster.kubectl(
        "create", "role", "freezeexception-approver", "-n", namespace,
        "--verb=create,get,list,watch", "--resource=freezeexceptions.budgetwarden.io",
    )  # fmt: skip
    cluster.kubectl(
        "create", "rolebinding", "freezeexception-approvers", "-n", namespace,
        "--role=freezeexception-approver", "--group=approvers",
    )  # fmt: skip


def hotfix(namespace: str, expires: datetime, **spec: Any) -> dict[str, Any]:
    """A FreezeException for the checkout-worker Deployment."""
    return {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "FreezeException",
        "metadata": {"name": "worker-hotfix", "namespace": namespace},
        "spec": {
            "targets": [{"kind": "Deployment", "name": "checkout-worker"}],
            "reason": "Fix for the retry storm",
            "ticket": "INC-4711",
            "expiresAt": stamp(expires),
            **spec,
        },
    }


def stamp(moment: datetime) -> str:
    """RFC 3339 to the second, as the API and the messages print times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_user(user: str, group: str) -> tuple[str, ...]:
    """kubectl flags to act as `user` in `group` (impersonation by the admin)."""
    return (f"--as={user}", f"--as-group={group}")


@pytest.mark.cluster
def test_an_approvers_exception_lets_the_change_through_until_it_expires(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    approvers(cluster, enforced)
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    until_denied(cluster, v2)

    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=25)
    created = kubectl(
        cluster, "create", "-f", str(write(tmp_path, "fx", hotfix(enforced, expires))),
        *as_user("alice", "approvers"),
    )  # fmt: skip
    assert (created.returncode, created.stdout, created.stderr) == (
        0,
        "freezeexception.budgetwarden.io/worker-hotfix created\n",
        "Warning: [budgetwarden] FreezeException worker-hotfix approved by alice:"
        f" Deployment/checkout-worker may ship through PartialFreeze until {stamp(expires)}.\n",
    )
    recorded = stored(cluster, "freezeexception", "worker-hotfix", enforced)
    assert recorded["spec"]["approvedBy"] == "alice"

    allowed = (
        f"Warning: [budgetwarden] PartialFreeze on {enforced}/Deployment/checkout-worker: allowed"
        f" by FreezeException worker-hotfix (ticket INC-4711, expires {stamp(expires)}) under"
        " policy payments. Freeze fz-7c2e.\n"
    )

    def passes() -> bool:
        return kubectl(cluster, "apply", "--dry-run=server", "-f", str(v2)).stderr == allowed

    wait_for("the exception to be known", passes)
    shipped = kubectl(cluster, "apply", "-f", str(v2))
    assert (shipped.returncode, shipped.stderr) == (0, allowed)
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:2.0"
    used = ("Normal", "FreezeExceptionUsed")
    for name in ("checkout-worker", "worker-hotfix"):  # the workload and the exception
        wait_for(f"the Event on {name}", lambda name=name: used in events(cluster, enforced, name))

    v3 = write(tmp_path, "v3", deployment(enforced, "worker:3.0"))
    denied = until_denied(cluster, v3)  # once expiresAt has passed
    assert datetime.now(UTC) >= expires
    message = denial(enforced, "Deployment", "checkout-worker")
    assert denied.splitlines()[-1] == f'for: "{v3}": error when patching "{v3}": {DENIED}{message}'


@pytest.mark.cluster
def test_a_forged_approver_a_long_life_and_a_user_without_rbac_are_refused(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    approvers(cluster, enforced)
    now = datetime.now(UTC).replace(microsecond=0)
    forged = write(
        tmp_path, "forged", hotfix(enforced, now + timedelta(hours=2), approvedBy="carol")
    )
    too_long = write(tmp_path, "long", hotfix(enforced, now + timedelta(days=3)))
    honest = write(tmp_path, "honest", hotfix(enforced, now + timedelta(hours=2)))

    by_alice = kubectl(cluster, "create", "-f", str(forged), *as_user("alice", "approvers"))
    long_life = kubectl(cluster, "create", "-f", str(too_long), *as_user("alice", "approvers"))
    by_bob = kubectl(cluster, "create", "-f", str(honest), *as_user("bob", "developers"))

    approver = 'admission webhook "approver.freezeexceptions.budgetwarden.io" denied the request'
    assert (by_alice.returncode, by_alice.stderr) == (
        1,
        f'Error from server (Forbidden): error when creating "{forged}": {approver}:'
        ' [budgetwarden] spec.approvedBy: is recorded from the request and must be "alice" (who'
        ' is creating this FreezeException); got "carol". Remove the field, or have that person'
        " create the exception.\n",
    )
    validator = 'admission webhook "freezeexceptions.budgetwarden.io" denied the request'
    assert long_life.returncode == 1
    assert long_life.stderr.startswith(
        f'Error from server (Forbidden): error when creating "{too_long}": {validator}:'
        " [budgetwarden] spec.expiresAt: must be at most 1d from now, at the latest "
    )
    assert long_life.stderr.endswith(
        f"; got {stamp(now + timedelta(days=3))}. Ask again for more time before it ends.\n"
    )
    assert (by_bob.returncode, by_bob.stderr) == (
        1,
        f'Error from server (Forbidden): error when creating "{honest}": freezeexceptions'
        f'.budgetwarden.io is forbidden: User "bob" cannot create resource "freezeexceptions" in'
        f' API group "budgetwarden.io" in the namespace "{enforced}"\n',
    )
    assert get(cluster, "freezeexception", "worker-hotfix", enforced) is None


# --- The webhook down ------------------------------------------------------------------------
@pytest.mark.cluster
def test_with_the_webhook_unreachable_or_stopped_ignore_lets_changes_land_and_drift_is_reported(
    cluster: Cluster,
    enforced: str,
    port: int,
    certs: ServingCert,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    v3 = write(tmp_path, "v3", deployment(enforced, "worker:3.0"))
    with operator_with_webhook(enforced, port, certs, monkeypatch):
        cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "w:1"))))
        freeze(cluster, enforced, "FullFreeze", "8.23")
        until_denied(cluster, v2)  # enforced while the server answers
        # The server becomes unreachable while the operator keeps running: its drift detection
        # sees the new version land and reports it.
        cluster.kubectl("apply", "-f", "-", input=render(free_port(), certs))
        try:
            wait_for("the API server to fail open", lambda: kubectl(
                cluster, "apply", "--dry-run=server", "-f", str(v2)).returncode == 0)  # fmt: skip
            landed = kubectl(cluster, "apply", "-f", str(v2))
            drift = ("Warning", "TemplateChangedDuringFreeze")
            wait_for(
                "the drift Event", lambda: drift in events(cluster, enforced, "checkout-worker")
            )
        finally:
            cluster.kubectl("apply", "-f", "-", input=render(port, certs))
    # The operator, and with it the webhook server, is stopped now.
    stopped = kubectl(cluster, "apply", "-f", str(v3))
    assert (landed.returncode, landed.stderr) == (0, "")
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (
        0,
        "deployment.apps/checkout-worker configured\n",
        "",
    )
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:3.0"
