"""The admission cases every enforcement mode answers: one table, whole expected outcomes.

A case is a change to a workload (operation, old and new object, who makes it) under a freeze
state (the namespace's `FreezeView`), and the outcome a person sees: allowed or denied, the
denial message, the warnings in order. tests/unit/test_vap.py holds the webhook's decision
(core.freeze.admission.decide) to each `webhook` outcome; tests/integration/test_vap.py makes each
change with kubectl against the ValidatingAdmissionPolicies on a real API server and holds it
to `vap_outcome` (the webhook's unless a case says otherwise; docs/admission-vap.md explains
every difference). Messages carry the namespace, so the table is built for one: `cases(ns)`.
The table itself is in tests/admission_case_table.py, its building blocks in
tests/admission_case_support.py; tests import all of them from here.
"""

from __future__ import annotations

from typing import Any

from admission_case_support import (
    ALLOWED,
    API_VERSIONS,
    CREATE,
    FULL_BUDGET,
    NOW,
    OPERATOR,
    PARTIAL_BUDGET,
    PAYMENTS_TARGETS,
    RUNBOOK,
    SINCE,
    STABLE,
    TEMPLATE,
    UNPAUSE,
    USER,
    AdmissionCase,
    Change,
    Outcome,
    denial,
    denied,
    exception,
    freeze,
    hotfix_warning,
    targets,
    warned,
    workload,
)
from admission_case_table import cases

__all__ = [
    "ALLOWED",
    "API_VERSIONS",
    "CASE_IDS",
    "CREATE",
    "FULL_BUDGET",
    "NOW",
    "OPERATOR",
    "PARKED",
    "PARTIAL_BUDGET",
    "PAYMENTS_TARGETS",
    "RUNBOOK",
    "SINCE",
    "STABLE",
    "TEMPLATE",
    "UNPAUSE",
    "USER",
    "AdmissionCase",
    "Change",
    "Outcome",
    "case_named",
    "cases",
    "denial",
    "denied",
    "exception",
    "freeze",
    "hotfix_warning",
    "outcome_of",
    "parked_freeze_policies",
    "review",
    "targets",
    "warned",
    "workload",
]

CASE_IDS = [case.id for case in cases()]


def case_named(case_id: str, ns: str = "shop") -> AdmissionCase:
    """The case with this id, built for namespace `ns`."""
    return next(case for case in cases(ns) if case.id == case_id)


# --- For the webhook's decision --------------------------------------------------------------
def review(change: Change) -> dict[str, Any]:
    """The AdmissionReview v1 request the API server sends the webhook for `change`."""
    obj = change.obj
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    request: dict[str, Any] = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": group, "version": version, "kind": change.kind},
        "name": obj["metadata"]["name"],
        "namespace": obj["metadata"]["namespace"],
        "operation": change.operation,
        "userInfo": {"username": change.user, "groups": ["system:authenticated"]},
        "object": change.new,
        "oldObject": change.old,
        "dryRun": change.dry_run,
    }
    if change.subresource:
        request["subResource"] = change.subresource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def outcome_of(allowed: bool, message: str, warnings: tuple[str, ...]) -> Outcome:
    """What a person sees of a decision: the message only when it denies."""
    return Outcome(allowed, "" if allowed else message, warnings)


# --- Leaving the cluster as found ------------------------------------------------------------
PARKED = {"matchLabels": {"budgetwarden.io/enforce": "parked-by-tests"}}


def parked_freeze_policies() -> dict[str, Any]:
    """The freeze policies with a namespace selector nothing matches, as one List.

    Tests apply this instead of deleting the freeze policies' bindings: while no binding names
    ConfigMap as its paramKind, kube-apiserver (up to 1.36 at least) stops the ConfigMap param
    informer for good, and every later ConfigMap-param policy in the session reads nothing
    (kubernetes/kubernetes#130887, docs/admission-vap.md).
    """
    from budgetwarden.core.freeze import vap

    return {"apiVersion": "v1", "kind": "List", "items": vap.admission_policies(
        OPERATOR, namespace_selector=PARKED)[:6]}  # fmt: skip
