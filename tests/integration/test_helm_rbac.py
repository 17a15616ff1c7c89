"""The chart's RBAC on a real API server: what the operator and the people's roles may do.

Least privilege is only visible to the authorizer, so the chart's ServiceAccount and roles are
applied for real (cluster-scoped ones removed afterwards) and the API server is asked with
`kubectl auth can-i` and server-side dry runs made as the operator's ServiceAccount.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze import vap, vap_exceptions
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.kubeconfig import KubectlError
from helm_support import FULLNAME, Render, build_helm, renderer

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (built on first use)."""
    return build_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(helm)


@pytest.fixture
def installed_rbac(
    cluster: Cluster, render: Render, namespace: str
) -> Iterator[Callable[..., None]]:
    """install(values): apply the chart's ServiceAccount and RBAC for real; removed afterwards."""
    applied: list[str] = []

    # the people's ClusterRoles have fixed names: give them this test's own
    suffix = namespace[-6:]
    names = {
        "rbac.approver.name": f'"freeze-approver-{suffix}"',
        "rbac.breakGlass.name": f'"break-glass-{suffix}"',
    }

    def install(values: dict[str, str]) -> None:
        wanted = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
        docs = [d for d in render(namespace, {**names, **values}) if d["kind"] in wanted]
        text = yaml.safe_dump_all(docs)
        cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
        applied.append(text)

    yield install
    for text in applied:
        cluster.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", "-", input=text)


def can(cluster: Cluster, who: str, verb: str, resource: str, namespace: str, *extra: str) -> bool:
    """`kubectl auth can-i` as `who` (a user, or a ServiceAccount as system:serviceaccount:...)."""
    where = ("--all-namespaces",) if namespace == "*" else ("-n", namespace)
    try:
        cluster.kubectl("auth", "can-i", verb, resource, "--as", who, *where, *extra)
    except KubectlError:  # exit 1 is "no"
        return False
    return True


OPERATOR_CAN = [
    ("patch", "slos.budgetwarden.io", ()),
    ("patch", "errorbudgetpolicies.budgetwarden.io", ("--subresource=status",)),
    ("create", "prometheusrules.monitoring.coreos.com", ()),
    ("delete", "prometheusrules.monitoring.coreos.com", ()),
    ("patch", "rollouts.argoproj.io", ("--subresource=status",)),
    ("patch", "deployments.apps", ()),
    ("get", "replicasets.apps", ()),
    ("create", "events", ()),
]
OPERATOR_CANNOT = [
    ("create", "freezeexceptions.budgetwarden.io", ()),  # the operator never approves itself
    ("delete", "slos.budgetwarden.io", ()),
    ("update", "deployments.apps", ()),
    ("delete", "deployments.apps", ()),
    ("get", "secrets", ()),  # only Secrets named in the values, each in its namespace
    ("list", "secrets", ()),
    ("patch", "statefulsets.apps", ()),
    ("create", "pods", ()),
]


@pytest.mark.parametrize(
    ("values", "here", "elsewhere"),
    [
        pytest.param(
            {}, True, True,
            id="watching every namespace, the operator may do its work everywhere",
        ),
        pytest.param(
            {"watch.namespaces": '["NS"]'}, True, False,
            id="watching one namespace, the operator may do its work there and nowhere else",
        ),
    ],
)  # fmt: skip
def test_operator_permissions(
    cluster: Cluster,
    installed_rbac: Callable[..., None],
    namespace: str,
    values: dict[str, str],
    here: bool,
    elsewhere: bool,
) -> None:
    installed_rbac({key: value.replace("NS", namespace) for key, value in values.items()})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    table = [
        (verb, resource, where, can(cluster, who, verb, resource, where, *extra))
        for verb, resource, extra in OPERATOR_CAN + OPERATOR_CANNOT
        for where in (namespace, "elsewhere")
    ]
    granted = {(verb, resource) for verb, resource, _ in OPERATOR_CAN}
    scope = {namespace: here, "elsewhere": elsewhere}
    expected = [
        (verb, resource, where, (verb, resource) in granted and scope[where])
        for verb, resource, _ in OPERATOR_CAN + OPERATOR_CANNOT
        for where in (namespace, "elsewhere")
    ]
    cluster_wide = can(cluster, who, "watch", "customresourcedefinitions.apiextensions.k8s.io", "*")
    assert (table, cluster_wide) == (expected, True)


