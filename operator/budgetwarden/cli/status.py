"""`budgetwarden status [-n NS | -A]`: the freeze state of a namespace (or all), in three tables.

Policies (level, since, the budget of the SLO that decides, the reason), the workloads their
freezes hold, and the FreezeExceptions in force, read through the Kubernetes API with the
current KUBECONFIG. Times are printed as the API holds them (RFC 3339, UTC), so the output of one
state is always the same text. Exit status 0, or 1 when the cluster cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from budgetwarden.adapters.kube import Kube, KubeError
from budgetwarden.cli._cluster_view import (
    ClusterState,
    PolicyObject,
    add_scope_flags,
    namespace_of,
    read_state,
    target_text,
)
from budgetwarden.cli.budget import table
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view_from_status import policy_freeze
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import format_time, percent_text

POLICY_HEADERS = ("NAME", "LEVEL", "SINCE", "SLO", "BUDGET LEFT", "REASON")
HELD_HEADERS = ("POLICY", "KIND", "NAME", "PAUSED BY BUDGETWARDEN")
EXCEPTION_HEADERS = ("NAME", "TARGETS", "MAX LEVEL", "EXPIRES", "APPROVED BY")


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden status`."""
    add_scope_flags(parser)


def _policy_row(p: PolicyObject) -> tuple[str, ...]:
    status = p.status
    slo, budget = "-", "-"
    if p.model is not None:
        freeze = policy_freeze(p.model, status)
        slo = freeze.slo or "-"
        if freeze.remaining_percent is not None:
            budget = f"{percent_text(freeze.remaining_percent)}%"
    reason = status.reason or (f"invalid spec: {p.problem}" if p.problem else "-")
    level = (status.level or Level.UNKNOWN).value
    since = format_time(status.since) if status.since is not None else "-"
    return (p.name, level, since, slo, budget, reason.splitlines()[0])


def _exception_row(e: FreezeException) -> tuple[str, ...]:
    spec = e.spec
    shown = ", ".join(target_text(t.kind.value, t.selector, t.name) for t in spec.targets)
    expires = format_time(spec.expires_at)
    return (e.metadata.name, shown, spec.max_level.value, expires, spec.approved_by or "-")


def _section(
    title: str, headers: Sequence[str], rows: list[tuple[str, ...]], none: str
) -> list[str]:
    if not rows:
        return [title, none]
    return [title, *table([tuple(headers), *rows])]


def report(state: ClusterState, namespace: str | None, now: datetime) -> list[str]:
    """The three tables; with `namespace` None each row starts with its namespace."""
    where = f"in namespace {namespace}" if namespace else "in any namespace"

    def rows(ns: str, cells: tuple[str, ...]) -> tuple[str, ...]:
        return cells if namespace else (ns, *cells)

    def heads(headers: Sequence[str]) -> Sequence[str]:
        return headers if namespace else ("NAMESPACE", *headers)

    policies = [rows(p.namespace, _policy_row(p)) for p in state.policies]
    held = [
        rows(p.namespace, (p.name, h.kind, h.name, "yes" if h.paused_by_us else "no"))
        for p in state.policies
        for h in sorted(p.status.held_targets, key=lambda h: (h.kind, h.name))
    ]
    exceptions = [
        rows(e.metadata.namespace, _exception_row(e)) for e in state.exceptions
        if e.spec.expires_at > now
    ]  # fmt: skip
    return [
        *_section("POLICIES", heads(POLICY_HEADERS), policies,
                  f"No ErrorBudgetPolicies {where}."),
        "",
        *_section("HELD WORKLOADS", heads(HELD_HEADERS), held, f"No workloads held {where}."),
        "",
        *_section("ACTIVE EXCEPTIONS", heads(EXCEPTION_HEADERS), exceptions,
                  f"No FreezeExceptions in force {where}."),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Print the freeze state."""
    try:
        namespace = namespace_of(args)
        kube = Kube.from_environment()
        try:
            state = read_state(kube, namespace)
        finally:
            kube.close()
    except KubeError as error:
        print(f"budgetwarden status: {error}", file=sys.stderr)
        return 1
    print("\n".join(report(state, namespace, datetime.now(UTC))))
    return 0
