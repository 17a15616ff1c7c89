"""Who can do what, as the API server's authorizer answers for the chart's RBAC.

The reviewed table below is docs/security.md's: for the operator's ServiceAccount and for people
holding `edit`, `admin` or the approver role in a namespace. The local API server runs no
controller-manager, so `edit` and `admin` are not filled in by aggregation: each person is bound
to every ClusterRole labelled to aggregate into their role (the built-in `system:aggregate-to-*`
ones and the chart's), which is what aggregation would give them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.kubeconfig import KubectlError
from helm_support import CHART, FULLNAME, Render, build_helm, helm_run, renderer, set_args

pytestmark = pytest.mark.cluster
AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"
Install = Callable[[dict[str, str]], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def render() -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(build_helm())


@pytest.fixture
def install(cluster: Cluster, render: Render, namespace: str) -> Iterator[Install]:
    """install(values): apply the chart's ServiceAccount and RBAC; removed afterwards."""
    applied: list[str] = []
    suffix = namespace[-6:]  # the people's ClusterRoles have fixed names: this test's own
    names = {"rbac.approver.name": f'"freeze-approver-{suffix}"'}

    def installed(values: dict[str, str]) -> list[dict[str, Any]]:
        wanted = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
        docs = [d for d in render(namespace, {**names, **values}) if d["kind"] in wanted]
        text = yaml.safe_dump_all(docs)
        cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
        applied.append(text)
        return docs

    yield installed
    for text in applied:
        cluster.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", "-", input=text)


def can(cluster: Cluster, who: str, verb: str, resource: str, namespace: str, *extra: str) -> bool:
    """`kubectl auth can-i` as `who`; exit 1 is "no"."""
    where = ("--all-namespaces",) if namespace == "*" else ("-n", namespace)
    try:
        cluster.kubectl("auth", "can-i", verb, resource, "--as", who, *where, *extra)
    except KubectlError:
        return False
    return True


# The built-in `edit` carries aggregate-to-admin and `view` aggregate-to-edit, so what
# aggregates into view reaches edit and admin, and what aggregates into edit reaches admin.
CHAIN = {"view": ("view",), "edit": ("edit", "view"), "admin": ("admin", "edit", "view")}


def bind_aggregated(
    cluster: Cluster, docs: list[dict[str, Any]], role: str, user: str, namespace: str
) -> None:
    """Bind `user` in `namespace` to every ClusterRole that aggregates into `role`."""
    names: list[str] = []
    for rules in CHAIN[role]:
        label = f"{AGGREGATE}{rules}"
        found = cluster.kubectl("get", "clusterroles", "-l", f"{label}=true", "-o", "name")
        names += [n.split("/", 1)[1] for n in found.stdout.split() if "/system:" in n]
        names += [
            d["metadata"]["name"] for d in docs
            if d["kind"] == "ClusterRole" and d["metadata"].get("labels", {}).get(label) == "true"
        ]  # fmt: skip
    for name in sorted(set(names)):
        cluster.kubectl(
            "create", "rolebinding", f"{user}-{name.replace(':', '-')}", "-n", namespace,
            f"--clusterrole={name}", f"--user={user}",
        )  # fmt: skip


# The reviewed table: what each holder may do in a namespace, default values.
MATRIX = """
verb   resource                                subresource operator edit admin approver
get    errorbudgetpolicies.budgetwarden.io     -           yes      yes  yes   yes
create errorbudgetpolicies.budgetwarden.io     -           no       no   no    no
patch  errorbudgetpolicies.budgetwarden.io     -           yes      no   no    no
delete errorbudgetpolicies.budgetwarden.io     -           no       no   no    no
patch  errorbudgetpolicies.budgetwarden.io     status      yes      no   no    no
create slos.budgetwarden.io                    -           no       yes  yes   no
patch  slos.budgetwarden.io                    -           yes      yes  yes   no
delete slos.budgetwarden.io                    -           no       yes  yes   no
patch  slos.budgetwarden.io                    status      yes      no   no    no
create freezeexceptions.budgetwarden.io        -           no       no   no    yes
delete freezeexceptions.budgetwarden.io        -           no       no   no    yes
patch  freezeexceptions.budgetwarden.io        status      yes      no   no    no
patch  deployments.apps                        -           yes      yes  yes   no
delete deployments.apps                        -           no       yes  yes   no
patch  rollouts.argoproj.io                    -           yes      no   no    no
create prometheusrules.monitoring.coreos.com   -           yes      no   no    no
get    secrets                                 -           no       yes  yes   no
create rolebindings.rbac.authorization.k8s.io  -           no       no   yes   no
update leases.coordination.k8s.io/bw-budgetwarden -        yes      yes  yes   no
update leases.coordination.k8s.io/other        -           no       yes  yes   no
"""
HOLDERS = ("operator", "edit", "admin", "approver")


