"""What the webhook's decision tests (tests/unit/test_admission_*.py) build requests from.

The AdmissionReview a workload change sends (`review`), the payments policy of examples/05 at a
level (`freeze`), the hotfix exception of examples/06 (`exception`), the whole messages a
person sees, and the decision expected (`expect`, `not_checked`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.freeze.admission import AdmissionDecision, Reason
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.workload_diff import ChangeKind, template_digest
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.policy.status_model import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
RUNBOOK = "https://runbooks.example/slo-freeze"
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"
POLICY = parse_policy(yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text()))
HOTFIX = parse_exception(yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text()))
ROLLOUT = ("argoproj.io", "Rollout")
DEPLOYMENT = ("apps", "Deployment")


def workload(
    image: str = "shop/checkout:1.5.0",
    *,
    name: str = "checkout",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    template_annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Rollout or Deployment in namespace shop; `spec` entries replace spec fields."""
    metadata = {"name": name, "namespace": "shop", "labels": labels or {"app": name}}
    return {
        "metadata": {**metadata, "annotations": annotations or {}},
        "spec": {
            "replicas": 4,
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": template_annotations or {}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


OLD = workload("shop/checkout:1.4.2")
NEW = workload("shop/checkout:1.5.0")
PAUSED_BY_US = workload("shop/checkout:1.4.2", annotations={ANNOTATION_PAUSED_BY: "budgetwarden"})


def review(
    operation: str,
    new: object,
    old: object = None,
    *,
    kind: tuple[str, str] = ROLLOUT,
    user: str = "alice@example.com",
    dry_run: bool = False,
    sub_resource: str | None = None,
) -> dict[str, Any]:
    """An AdmissionReview v1 request as the API server sends it."""
    current = new if isinstance(new, dict) else old if isinstance(old, dict) else {}
    meta = current.get("metadata", {})
    request: dict[str, Any] = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": kind[0], "version": "v1", "kind": kind[1]},
        "name": meta.get("name"),
        "namespace": "shop",
        "operation": operation,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": new,
        "oldObject": old,
        "dryRun": dry_run,
    }
    if sub_resource:
        request["subResource"] = sub_resource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


STABLE = template_digest(workload("shop/checkout:1.4.1")["spec"]["template"])
HELD = HeldTarget("Rollout", "checkout", paused_by_us=False, stable_template=STABLE)


def freeze(level: Level = Level.PARTIAL_FREEZE, **changes: Any) -> PolicyFreeze:
    """The payments policy (examples/05) at `level`, holding Rollout checkout."""
    policy = PolicyFreeze(
        policy="payments",
        level=level,
        targets=POLICY.spec.targets,
        enforcement="Enforce",
        freeze_id="fz-7c2e",
        since=SINCE,
        slo="checkout-availability",
        remaining_percent=Decimal("21.4") if level != Level.FULL_FREEZE else Decimal("8.23"),
        threshold_percent=Decimal("30") if level != Level.FULL_FREEZE else Decimal("10"),
        runbook_url=RUNBOOK,
        held=(HELD,),
    )
    return dataclasses.replace(policy, **changes)


def exception(covers: list[dict[str, str]] | None = None, **spec: Any) -> FreezeException:
    """examples/06 with spec fields replaced; `covers`: what its status records it matched."""
    raw = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    raw["spec"].update(spec)
    if covers is not None:
        raw["status"] = {"covers": covers}
    return parse_exception(raw)


PARTIAL = FreezeView(policies=(freeze(),))
FULL = FreezeView(policies=(freeze(Level.FULL_FREEZE),))

PARTIAL_TEMPLATE = (
    "[budgetwarden] PartialFreeze on shop/Rollout/checkout: SLO checkout-availability has 21.4%"
    " error budget left (below 30%) under policy payments since 2026-11-29T10:14:00Z. Blocked:"
    " pod template changes (new versions). Still allowed: rollbacks to the stable version,"
    " scaling, resources, pausing, restarts, metadata changes. To ship a"
    " critical fix, an approver creates a"
    " FreezeException (kubectl explain freezeexception; runbook:"
    " https://runbooks.example/slo-freeze). Freeze fz-7c2e."
)
FULL_TEMPLATE = (
    "[budgetwarden] FullFreeze on shop/Rollout/checkout: SLO checkout-availability has 8.2%"
    " error budget left (below 10%) under policy payments since 2026-11-29T10:14:00Z. Blocked:"
    " pod template changes (new versions). Still allowed: rollbacks to the stable version,"
    " scaling, pausing, restarts, metadata changes. To ship anyway, an approver creates a"
    " FreezeException with maxLevel FullFreeze (kubectl explain freezeexception; runbook:"
    " https://runbooks.example/slo-freeze). Freeze fz-7c2e."
)
PARTIAL_UNPAUSE = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)", "resuming a workload budgetwarden paused for this freeze"
)
PARTIAL_MARKS = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)",
    "changing the budgetwarden.io annotations that record this freeze",
)
PARTIAL_RELABEL = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)",
    "label changes that take a held workload out of its policy's targets",
)
PARTIAL_CREATE = PARTIAL_TEMPLATE.replace(
    "pod template changes (new versions)", "creating workloads (new versions)"
)
HOTFIX_WARNING = (
    "[budgetwarden] PartialFreeze on shop/Rollout/checkout: allowed by FreezeException"
    " checkout-hotfix-4711 (ticket INC-4711, expires 2026-12-01T18:00:00Z) under policy payments."
    " Freeze fz-7c2e."
)
WARNING_LEVEL = (
    "[budgetwarden] Warning on shop/Rollout/checkout: SLO checkout-availability has 41.5% error"
    " budget left (below 50%) under policy payments. New versions are still allowed; a freeze"
    " would block them."
)
UNKNOWN_LEVEL = (
    "[budgetwarden] Unknown on shop/Rollout/checkout: policy payments has no error budget level"
    " yet; this change was not checked."
)
PLATFORM_PARTIAL = PARTIAL_TEMPLATE.replace("policy payments", "policy platform").replace(
    "fz-7c2e", "fz-91ab"
)
FROZEN = {
    "allowed": False,
    "reason_code": Reason.FROZEN,
    "status_code": 403,
    "freeze_id": "fz-7c2e",
}
DURING = {"allowed": True, "reason_code": Reason.ALLOWED_DURING_FREEZE, "freeze_id": "fz-7c2e"}


def expect(change: ChangeKind, **fields: Any) -> AdmissionDecision:
    """The whole decision expected, from its non-default fields."""
    return AdmissionDecision(change=change, **fields)


T = ChangeKind.TEMPLATE


def not_checked(detail: str) -> AdmissionDecision:
    """The allow-with-a-warning answer to a request that cannot be judged."""
    warning = f"[budgetwarden] Not checked: {detail}; the change is allowed."
    return AdmissionDecision(True, Reason.NOT_CHECKED, warnings=(warning,))
