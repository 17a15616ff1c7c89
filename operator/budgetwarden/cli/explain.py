"""`budgetwarden explain KIND/NAME [-n NS]`: why a workload is or is not frozen, right now.

Reads the workload, the namespace's ErrorBudgetPolicies and FreezeExceptions through the Kubernetes
API (current KUBECONFIG) and prints: which policies select it and why (a target's selector, or the
freeze's record of it), their levels with the deciding SLO's numbers, whether budgetwarden paused
it, which exceptions name it, and what a new version would get now. That last answer comes from
`core.freeze.admission.decide`, the webhook's own function, run on a synthetic pod-template change
against the FreezeView the webhook would hold.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from budgetwarden.adapters.kube import KubeError, current_namespace
from budgetwarden.cli._cluster_view import ClusterState, read_workload, target_text
from budgetwarden.core.freeze.admission import AdmissionDecision, Reason, decide
from budgetwarden.core.freeze.admission_message import cause_text
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.gate import new_version_review
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze, WorkloadRef
from budgetwarden.core.freeze.workload_diff import annotations_of, is_paused, labels_of
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.wire import format_time, number_text, percent_text
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import LabelSelector

KINDS = {
    **dict.fromkeys(("rollout", "rollouts", "ro"), "Rollout"),
    **dict.fromkeys(("deployment", "deployments", "deploy"), "Deployment"),
}


def workload_argument(text: str) -> tuple[str, str]:
    """argparse type: rollout/checkout or deployment/checkout-worker."""
    kind, _, name = text.partition("/")
    if kind.lower() not in KINDS or not name:
        raise argparse.ArgumentTypeError(
            "must be KIND/NAME with KIND rollout or deployment, e.g. rollout/checkout;"
            f' got "{text}"'
        )
    return KINDS[kind.lower()], name


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden explain`."""
    parser.add_argument("workload", type=workload_argument, metavar="KIND/NAME")
    parser.add_argument("-n", "--namespace", metavar="NS", help="default: the context's")


def _paused(obj: dict[str, Any], policies: tuple[PolicyFreeze, ...], ref: WorkloadRef) -> str:
    if not is_paused(obj):
        return "no"
    by = annotations_of(obj).get(ANNOTATION_PAUSED_BY)
    if by:
        return f"yes, by budgetwarden ({ANNOTATION_PAUSED_BY}: {by})"
    if any((h := p.holds(ref)) is not None and h.paused_by_us for p in policies):
        return "yes, by budgetwarden"
    return "yes, by a person: budgetwarden never resumes it"


def _budget(p: PolicyFreeze) -> str:
    if not p.slo:
        return "no SLO reading in status"
    if p.remaining_percent is None:
        return f"SLO {p.slo} has no current error budget reading (metrics unavailable)"
    below = "" if p.threshold_percent is None else f" (below {number_text(p.threshold_percent)}%)"
    left = percent_text(p.remaining_percent)
    return f"SLO {p.slo} has {left}% error budget left{below}{cause_text(p)}"


def _policy_lines(p: PolicyFreeze, ref: WorkloadRef, labels: dict[str, str]) -> list[str]:
    held = p.holds(ref)
    why = [target_text(t.kind.value, t.selector) for t in p.targets
           if t.kind.value == ref.kind and selector_matches(t.selector, labels)]  # fmt: skip
    if held is not None:
        why.append("held by name in status.heldTargets")
    since = f" since {format_time(p.since)}" if p.since is not None else ""
    freeze = f", freeze {p.freeze_id}" if p.freeze_id else ""
    return [
        f"  {p.policy}: {p.level.value}{since}{freeze}, enforcement {p.enforcement}",
        f"    selects it by: {', '.join(why)}",
        f"    budget: {_budget(p)}",
    ]


def _exception_line(e: FreezeException, now: datetime) -> str:
    spec = e.spec
    state = (f"in force until {format_time(spec.expires_at)}" if spec.expires_at > now
             else f"expired at {format_time(spec.expires_at)}")  # fmt: skip
    ticket = f", ticket {spec.ticket}" if spec.ticket else ""
    approved = f", approved by {spec.approved_by}" if spec.approved_by else ", not approved"
    return f"  {e.metadata.name}: {state}, up to {spec.max_level.value}{ticket}{approved}"


def _selects(selector: LabelSelector | None, labels: dict[str, str]) -> bool:
    return selector is not None and selector_matches(selector, labels)


def _covers(e: FreezeException, ref: WorkloadRef, labels: dict[str, str]) -> bool:
    return any(
        t.kind.value == ref.kind
        and (t.name == ref.name if t.name is not None else _selects(t.selector, labels))
        for t in e.spec.targets
    )  # a selector target always carries a selector (the model checks it)


def _decision_lines(decision: AdmissionDecision) -> list[str]:
    verdict = "ALLOWED" if decision.allowed else "DENIED"
    lines = [f"A new version (a pod template change) now: {verdict} ({decision.reason_code})"]
    if not decision.allowed:
        lines.append(f"  {decision.message}")
    lines += [f"  warning: {w}" for w in decision.warnings]
    if decision.reason_code is Reason.DRY_RUN:
        lines.append(f"  recorded, not enforced (DryRun): {decision.message}")
    return lines


def explanation(
    obj: dict[str, Any], kind: str, state: ClusterState, view: FreezeView, now: datetime
) -> list[str]:
    """The whole printout for one workload."""
    meta = obj.get("metadata") or {}
    ref = WorkloadRef(str(meta.get("namespace")), kind, str(meta.get("name")))
    labels = labels_of(obj)
    selecting = [p for p in view.policies if p.selects(ref, [labels])]
    exceptions = [e for e in state.exceptions
                  if e.metadata.namespace == ref.namespace and _covers(e, ref, labels)]  # fmt: skip
    decision = decide(new_version_review(obj, kind), view, operator_username="", now=now)
    shown_labels = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(none)"
    return [
        f"{kind} {ref.namespace}/{ref.name}",
        f"  labels: {shown_labels}",
        f"  paused: {_paused(obj, view.policies, ref)}",
        "",
        "Policies selecting it:",
        *([line for p in selecting for line in _policy_lines(p, ref, labels)] or ["  none"]),
        "",
        "FreezeExceptions naming it:",
        *([_exception_line(e, now) for e in exceptions] or ["  none"]),
        "",
        *_decision_lines(decision),
    ]


def run(args: argparse.Namespace) -> int:
    """Print the explanation; exit 1 when the workload or the cluster cannot be read."""
    kind, name = args.workload
    try:
        namespace = args.namespace or current_namespace()
        obj, state = read_workload(kind, namespace, name)
    except KubeError as error:
        print(f"budgetwarden explain: {error}", file=sys.stderr)
        return 1
    if obj is None:
        print(f"budgetwarden explain: {kind} {namespace}/{name} not found", file=sys.stderr)
        return 1
    lines = explanation(obj, kind, state, state.view(namespace), datetime.now(UTC))
    print("\n".join(lines))
    return 0