def reviewed() -> dict[tuple[str, str, str, str], bool]:
    """MATRIX as {(holder, verb, resource, subresource): allowed}."""
    table = {}
    for line in MATRIX.strip().splitlines()[1:]:
        verb, resource, sub, *answers = line.split()
        for holder, answer in zip(HOLDERS, answers, strict=True):
            table[(holder, verb, resource, sub)] = answer == "yes"
    return table


def people(cluster: Cluster, docs: list[dict[str, Any]], namespace: str) -> dict[str, str]:
    """Holder -> the user name that holds it in `namespace`."""
    bind_aggregated(cluster, docs, "edit", "dev", namespace)
    bind_aggregated(cluster, docs, "admin", "lead", namespace)
    cluster.kubectl(
        "create", "rolebinding", "approvers", "-n", namespace,
        f"--clusterrole=freeze-approver-{namespace[-6:]}", "--user=alice",
    )  # fmt: skip
    operator = f"system:serviceaccount:{namespace}:{FULLNAME}"
    return {"operator": operator, "edit": "dev", "admin": "lead", "approver": "alice"}


def test_who_can_do_what_is_the_reviewed_table(
    cluster: Cluster, install: Install, namespace: str
) -> None:
    users = people(cluster, install({}), namespace)
    answered = {
        (holder, verb, resource, sub): can(
            cluster, users[holder], verb, resource, namespace,
            *(() if sub == "-" else (f"--subresource={sub}",)),
        )
        for holder, verb, resource, sub in reviewed()
    }  # fmt: skip
    assert answered == reviewed()


def test_edit_writes_policies_again_when_asked(
    cluster: Cluster, install: Install, namespace: str
) -> None:
    docs = install({"rbac.aggregatePoliciesToEdit": "true"})
    bind_aggregated(cluster, docs, "edit", "dev", namespace)
    policies = "errorbudgetpolicies.budgetwarden.io"
    answered = {
        verb: can(cluster, "dev", verb, policies, namespace) for verb in ("create", "patch")
    }
    assert answered == {"create": True, "patch": True}


def test_secrets_are_readable_by_name_in_their_namespace_only(
    cluster: Cluster, install: Install, namespace: str
) -> None:
    install({
        "rbac.notifySecrets": f'{{"{namespace}": ["slack-webhook"]}}',
        "operator.prometheusTokenSecret.name": '"prometheus-token"',
    })  # fmt: skip
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    cells = [
        ("get", "secrets/slack-webhook", namespace), ("get", "secrets/prometheus-token", namespace),
        ("get", "secrets/other", namespace), ("list", "secrets", namespace),
        ("get", "secrets/slack-webhook", "kube-system"), ("get", "secrets/slack-webhook", "*"),
    ]  # fmt: skip
    assert [can(cluster, who, *cell) for cell in cells] == [True, True, False, False, False, False]


@pytest.fixture
def second_namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another new namespace, deleted afterwards without waiting."""
    name = cluster.create_namespace(f"b-{request.node.name}")
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


def test_listed_namespaces_bound_workload_writes(
    cluster: Cluster, install: Install, namespace: str, second_namespace: str
) -> None:
    install({"watch.namespaces": f'["{namespace}", "{second_namespace}"]'})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    places = (namespace, second_namespace, "kube-system", "*")
    answered = {
        (verb, resource, where): can(cluster, who, verb, resource, where)
        for verb, resource in (("patch", "deployments.apps"), ("patch", "rollouts.argoproj.io"),
                               ("create", "prometheusrules.monitoring.coreos.com"))
        for where in places
    }  # fmt: skip
    assert answered == {key: key[2] in places[:2] for key in answered}


def test_the_lease_is_the_one_the_operator_is_told_to_use(
    cluster: Cluster, install: Install, namespace: str
) -> None:
    install({"operator.extraEnv": '[{"name": "BUDGETWARDEN_LEASE_NAME", "value": "bw-lock"}]'})
    who = f"system:serviceaccount:{namespace}:{FULLNAME}"
    cells = [
        ("update", "leases.coordination.k8s.io/bw-lock", namespace),
        ("get", "leases.coordination.k8s.io/bw-lock", namespace),
        ("create", "leases.coordination.k8s.io", namespace),
        ("update", "leases.coordination.k8s.io/budgetwarden", namespace),
        ("create", "leases.coordination.k8s.io", "kube-system"),
    ]
    assert [can(cluster, who, *cell) for cell in cells] == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("value", "passes"),
    [
        pytest.param('{"shop": ["slack-webhook", "pager"]}', True,
                     id="helm lint --strict passes with notification Secrets by namespace"),
        pytest.param('{"shop": []}', False, id="a namespace without Secret names is refused"),
        pytest.param('{"team-*": ["slack"]}', False, id="a namespace glob is refused"),
    ],
)  # fmt: skip
def test_notify_secrets_values(value: str, passes: bool) -> None:
    result = helm_run(
        build_helm(), "lint", "--strict", str(CHART), *set_args({"rbac.notifySecrets": value})
    )
    assert (result.returncode == 0) == passes, result.stdout + result.stderr
