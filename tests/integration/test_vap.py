"""ValidatingAdmissionPolicy mode on a real API server: the shared case table, made with kubectl.

The rendered policies and bindings (core.freeze.vap.admission_policies, failurePolicy Fail so that a
CEL error anywhere fails the case instead of passing silently) are applied once per module.
Each case gets a fresh namespace, its workload as it was before the change, then the params the
operator would write for the case's freeze state (written as the operator: the guard lets nobody
else), then the change itself, made by kubectl as the case's user. The API server's answer is
held to the case's expected outcome, message and warnings compared whole.

Params reach the API server's admission through an informer, a moment after they are written.
So each write adds a probe policy that freezes only Rollouts carrying a fresh label value, and
the test waits until a server-side dry run of such a Rollout is denied: then the params it is
about to test are the ones in force.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import vap_exception_support
from admission_case_status import CONTROLLER
from admission_cases import (
    CASE_IDS,
    NOW,
    OPERATOR,
    USER,
    Change,
    Outcome,
    case_named,
    freeze,
    outcome_of,
    parked_freeze_policies,
    review,
    targets,
    workload,
)
from budgetwarden.core.freeze import vap, vap_exceptions
from budgetwarden.core.freeze.admission import decide
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import wait_for
from vap_exception_support import KINDS

pytestmark = pytest.mark.cluster
DENIED = re.compile(
    r"ValidatingAdmissionPolicy 'budgetwarden-freeze' with binding 'budgetwarden-freeze'"
    r" denied request: (.*)$"
)
WARNED = (
    "Warning: Validation failed for ValidatingAdmissionPolicy 'budgetwarden-freeze-warnings'"
    " with binding 'budgetwarden-freeze-warnings': "
)
PROBE_LABEL = "budgetwarden-probe"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(scope="module")
def policies(cluster: Cluster) -> Iterator[list[dict[str, Any]]]:
    """budgetwarden's policies and bindings on the cluster; removed afterwards."""
    freeze = vap.admission_policies(OPERATOR, failure_policy="Fail", status_writers=(CONTROLLER,))
    exceptions = vap_exceptions.approver_recorder()
    exceptions += vap_exceptions.exception_policies(timedelta(hours=24), recorded=True)
    cluster.kubectl("apply", "-f", "-", input=json.dumps({"kind": "List", "apiVersion": "v1",
                                                           "items": freeze}))  # fmt: skip
    vap_exception_support.install(cluster, exceptions)
    yield freeze + exceptions
    cluster.kubectl("apply", "-f", "-", input=json.dumps(parked_freeze_policies()))
    for obj in freeze[6:]:  # the params guard
        cluster.kubectl("delete", KINDS[obj["kind"]], obj["metadata"]["name"], "--ignore-not-found")
    vap_exception_support.remove(cluster, exceptions)


@pytest.fixture
def enforced(cluster: Cluster, namespace: str) -> str:
    """The test's namespace, opted in to enforcement by an admin (as for the webhook)."""
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    return namespace


def as_user(user: str) -> tuple[str, ...]:
    """kubectl impersonation flags: `user`, with every permission RBAC can give."""
    return ("--as", user, "--as-group", "system:masters")


def write_params(cluster: Cluster, namespace: str, view: FreezeView) -> None:
    """Write the namespace's params as the operator would, and wait until they are in force."""
    token = secrets.token_hex(4)
    probe = PolicyFreeze(
        "params-probe",
        Level.FULL_FREEZE,
        targets=targets({"kind": "Rollout", "selector": {"matchLabels": {PROBE_LABEL: token}}}),
    )
    probed = FreezeView((*view.policies, probe), view.exceptions)
    params = vap.params_config_map(namespace, probed, NOW)
    cluster.kubectl("apply", "-f", "-", *as_user(OPERATOR), input=json.dumps(params))
    canary = workload(name="params-probe", namespace=namespace, labels={PROBE_LABEL: token})

    def in_force() -> bool:
        result = cluster.kubectl(
            "create", "--dry-run=server", "-f", "-", input=json.dumps(canary), check=False
        )
        return "policy params-probe" in result.stderr

    wait_for(f"params {token} to be in force in {namespace}", in_force)


