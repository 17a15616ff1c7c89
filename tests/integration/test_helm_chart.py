"""The Helm chart: lint, refuse bad values, apply what it renders to a real API server.

The rendered manifests are applied with `--dry-run=server`, so the API server validates every
object against its real schema (our CRDs come from the `cluster` fixture; ServiceMonitor and
cert-manager's Certificate from stand-ins in hack/helm/crds/). What each value set renders is
compared whole in test_helm_chart_objects.py, the operator's container and command line in
test_helm_chart_operator.py. RBAC: test_helm_rbac.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.crds import crd_names
from helm_support import (
    CHART,
    RELEASE,
    ROOT,
    VALUE_SETS,
    Render,
    build_helm,
    helm_run,
    renderer,
    set_args,
    values_for,
)

pytestmark = pytest.mark.cluster
STAND_INS = sorted((ROOT / "hack" / "helm" / "crds").glob("*.yaml"))


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (built on first use)."""
    return build_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(helm)


@pytest.fixture(scope="session")
def stand_in_crds(cluster: Cluster) -> None:
    """ServiceMonitor and Certificate CRDs, created only where the real ones are absent."""
    for name, path in zip(crd_names(STAND_INS), STAND_INS, strict=True):
        found = cluster.kubectl("get", "crd", name, "--ignore-not-found", "-o", "name").stdout
        if not found.strip():
            cluster.kubectl("create", "-f", str(path))
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")


# --- lint and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=f"helm lint --strict passes with {name}") for name in VALUE_SETS]
)
def test_lint(helm: Path, name: str) -> None:
    result = helm_run(helm, "lint", "--strict", str(CHART), *set_args(values_for(name, "shop")))
    assert result.returncode == 0, result.stdout + result.stderr


BAD_VALUES = [
    pytest.param(
        {"webhook.failurePolicy": '"Sometimes"'},
        "at '/webhook/failurePolicy': value must be one of 'Ignore', 'Fail'",
        id="a failure policy other than Ignore or Fail is refused",
    ),
    pytest.param(
        {"webhook.timeoutSeconds": "60"},
        "at '/webhook/timeoutSeconds': maximum: got 60, want 30",
        id="a webhook timeout above the API server's 30 seconds is refused",
    ),
    pytest.param(
        {"watch.namespaces": '["team-*"]'},
        "at '/watch/namespaces/0': 'team-*' does not match pattern",
        id="a namespace glob is refused because RBAC cannot grant by pattern",
    ),
    pytest.param(
        {"operator.pollInterval": '"30"'},
        "at '/operator/pollInterval': '30' does not match pattern",
        id="a poll interval without a unit is refused",
    ),
    pytest.param(
        {"operator.runbookBaseURL": '"wiki.example.com/runbooks"'},
        "at '/operator/runbookBaseURL': 'wiki.example.com/runbooks' does not match pattern",
        id="a runbook base URL without http(s):// is refused",
    ),
    pytest.param(
        {"webhok": "{}"},
        "additional properties 'webhok' not allowed",
        id="a misspelt top-level key is refused",
    ),
    pytest.param(
        {"webhook.certificate.mode": '"secret"', "webhook.certificate.secret.name": '"tls"'},
        "webhook.certificate.secret.caBundle (base64 PEM of the CA) is required",
        id="secret mode without the CA bundle says which value is missing",
    ),
    pytest.param(
        {"webhook.certificate.mode": '"certManager"'},
        "webhook.certificate.certManager.issuerRef.name is required",
        id="cert-manager mode without an issuer says which value is missing",
    ),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES)
def test_bad_values_are_refused(helm: Path, values: dict[str, str], message: str) -> None:
    result = helm_run(helm, "template", RELEASE, str(CHART), *set_args(values))
    assert (result.returncode, message in result.stderr) == (1, True), result.stderr


# --- on the real API server --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, id=f"the API server accepts everything rendered with {name}")
     for name in VALUE_SETS],
)  # fmt: skip
def test_server_side_dry_run(
    cluster: Cluster, stand_in_crds: None, render: Render, namespace: str, name: str
) -> None:
    docs = render(namespace, values_for(name, namespace), "--include-crds")
    result = cluster.kubectl(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server",
        "-f", "-", input=yaml.safe_dump_all(docs),
    )  # fmt: skip
    applied = sorted(line.split(" serverside-applied")[0] for line in result.stdout.splitlines())
    assert len(applied) == len(docs), result.stdout


def test_helm_crds_are_the_repository_crds() -> None:
    ours = {p.name: p.read_text() for p in sorted((ROOT / "crds").glob("*.yaml"))}
    chart = {p.name: p.read_text() for p in sorted((CHART / "crds").glob("*.yaml"))}
    assert chart == ours