def test_by_default_the_only_readable_secret_is_the_prometheus_token(
    cluster: Cluster, installed_rbac: Callable[..., None], namespace: str
) -> None:
    installed_rbac({"operator.prometheusTokenSecret.name": '"prometheus-token"'})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    checks = {
        name: can(cluster, who, "get", f"secrets/{name}", namespace)
        for name in ("prometheus-token", "slack-webhook")
    }
    assert checks == {"prometheus-token": True, "slack-webhook": False}


def test_approvers_and_break_glass_holders_get_exactly_their_verbs(
    cluster: Cluster, installed_rbac: Callable[..., None], namespace: str
) -> None:
    suffix = namespace[-6:]
    approver, glass = f"freeze-approver-{suffix}", f"break-glass-{suffix}"
    installed_rbac({"webhook.breakGlass": "true"})
    for role, user in ((approver, "alice"), (glass, "bob")):
        cluster.kubectl(
            "create", "rolebinding", f"{role}-{user}", "-n", namespace,
            f"--clusterrole={role}", f"--user={user}",
        )  # fmt: skip
    fex = "freezeexceptions.budgetwarden.io"
    table = {
        (user, verb, where): can(cluster, user, verb, fex, where)
        for user in ("alice", "bob")
        for verb in ("create", "breakglass")
        for where in (namespace, "elsewhere")
    }
    assert table == {
        ("alice", "create", namespace): True,
        ("alice", "create", "elsewhere"): False,
        ("alice", "breakglass", namespace): False,
        ("alice", "breakglass", "elsewhere"): False,
        ("bob", "create", namespace): False,
        ("bob", "create", "elsewhere"): False,
        ("bob", "breakglass", namespace): True,
        ("bob", "breakglass", "elsewhere"): False,
    }


def vap_mode_objects(user: str, namespace: str, params_name: str) -> list[dict[str, Any]]:
    """The admission policies VAP mode applies (runtime/vap_sync.py), and one namespace's params."""
    params = vap.params_config_map(namespace, FreezeView(), datetime.now(UTC))
    params["metadata"]["name"] = params_name
    objects = [
        *vap.admission_policies(user, "Ignore"),
        *vap_exceptions.approver_recorder(),
        *vap_exceptions.exception_policies(timedelta(hours=24), recorded=True),
    ]
    return [obj for obj in objects if obj["kind"].endswith("Policy")] + [params]


def binding_names(user: str) -> list[str]:
    """The policy bindings VAP mode applies."""
    objects = [*vap.admission_policies(user, "Ignore"), *vap_exceptions.approver_recorder()]
    objects += vap_exceptions.exception_policies(timedelta(hours=24), recorded=True)
    return [
        f"{obj['kind'].lower()}s.admissionregistration.k8s.io/{obj['metadata']['name']}"
        for obj in objects
        if obj["kind"].endswith("Binding")
    ]


@pytest.mark.parametrize(
    ("params_name", "refused"),
    [
        pytest.param(
            c.PARAMS_CONFIGMAP, [],
            id="in VAP mode the operator may apply its policies and params",
        ),
        pytest.param(
            "app-settings", ["configmaps"],
            id="in VAP mode the operator may not write a ConfigMap other than its params",
        ),
    ],
)  # fmt: skip
def test_vap_mode_permissions(
    cluster: Cluster,
    installed_rbac: Callable[..., None],
    namespace: str,
    params_name: str,
    refused: list[str],
) -> None:
    installed_rbac({"admission.mode": '"vap"'})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    objects = yaml.safe_dump_all(vap_mode_objects(who, namespace, params_name))
    result = cluster.kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=budgetwarden",
        "--dry-run=server", f"--as={who}", "-f", "-", input=objects, check=False,
    )  # fmt: skip
    errors = re.findall(r"Error from server \((\w+)\): ([\w.]+)", result.stderr)
    assert (result.returncode == 0, errors) == (
        not refused,
        [("Forbidden", kind) for kind in refused],
    ), result.stderr


def test_vap_mode_bindings_are_allowed_by_name_only(
    cluster: Cluster, installed_rbac: Callable[..., None], namespace: str
) -> None:
    installed_rbac({"admission.mode": '"vap"'})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    names = binding_names(who)
    other = "validatingadmissionpolicybindings.admissionregistration.k8s.io/someone-elses"
    table = {
        (verb, name): can(cluster, who, verb, name, "*")
        for name in [*names, other]
        for verb in ("create", "patch")
    }
    assert table == {(verb, name): name != other for verb, name in table}