def make(cluster: Cluster, change: Change) -> subprocess.CompletedProcess[str]:
    """Make the change with kubectl as the case's user; the result, whatever it is."""
    obj = change.obj
    flags = [*as_user(change.user), "-n", obj["metadata"]["namespace"]]
    if change.dry_run:
        flags.append("--dry-run=server")
    if change.operation == "DELETE":
        args = ["delete", obj["kind"].lower(), obj["metadata"]["name"]]
    elif change.operation == "CREATE":
        args = ["create", "-f", "-"]
    else:
        args = ["replace", "-f", "-"]
        if change.subresource:
            args.append(f"--subresource={change.subresource}")
    return cluster.kubectl(*args, *flags, input=json.dumps(change.new), check=False)


def outcome(result: subprocess.CompletedProcess[str]) -> Outcome:
    """What kubectl showed: budgetwarden's denial and warnings without the API server's prefix."""
    lines = result.stderr.splitlines()
    warnings = tuple(line.removeprefix(WARNED) for line in lines if line.startswith("Warning: "))
    if result.returncode == 0:
        return Outcome(True, "", warnings)
    found = [m.group(1) for line in lines if (m := DENIED.search(line))]
    return Outcome(False, found[0] if found else result.stderr, warnings)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_each_case_gets_its_outcome_from_the_api_server(
    cluster: Cluster, enforced: str, policies: list[dict[str, Any]], case_id: str
) -> None:
    case = case_named(case_id, enforced)
    if case.change.old is not None:  # the workload as it was, before any freeze state
        cluster.kubectl("create", "-f", "-", input=json.dumps(case.change.old))
        if "status" in case.change.old:  # create drops status: it is a subresource
            cluster.kubectl("replace", "--subresource=status", "-f", "-",
                            input=json.dumps(case.change.old))  # fmt: skip
    write_params(cluster, enforced, case.view)
    assert outcome(make(cluster, case.change)) == case.vap_outcome


def test_a_denial_with_the_longest_names_is_the_webhooks_to_the_character(
    cluster: Cluster, policies: list[dict[str, Any]]
) -> None:
    namespace = f"n{secrets.token_hex(2)}" + "n" * 58  # 63 characters, the most a namespace has
    name = "checkout-" + "x" * 244  # 253 characters, the most a Rollout name has
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    try:
        policy = freeze(
            policy="p" * 63,
            slo="s" * 63,
            freeze_id="fz-" + "9" * 60,
            remaining_percent=None,
            runbook_url="https://runbooks.example/" + "r" * 2000,
            held=(HeldTarget("Rollout", name),),
        )
        old, new = (workload(image, namespace=namespace, labels={"app": "checkout"})
                    for image in ("shop/checkout:1.4.2", "shop/checkout:1.5.0"))  # fmt: skip
        old["metadata"]["name"] = new["metadata"]["name"] = name
        cluster.kubectl("create", "-f", "-", input=json.dumps(old))
        write_params(cluster, namespace, FreezeView((policy,)))
        change = Change("UPDATE", old, new)
        webhook = decide(review(change), FreezeView((policy,)), operator_username="", now=NOW)
        shortest = f"[budgetwarden] PartialFreeze on {namespace[:9]}.../Rollout/checkout-...: "
        assert webhook.message.startswith(shortest)  # names cut to the narrowest width to fit
        expected = outcome_of(webhook.allowed, webhook.message, webhook.warnings)
        assert outcome(make(cluster, change)) == expected
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false")


def test_a_namespace_that_has_not_opted_in_is_not_enforced(
    cluster: Cluster, namespace: str, policies: list[dict[str, Any]]
) -> None:
    case = case_named(CASE_IDS[0], namespace)  # a new image during a partial freeze
    cluster.kubectl("create", "-f", "-", input=json.dumps(case.change.old))
    params = vap.params_config_map(namespace, case.view, NOW)
    cluster.kubectl("apply", "-f", "-", *as_user(OPERATOR), input=json.dumps(params))
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    write_params(cluster, namespace, case.view)  # in force once the label is there
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce-")

    def unlabelled_namespace_seen() -> bool:
        return outcome(make(cluster, dataclasses.replace(case.change, dry_run=True))).allowed

    wait_for("the API server to see the label gone", unlabelled_namespace_seen)
    assert outcome(make(cluster, case.change)) == Outcome(True)


