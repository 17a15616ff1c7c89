"""The admission cases every enforcement mode answers: one table, whole expected outcomes.

A case is a change to a workload (operation, old and new object, who makes it) under a freeze
state (the namespace's `FreezeView`), and the outcome a person sees: allowed or denied, the
denial message, the warnings in order. tests/unit/test_vap.py holds the webhook's decision
(core.freeze.admission.decide) to each `webhook` outcome; tests/integration/test_vap.py makes each
change with kubectl against the ValidatingAdmissionPolicies on a real API server and holds it
to `vap_outcome` (the webhook's unless a case says otherwise; docs/admission-vap.md explains
every difference). Messages carry the namespace, so the table is built for one: `cases(ns)`.
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
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import PolicyTarget
from budgetwarden.core.policy.status import HeldTarget

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
RUNBOOK = "https://runbooks.example/slo-freeze"
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"
USER = "alice@example.com"
API_VERSIONS = {
    "Rollout": "argoproj.io/v1alpha1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
}
TEMPLATE = "pod template changes (new versions)"
CREATE = "creating workloads (new versions)"
UNPAUSE = "resuming a workload budgetwarden paused for this freeze"
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
        """Rollout, Deployment or StatefulSet."""
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


# --- Building blocks -------------------------------------------------------------------------
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
    """A Rollout, Deployment or StatefulSet the API server accepts; `spec` replaces fields."""
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


def exception(namespace: str, **spec: Any) -> FreezeException:
    """examples/06 (Rollout checkout, PartialFreeze, INC-4711) with spec fields replaced."""
    raw = {
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
) -> str:
    """The whole one-line denial."""
    facts = budget or (FULL_BUDGET if level == "FullFreeze" else PARTIAL_BUDGET)
    how = (
        "To ship anyway, an approver creates a FreezeException with maxLevel FullFreeze"
        if level == "FullFreeze"
        else "To ship a critical fix, an approver creates a FreezeException"
    )
    return (
        f"[budgetwarden] {level} on {ns}/{where}: {facts} under policy {policy} since"
        f" 2026-11-29T10:14:00Z. Blocked: {blocked}. Still allowed: rollbacks to the stable"
        f" version, scaling, pausing, restarts, metadata changes. {how} (kubectl explain"
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


# --- The table -------------------------------------------------------------------------------
EXPRESSIONS = targets(
    {
        "kind": "Rollout",
        "selector": {
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": ["cart", "checkout"]},
                {"key": "tier", "operator": "NotIn", "values": ["batch"]},
                {"key": "tier", "operator": "Exists"},
                {"key": "canary", "operator": "DoesNotExist"},
            ]
        },
    }
)
NOT_BATCH = targets(
    {
        "kind": "Rollout",
        "selector": {
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch", "cron"]}]
        },
    }
)


def ref(name: str) -> dict[str, str]:
    """A Rollout's workloadRef to a Deployment."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


RESTARTED = {"kubectl.kubernetes.io/restartedAt": "2026-11-29T11:58:00Z"}
BY_LABEL = [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]
NO_READING = "SLO checkout-availability has no current error budget reading (metrics unavailable)"
PLATFORM = {"policy": "platform", "freeze_id": "fz-91ab", "held": ()}


def _unknown(ns: str, policy: str) -> str:
    return (
        f"[budgetwarden] Unknown on {ns}/Rollout/checkout: policy {policy} has no error budget"
        " level yet; this change was not checked."
    )


