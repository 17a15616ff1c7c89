"""The freeze gate: would a new version of this workload be admitted now?

Delivery tools ask it before they ship, so that a rollout waits instead of being refused: Argo
Rollouts' `web` metric provider (the chart's ClusterAnalysisTemplate) and Flagger's
confirm-rollout and confirm-promotion webhooks call the operator's /gate endpoint
(adapters/gate_http.py), CI pipelines run `budgetwarden check`, and `budgetwarden explain` prints
the same answer. The answer is `core.freeze.admission.decide`, the webhook's own function, run on
a synthetic pod-template change (`new_version_review`) against the FreezeView admission holds,
so the gate and admission never disagree. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.admission import Reason, decide
from budgetwarden.core.freeze.view import FreezeView, WorkloadRef
from budgetwarden.core.kernel.conventions import GROUP

API_GROUPS = {"Rollout": ("argoproj.io", "v1alpha1"), "Deployment": ("apps", "v1")}
PROBE_ANNOTATION = f"{GROUP}/explain"  # what the synthetic new version changes in the template
EXIT_ALLOWED, EXIT_FROZEN = 0, 3  # `budgetwarden check`: 1 is kept for errors, 2 for usage


@dataclass(frozen=True)
class GateAnswer:
    """Whether a new version would be admitted now, and the one line admission would show."""

    allowed: bool
    reason: Reason
    message: str
    freeze_id: str = ""
    exception: str | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON body of the /gate endpoint."""
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "message": self.message,
            "freezeId": self.freeze_id,
            "exception": self.exception,
        }

    @property
    def exit_code(self) -> int:
        """`budgetwarden check`'s exit code."""
        return EXIT_ALLOWED if self.allowed else EXIT_FROZEN


def workload_stub(ref: WorkloadRef, labels: Mapping[str, str]) -> dict[str, Any]:
    """A workload known only by name and labels: enough for admission to judge a new version."""
    metadata = {"name": ref.name, "namespace": ref.namespace, "labels": dict(labels)}
    return {"metadata": metadata, "spec": {"template": {"metadata": {}}}}


def new_version_review(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """An AdmissionReview of an UPDATE that changes `obj`'s pod template, as a rollout would."""
    new = copy.deepcopy(dict(obj))
    template = new.setdefault("spec", {}).setdefault("template", {})
    annotations = template.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[PROBE_ANNOTATION] = "a new version"
    meta = obj.get("metadata") or {}
    group, version = API_GROUPS[kind]
    request = {
        "uid": "budgetwarden-gate",
        "kind": {"group": group, "version": version, "kind": kind},
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "operation": "UPDATE",
        "userInfo": {"username": "budgetwarden-gate"},
        "object": new,
        "oldObject": obj,
        "dryRun": True,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def gate(view: FreezeView, obj: Mapping[str, Any], kind: str, now: datetime) -> GateAnswer:
    """The answer for a new version of workload `obj` (a `kind`) under `view`."""
    decision = decide(new_version_review(obj, kind), view, operator_username="", now=now)
    meta = obj.get("metadata") or {}
    ref = WorkloadRef(str(meta.get("namespace") or ""), kind, str(meta.get("name") or ""))
    shown = decision.message or next(iter(decision.warnings), "") or text.gate_open(ref)
    return GateAnswer(
        allowed=decision.allowed,
        reason=decision.reason_code,
        message=shown,
        freeze_id=decision.freeze_id,
        exception=decision.exception_used,
    )