def test_only_the_operator_writes_params_and_namespace_cleanup_may_delete_them(
    cluster: Cluster, namespace: str, policies: list[dict[str, Any]]
) -> None:
    params = vap.params_config_map(namespace, FreezeView((freeze(),)), NOW)
    relabelled = json.dumps(params | {"metadata": params["metadata"] | {"labels": {}}})
    forged = json.dumps(params | {"metadata": params["metadata"] | {"name": "forged"}})
    denial = (
        "[budgetwarden] Only the budgetwarden operator"
        " (system:serviceaccount:budgetwarden:budgetwarden) writes admission params: they hold"
        " the freeze state the API server enforces. Change the ErrorBudgetPolicy, or have an"
        " approver create a FreezeException."
    )

    def attempt(*args: str, user: str = USER, body: str = "") -> str:
        result = cluster.kubectl(*args, "-n", namespace, *as_user(user), input=body, check=False)
        return "ok" if result.returncode == 0 else result.stderr.rpartition("denied request: ")[2]

    attempts = [
        attempt("create", "-f", "-", body=json.dumps(params)),
        attempt("create", "-f", "-", user=OPERATOR, body=json.dumps(params)),
        attempt("replace", "-f", "-", body=relabelled),
        attempt("create", "-f", "-", body=forged),
        attempt("delete", "configmap", "budgetwarden-admission"),
    ]
    cluster.kubectl("delete", "namespace", namespace, "--wait=false")
    attempts.append(attempt("delete", "configmap", "budgetwarden-admission"))
    assert attempts == [f"{denial}\n", "ok", f"{denial}\n", f"{denial}\n", f"{denial}\n", "ok"]


EXCEPTION_ANSWERS = [
    pytest.param(None, timedelta(hours=2), "approved by alice@example.com",
                 id="the creator is recorded as the approver"),
    pytest.param(USER, timedelta(hours=2), "approved by alice@example.com",
                 id="the creator may type their own name"),
    pytest.param(
        "bob@example.com", timedelta(hours=2),
        '[budgetwarden] spec.approvedBy: is recorded from the request and must be'
        ' "alice@example.com" (who is creating this FreezeException); got "bob@example.com".'
        " Remove the field, or have that person create the exception.",
        id="a typed approver who is not the creator is refused",
    ),
    pytest.param(
        None, timedelta(hours=30),
        "[budgetwarden] spec.expiresAt: must be at most 1d after the exception was created,"
        " at the latest TIME; got TIME. Create a new exception for more time.",
        id="a lifetime beyond the maximum is refused",
    ),
    pytest.param(
        None, -timedelta(minutes=5),
        "[budgetwarden] spec.expiresAt: must be in the future (now is TIME); got TIME",
        id="an exception that has already expired is refused",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("approved_by", "expires_in", "expected"), EXCEPTION_ANSWERS)
def test_freeze_exceptions_record_their_approver_and_live_no_longer_than_allowed(
    cluster: Cluster,
    namespace: str,
    policies: list[dict[str, Any]],
    approved_by: str | None,
    expires_in: timedelta,
    expected: str,
) -> None:
    expires = (datetime.now(UTC) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    spec = {"targets": [{"kind": "Rollout", "name": "checkout"}], "reason": "INC-4711 fix",
            "expiresAt": expires}  # fmt: skip
    if approved_by:
        spec["approvedBy"] = approved_by
    body = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException",
            "metadata": {"name": "hotfix", "namespace": namespace}, "spec": spec}  # fmt: skip
    result = cluster.kubectl(
        "create", "-f", "-", "-o", "jsonpath=approved by {.spec.approvedBy}", *as_user(USER),
        input=json.dumps(body), check=False,
    )  # fmt: skip
    got = result.stdout if result.returncode == 0 else result.stderr.partition("request: ")[2]
    assert TIME.sub("TIME", got.strip()) == expected
