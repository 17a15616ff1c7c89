"""The admission case table, by theme; tests import it through tests/admission_cases.py.

Each theme is a function of the namespace `ns` the messages name; `cases(ns)` is all of them in
table order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from admission_case_metadata import guarded_metadata_cases, workload_ref_cases
from admission_case_resources import resources_cases
from admission_case_status import status_cases
from admission_case_support import (
    ALLOWED,
    CREATE,
    OPERATOR,
    UNPAUSE,
    AdmissionCase,
    Change,
    Scene,
    denial,
    denied,
    exception,
    freeze,
    hotfix_warning,
    targets,
    warned,
)
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget

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
CHECKOUT = {"kind": "Rollout", "name": "checkout"}
NO_READING = "SLO checkout-availability has no current error budget reading (metrics unavailable)"
PLATFORM = {"policy": "platform", "freeze_id": "fz-91ab", "held": ()}
BURN = "burns 16.2x over 1h and 18x over 5m"  # short: the test namespaces are long
THAW = datetime(2026, 11, 29, 10, 44, tzinfo=UTC)
BURNING = (
    "SLO checkout-availability has 99.0% error budget left; frozen by burns 16.2x over 1h and 18x"
    " over 5m, earliest thaw 2026-11-29T10:44:00Z"
)
TIERED = {"app": "checkout", "tier": "web"}
BATCH = {"app": "checkout", "tier": "batch"}
PARTIAL = FreezeView((freeze(),))
FULL = FreezeView((freeze(Level.FULL_FREEZE),))


def _unknown(ns: str, policy: str) -> str:
    return (
        f"[budgetwarden] Unknown on {ns}/Rollout/checkout: policy {policy} has no error budget"
        " level yet; this change was not checked."
    )


def _new_version_cases(ns: str) -> list[AdmissionCase]:
    """A new version of a selected workload meets a freeze."""
    s = Scene(ns)
    w, worker, running, new, update = s.w, s.worker, s.running, s.w(), s.update
    partial, full, C = PARTIAL, FULL, AdmissionCase
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
    ]  # fmt: skip


def _below_freeze_cases(ns: str) -> list[AdmissionCase]:
    """Levels that do not freeze, and workloads no policy selects."""
    s = Scene(ns)
    w, running, update, partial = s.w, s.running, s.update, PARTIAL
    C, A = AdmissionCase, ALLOWED
    return [
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
    ]  # fmt: skip


def _still_allowed_cases(ns: str) -> list[AdmissionCase]:
    """What a full freeze still allows: rollbacks, scaling, pausing, metadata, restarts."""
    s = Scene(ns)
    w, worker, running, paused, new, full = s.w, s.worker, s.running, s.paused, s.w(), FULL
    C, A = AdmissionCase, ALLOWED
    return [
        C("a rollback to the recorded stable template is allowed during a full freeze",
          Change("UPDATE", new, w("shop/checkout:1.4.1")), full, A,
          vap=denied(denial(ns, "FullFreeze"))),
        C("scaling during a full freeze is allowed",
          Change("UPDATE", running, w("shop/checkout:1.4.2", replicas=12)), full, A),
        C("pausing during a full freeze is allowed", Change("UPDATE", running, paused), full, A),
        C("a label-only change during a full freeze is allowed",
          Change("UPDATE", running, w("shop/checkout:1.4.2", labels=TIERED)), full, A),
        C("kubectl rollout restart of a selected Deployment during a full freeze is allowed",
          Change("UPDATE", worker("w:3"), worker("w:3", template_annotations=RESTARTED)), full, A),
        C("deleting during a full freeze is allowed", Change("DELETE", running, None), full, A),
        C("an update through the status subresource is allowed",
          Change("UPDATE", running, running | {"status": {"phase": "Paused"}},
                 subresource="status"), full, A),
    ]  # fmt: skip


def _resume_cases(ns: str) -> list[AdmissionCase]:
    """Resuming what budgetwarden paused, what a person paused, and the operator's own change."""
    s = Scene(ns)
    running, paused, new, partial, full = s.running, s.paused, s.w(), PARTIAL, FULL
    paused_by_us = s.w("shop/checkout:1.4.2", paused=True, annotations={ANNOTATION_PAUSED_BY: "bw"})
    C, A = AdmissionCase, ALLOWED
    return [
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
    ]  # fmt: skip


def _exception_cases(ns: str) -> list[AdmissionCase]:
    """FreezeExceptions: what they cover and what they do not."""
    s = Scene(ns)
    ex, update, partial, full, C = s.ex, s.update, PARTIAL, FULL, AdmissionCase
    return [
        C("a FreezeException naming the Rollout lets a new image through, with a warning",
          update, ex(partial), warned(hotfix_warning(ns))),
        C("a FreezeException whose selector matched the workload when it was recorded counts",
          update, ex(partial, targets=BY_LABEL, covers=[CHECKOUT]), warned(hotfix_warning(ns))),
        C("a selector exception covers nothing until its status records what it matched",
          update, ex(partial, targets=BY_LABEL), denied(denial(ns))),
        C("a workload labelled into a selector after it was recorded is not covered",
          update, ex(partial, targets=BY_LABEL, covers=[{"kind": "Rollout", "name": "search"}]),
          denied(denial(ns))),
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
    ]  # fmt: skip


def _enforcement_and_create_cases(ns: str) -> list[AdmissionCase]:
    """Enforcement Warn and DryRun, and creating workloads during a freeze."""
    s = Scene(ns)
    w, update, new, partial = s.w, s.update, s.w(), PARTIAL
    C, A = AdmissionCase, ALLOWED
    return [
        C("enforcement Warn allows and shows the denial as a warning",
          update, FreezeView((freeze(enforcement="Warn"),)), warned(denial(ns))),
        C("enforcement DryRun allows silently and records the denial it would make",
          update, FreezeView((freeze(enforcement="DryRun"),)), A),
        C("creating a Rollout the frozen policy selects is denied: it is a new version",
          Change("CREATE", None, new), partial, denied(denial(ns, blocked=CREATE))),
        C("creating a Rollout no policy selects is allowed",
          Change("CREATE", None, w("s:1", name="search")), partial, A),
    ]  # fmt: skip


def _selection_cases(ns: str) -> list[AdmissionCase]:
    """Which workloads a policy holds: old labels, matchExpressions, kinds."""
    s = Scene(ns)
    w, running, partial, tiered, batch = s.w, s.running, PARTIAL, TIERED, BATCH
    C, A = AdmissionCase, ALLOWED
    return [
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
    ]  # fmt: skip


def _freeze_fact_cases(ns: str) -> list[AdmissionCase]:
    """A freeze without metrics, and several policies freezing at once."""
    update, C = Scene(ns).update, AdmissionCase
    return [
        C("a freeze a burn-rate trigger keeps names the burn and the earliest thaw",
          update, FreezeView((freeze(remaining_percent=Decimal("99.0"), threshold_percent=None,
                                     cause=BURN, earliest_thaw=THAW),)),
          denied(denial(ns, budget=BURNING))),
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


def cases(ns: str = "shop") -> list[AdmissionCase]:
    """Every case, for workloads in namespace `ns`."""
    return [
        *_new_version_cases(ns),
        *_below_freeze_cases(ns),
        *_still_allowed_cases(ns),
        *_resume_cases(ns),
        *_exception_cases(ns),
        *_enforcement_and_create_cases(ns),
        *_selection_cases(ns),
        *guarded_metadata_cases(ns),
        *workload_ref_cases(ns),
        *status_cases(ns),
        *resources_cases(ns),
        *_freeze_fact_cases(ns),
    ]
