"""The freeze state `budgetwarden status` and `budgetwarden explain` read from the cluster.

Lists ErrorBudgetPolicies and FreezeExceptions (one namespace, or all) with the credentials of the
current KUBECONFIG, parses them as the operator does, and builds each namespace's `FreezeView` with
`core.freeze.view_from_status.freeze_view`, the function behind the webhook's cache: what the CLI
prints is what admission decides from the same objects.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from budgetwarden.adapters.kube import BuiltinObjects, Kube, current_namespace
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.vap import selector_text
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, LabelSelector, parse_policy
from budgetwarden.core.policy.status_model import PolicyStatus


@dataclass(frozen=True)
class PolicyObject:
    """One ErrorBudgetPolicy as listed: parsed (None when its spec is invalid) and its status."""

    namespace: str
    name: str
    model: ErrorBudgetPolicy | None
    status: PolicyStatus
    problem: str = ""


@dataclass(frozen=True)
class ClusterState:
    """Every policy and every FreezeException (with a valid spec) that was listed."""

    policies: list[PolicyObject] = field(default_factory=list)
    exceptions: list[FreezeException] = field(default_factory=list)

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView, as the webhook builds it."""
        pairs = [
            (p.model, p.status)
            for p in self.policies
            if p.namespace == namespace and p.model is not None
        ]
        return freeze_view(pairs, [e for e in self.exceptions if e.metadata.namespace == namespace])


def add_scope_flags(parser: argparse.ArgumentParser) -> None:
    """-n NS | -A, as kubectl has them."""
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: the "
                       "kubeconfig context's)")  # fmt: skip
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")


def namespace_of(args: argparse.Namespace) -> str | None:
    """The namespace to read; None for all of them."""
    if getattr(args, "all_namespaces", False):
        return None
    return str(args.namespace or current_namespace())


def _policy(body: Mapping[str, Any]) -> PolicyObject:
    meta = body.get("metadata") or {}
    try:
        model, problem = parse_policy(body), ""
    except SpecError as error:
        model, problem = None, str(error)
    return PolicyObject(
        str(meta.get("namespace") or ""), str(meta.get("name") or ""), model,
        PolicyStatus.read(body.get("status")), problem,
    )  # fmt: skip


def read_state(kube: Kube, namespace: str | None) -> ClusterState:
    """List the policies and exceptions of `namespace` (None: all), by namespace and name."""
    policies, _ = kube.list(c.GROUP, c.VERSION, c.PLURAL_POLICY, namespace)
    exceptions, _ = kube.list(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, namespace)
    parsed = []
    for body in exceptions:
        try:
            parsed.append(parse_exception(body))
        except SpecError:
            continue  # the operator marks it InvalidSpec; it covers nothing
    return ClusterState(
        sorted((_policy(b) for b in policies), key=lambda p: (p.namespace, p.name)),
        sorted(parsed, key=lambda e: (e.metadata.namespace, e.metadata.name)),
    )


def target_text(kind: str, selector: LabelSelector | None = None, name: str | None = None) -> str:
    """`Rollout/checkout`, or `Rollout[app=checkout]` for a selector (`Rollout[]`: all)."""
    if name is not None:
        return f"{kind}/{name}"
    return f"{kind}[{selector_text(selector) if selector else ''}]"


def read_workload(
    kind: str, namespace: str, name: str
) -> tuple[dict[str, Any] | None, ClusterState]:
    """A workload (None when it does not exist) and its namespace's freeze state, read with
    the current KUBECONFIG. Raises KubeError when the cluster cannot be read."""
    kube = Kube.from_environment()
    try:
        obj = BuiltinObjects(kube.api_client).workload(kind, namespace, name)
        return obj, read_state(kube, namespace)
    finally:
        kube.close()
