"""Building blocks of the admission case table (tests/admission_case_table.py).

A case's change is a workload (`workload`) before and after; its freeze state is built from the
payments policy (`freeze`) and the hotfix exception (`exception`); its outcome is `ALLOWED`,
`denied(denial(ns, ...))` or `warned(...)`. Messages carry the namespace, so they are built for one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import PolicyTarget
from budgetwarden.core.policy.status_model import HeldTarget

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
RUNBOOK = "https://runbooks.example/slo-freeze"
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"
USER = "alice@example.com"
API_VERSIONS = {"Rollout": "argoproj.io/v1alpha1", "Deployment": "apps/v1"}
TEMPLATE = "pod template changes (new versions)"
CREATE = "creating workloads (new versions)"
UNPAUSE = "resuming a workload budgetwarden paused for this freeze"
MARKS = "changing the budgetwarden.io annotations that record this freeze"
RELABEL = "label changes that take a held workload out of its policy's targets"
PARTIAL_BUDGET = "SLO checkout-availability has 21.4% error budget left (below 30%)"
FULL_BUDGET = "SLO checkout-availability has 8.2% error budget left (below 10%)"


@dataclass(frozen=True)
class Outcome:
    """What the person making the change sees: the denial ("" when allowed) and warnings."""

    allowed: bool
    message: str = ""
    warnings: tuple[str, ...] = ()


ALLOWED = Outcome(True)


@dataclass(frozen=True)
class Change:
    """One request: CREATE (old None), UPDATE, DELETE (new None), maybe on a subresource."""

    operation: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    subresource: str = ""
    user: str = USER
    dry_run: bool = False

    @property
    def obj(self) -> dict[str, Any]:
        """The workload the request is about."""
        found = self.new if self.new is not None else self.old
        assert found is not None
        return found

    @property
    def kind(self) -> str:
        """Rollout or Deployment."""
        return str(self.obj["kind"])


@dataclass(frozen=True)
class AdmissionCase:
    """A change, the freeze state it meets, and what each mode answers."""

    id: str
    change: Change
    view: FreezeView
    webhook: Outcome
    vap: Outcome | None = None  # VAP mode's answer where it differs from the webhook's

    @property
    def vap_outcome(self) -> Outcome:
        """The outcome ValidatingAdmissionPolicy mode gives."""
        return self.vap or self.webhook


def workload(
    image: str = "shop/checkout:1.5.0",
    *,
    kind: str = "Rollout",
    name: str = "checkout",
    namespace: str = "shop",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    template_annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Rollout or Deployment the API server accepts; `spec` replaces fields."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": labels or {"app": name},
    }
    if annotations:
        metadata["annotations"] = annotations
    template_meta: dict[str, Any] = {"labels": {"app": name}}
    if template_annotations:
        template_meta["annotations"] = template_annotations
    return {
        "apiVersion": API_VERSIONS[kind],
        "kind": kind,
        "metadata": metadata,
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": template_meta,
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


def targets(*entries: dict[str, Any]) -> tuple[PolicyTarget, ...]:
    """Policy targets from their wire form."""
    return tuple(PolicyTarget.model_validate(entry) for entry in entries)


PAYMENTS_TARGETS = targets(
    {"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}},
    {"kind": "Deployment", "selector": {"matchLabels": {"app": "checkout-worker"}}},
)
STABLE = template_digest(workload("shop/checkout:1.4.1")["spec"]["template"])


def freeze(level: Level = Level.PARTIAL_FREEZE, **changes: Any) -> PolicyFreeze:
    """The payments policy (examples/05) at `level`, holding Rollout checkout."""
    full = level == Level.FULL_FREEZE
    policy = PolicyFreeze(
        policy="payments",
        level=level,
        targets=PAYMENTS_TARGETS,
        freeze_id="fz-7c2e",
        since=SINCE,
        slo="checkout-availability",
        remaining_percent=Decimal("8.23") if full else Decimal("21.4"),
        threshold_percent=Decimal("10") if full else Decimal("30"),
        runbook_url=RUNBOOK,
        held=(HeldTarget("Rollout", "checkout", stable_template=STABLE),),
    )
    return dataclasses.replace(policy, **changes)


def exception(
    namespace: str, covers: list[dict[str, str]] | None = None, **spec: Any
) -> FreezeException:
    """examples/06 (Rollout checkout, PartialFreeze, INC-4711) with spec fields replaced;
    `covers`: the workloads its status records its selectors matched."""
    raw: dict[str, Any] = {
        "metadata": {"name": "checkout-hotfix-4711", "namespace": namespace},
        "spec": {
            "targets": [{"kind": "Rollout", "name": "checkout"}],
            "maxLevel": "PartialFreeze",
            "reason": "Fix for the payment retry storm that is burning the budget.",
            "ticket": "INC-4711",
            "expiresAt": "2026-12-01T18:00:00Z",
            "approvedBy": "bob@example.com",
        }
        | spec,
    }
    if covers is not None:
        raw["status"] = {"covers": covers}
    return parse_exception(raw)


def denial(
    ns: str,
    level: str = "PartialFreeze",
    blocked: str = TEMPLATE,
    *,
    where: str = "Rollout/checkout",
    policy: str = "payments",
    freeze_id: str = "fz-7c2e",
    budget: str = "",
    resources_through: bool = True,
) -> str:
    """The whole one-line denial; `resources_through`: a PartialFreeze lets a change of only
    container resources through (spec.resourceChanges)."""
    facts = budget or (FULL_BUDGET if level == "FullFreeze" else PARTIAL_BUDGET)
    how = (
        "To ship anyway, an approver creates a FreezeException with maxLevel FullFreeze"
        if level == "FullFreeze"
        else "To ship a critical fix, an approver creates a FreezeException"
    )
    resources = level == "PartialFreeze" and resources_through
    allowed = "scaling, resources," if resources else "scaling,"
    return (
        f"[budgetwarden] {level} on {ns}/{where}: {facts} under policy {policy} since"
        f" 2026-11-29T10:14:00Z. Blocked: {blocked}. Still allowed: rollbacks to the stable"
        f" version, {allowed} pausing, restarts, metadata changes. {how} (kubectl explain"
        f" freezeexception; runbook: {RUNBOOK}). Freeze {freeze_id}."
    )


def denied(message: str) -> Outcome:
    """A denial."""
    return Outcome(False, message)


def warned(*warnings: str) -> Outcome:
    """Allowed, with warnings."""
    return Outcome(True, "", warnings)


def hotfix_warning(ns: str, level: str = "PartialFreeze") -> str:
    """The warning a change shipped under examples/06 gets."""
    return (
        f"[budgetwarden] {level} on {ns}/Rollout/checkout: allowed by FreezeException"
        " checkout-hotfix-4711 (ticket INC-4711, expires 2026-12-01T18:00:00Z) under policy"
        " payments. Freeze fz-7c2e."
    )


@dataclass(frozen=True)
class Scene:
    """The workloads the cases change, in namespace `ns`: checkout (a Rollout) and its worker."""

    ns: str

    def w(self, image: str = "shop/checkout:1.5.0", **fields: Any) -> dict[str, Any]:
        """The checkout Rollout at `image`, with `fields` replaced."""
        return workload(image, namespace=self.ns, **fields)

    def worker(self, image: str, **fields: Any) -> dict[str, Any]:
        """The checkout-worker Deployment the payments policy also selects."""
        return self.w(image, kind="Deployment", name="checkout-worker", **fields)

    def ex(self, view: FreezeView, **spec: Any) -> FreezeView:
        """`view` with examples/06 (spec fields replaced) in force in the namespace."""
        return FreezeView(view.policies, (exception(self.ns, **spec),))

    @property
    def running(self) -> dict[str, Any]:
        """checkout as it runs before the change."""
        return self.w("shop/checkout:1.4.2")

    @property
    def paused(self) -> dict[str, Any]:
        """checkout paused by a person."""
        return self.w("shop/checkout:1.4.2", paused=True)

    @property
    def update(self) -> Change:
        """checkout updated to a new image."""
        return Change("UPDATE", self.running, self.w())