def cases(ns: str = "shop") -> list[AdmissionCase]:
    """Every case, for workloads in namespace `ns`."""

    def w(image: str = "shop/checkout:1.5.0", **fields: Any) -> dict[str, Any]:
        return workload(image, namespace=ns, **fields)

    def worker(image: str, **fields: Any) -> dict[str, Any]:
        return w(image, kind="Deployment", name="checkout-worker", **fields)

    def ex(view: FreezeView, **spec: Any) -> FreezeView:
        return FreezeView(view.policies, (exception(ns, **spec),))

    running, new = w("shop/checkout:1.4.2"), w()
    paused = w("shop/checkout:1.4.2", paused=True)
    paused_by_us = w("shop/checkout:1.4.2", paused=True, annotations={ANNOTATION_PAUSED_BY: "bw"})
    tiered = {"app": "checkout", "tier": "web"}
    batch = {"app": "checkout", "tier": "batch"}
    partial, full = FreezeView((freeze(),)), FreezeView((freeze(Level.FULL_FREEZE),))
    update = Change("UPDATE", running, new)
    C, A = AdmissionCase, ALLOWED
    return [
        C("a new image during a partial freeze is denied with the whole message",
          update, partial, denied(denial(ns))),
        C("a new image during a full freeze is denied, naming the exception it needs",
          update, full, denied(denial(ns, "FullFreeze"))),
        C("a server-side dry run of a new image gets the same denial",
          Change("UPDATE", running, new, dry_run=True), partial, denied(denial(ns))),
        C("a new image of a selected Deployment during a partial freeze is denied",
          Change("UPDATE", worker("w:1"), worker("w:2")), partial,
          denied(denial(ns, where="Deployment/checkout-worker"))),
        C("pointing a Rollout at another workloadRef is a new version",
          Change("UPDATE", w("shop/checkout:1.4.2", workloadRef=ref("checkout-v1")),
                 w("shop/checkout:1.4.2", workloadRef=ref("checkout-v2"))),
          partial, denied(denial(ns))),
        C("a new image under Normal is allowed without a word",
          update, FreezeView((freeze(Level.NORMAL),)), A),
        C("a workload no policy selects is allowed during a freeze",
          Change("UPDATE", w("s:1", name="search"), w("s:2", name="search")), partial, A),
        C("a new image at Warning is allowed with a warning",
          update,
          FreezeView((freeze(Level.WARNING, freeze_id="", remaining_percent=Decimal("41.58"),
                             threshold_percent=Decimal("50.0")),)),
          warned(f"[budgetwarden] Warning on {ns}/Rollout/checkout: SLO checkout-availability"
                 " has 41.5% error budget left (below 50%) under policy payments. New versions"
                 " are still allowed; a freeze would block them.")),
        C("scaling at Warning is allowed without a warning",
          Change("UPDATE", running, w("shop/checkout:1.4.2", replicas=8)),
          FreezeView((freeze(Level.WARNING, freeze_id=""),)), A),
        C("a policy with no level yet lets a new image through with a not-checked warning",
          update, FreezeView((freeze(Level.UNKNOWN, freeze_id=""),)),
          warned(_unknown(ns, "payments"))),
        C("two policies with no level give one warning each, in policy order",
          update,
          FreezeView((freeze(Level.UNKNOWN, freeze_id=""),
                      freeze(Level.UNKNOWN, policy="cart", freeze_id=""))),
          warned(_unknown(ns, "cart"), _unknown(ns, "payments"))),
        C("a rollback to the recorded stable template is allowed during a full freeze",
          Change("UPDATE", new, w("shop/checkout:1.4.1")), full, A,
          vap=denied(denial(ns, "FullFreeze"))),
        C("scaling during a full freeze is allowed",
          Change("UPDATE", running, w("shop/checkout:1.4.2", replicas=12)), full, A),
        C("pausing during a full freeze is allowed", Change("UPDATE", running, paused), full, A),
        C("a label-only change during a full freeze is allowed",
          Change("UPDATE", running, w("shop/checkout:1.4.2", labels=tiered)), full, A),
        C("kubectl rollout restart of a selected Deployment during a full freeze is allowed",
          Change("UPDATE", worker("w:3"), worker("w:3", template_annotations=RESTARTED)), full, A),
        C("deleting during a full freeze is allowed", Change("DELETE", running, None), full, A),
        C("an update through the status subresource is allowed",
          Change("UPDATE", running, running | {"status": {"phase": "Paused"}},
                 subresource="status"), full, A),
        C("resuming a Rollout annotated as paused by budgetwarden is denied",
          Change("UPDATE", paused_by_us, running), partial, denied(denial(ns, blocked=UNPAUSE))),
        C("resuming a Rollout the policy status records as paused by us is denied",
          Change("UPDATE", paused, running),
          FreezeView((freeze(held=(HeldTarget("Rollout", "checkout", paused_by_us=True),)),)),
          denied(denial(ns, blocked=UNPAUSE))),
        C("resuming a Rollout a person paused is allowed",
          Change("UPDATE", paused, running), partial, A),
        C("the operator's own change is allowed",
          Change("UPDATE", running, new, user=OPERATOR), full, A),
        C("a FreezeException naming the Rollout lets a new image through, with a warning",
          update, ex(partial), warned(hotfix_warning(ns))),
        C("a FreezeException selecting the workload's labels counts",
          update, ex(partial, targets=BY_LABEL), warned(hotfix_warning(ns))),
        C("a PartialFreeze exception does not cover a full freeze",
          update, ex(full), denied(denial(ns, "FullFreeze"))),
        C("a FullFreeze exception covers a full freeze",
          update, ex(full, maxLevel="FullFreeze"), warned(hotfix_warning(ns, "FullFreeze"))),
        C("an exception expiring exactly now no longer counts",
          update, ex(partial, expiresAt="2026-11-29T12:00:00Z"), denied(denial(ns))),
        C("an exception for another workload does not count",
          update, ex(partial, targets=[{"kind": "Rollout", "name": "search"}]),
          denied(denial(ns))),
        C("an exception for a Deployment of the same name does not cover the Rollout",
          update, ex(partial, targets=[{"kind": "Deployment", "name": "checkout"}]),
          denied(denial(ns))),
        C("an exception in another namespace does not count",
          update, FreezeView(partial.policies, (exception("elsewhere"),)), denied(denial(ns))),
        C("enforcement Warn allows and shows the denial as a warning",
          update, FreezeView((freeze(enforcement="Warn"),)), warned(denial(ns))),
        C("enforcement DryRun allows silently and records the denial it would make",
          update, FreezeView((freeze(enforcement="DryRun"),)), A),
        C("creating a Rollout the frozen policy selects is denied: it is a new version",
          Change("CREATE", None, new), partial, denied(denial(ns, blocked=CREATE))),
        C("creating a Rollout no policy selects is allowed",
          Change("CREATE", None, w("s:1", name="search")), partial, A),
        C("relabelling a held Rollout in the same update does not free it",
          Change("UPDATE", running, w(labels={"app": "elsewhere"})), partial,
          denied(denial(ns))),
        C("a policy whose targets select the old labels still holds the workload",
          Change("UPDATE", running, w(labels={"app": "elsewhere"})),
          FreezeView((freeze(held=()),)), denied(denial(ns))),
        C("a policy selecting by matchExpressions holds the workload",
          Change("UPDATE", w("shop/checkout:1.4.2", labels=tiered), w(labels=tiered)),
          FreezeView((freeze(held=(), targets=EXPRESSIONS),)), denied(denial(ns))),
        C("a NotIn requirement leaves the workload out",
          Change("UPDATE", w("shop/checkout:1.4.2", labels=batch), w(labels=batch)),
          FreezeView((freeze(held=(), targets=NOT_BATCH),)), A),
        C("a StatefulSet is judged, and no target kind selects one",
          Change("UPDATE", w("d:1", kind="StatefulSet", name="db"),
                 w("d:2", kind="StatefulSet", name="db")), partial, A),
        C("a freeze held without metrics says there is no budget reading",
          update, FreezeView((freeze(remaining_percent=None, threshold_percent=None),)),
          denied(denial(ns, budget=NO_READING))),
        C("an enforced full freeze outranks a warn-only partial one and names its policy",
          update, FreezeView((freeze(enforcement="Warn"), freeze(Level.FULL_FREEZE, **PLATFORM))),
          denied(denial(ns, "FullFreeze", policy="platform", freeze_id="fz-91ab"))),
        C("a warn-only freeze shows its warning while a DryRun freeze is only recorded",
          update,
          FreezeView((freeze(enforcement="DryRun"), freeze(enforcement="Warn", **PLATFORM))),
          warned(denial(ns, policy="platform", freeze_id="fz-91ab"))),
    ]  # fmt: skip


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
