"""Two themes of the admission case table: the metadata a freeze guards besides new versions,
and the Deployment that holds the template of a Rollout with spec.workloadRef.

tests/admission_case_table.py includes these cases in its table.
"""

from __future__ import annotations

from admission_case_support import (
    ALLOWED,
    MARKS,
    OPERATOR,
    RELABEL,
    AdmissionCase,
    Change,
    Scene,
    denial,
    denied,
    freeze,
)
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY, ANNOTATION_STABLE_TEMPLATE
from budgetwarden.core.policy.status_model import HeldTarget

PARTIAL = FreezeView((freeze(),))


def guarded_metadata_cases(ns: str) -> list[AdmissionCase]:
    """The metadata a freeze guards on a workload it holds: labels that release it, and the
    budgetwarden.io annotations that record the freeze."""
    s = Scene(ns)
    running, partial, C, A = s.running, PARTIAL, AdmissionCase, ALLOWED
    forged = {ANNOTATION_STABLE_TEMPLATE: "sha256:forged"}
    paused_by = {ANNOTATION_PAUSED_BY: "budgetwarden/payments/fz-7c2e"}
    return [
        C("relabelling a held Rollout out of its policy's targets is refused",
          Change("UPDATE", running, s.w("shop/checkout:1.4.2", labels={"app": "elsewhere"})),
          partial, denied(denial(ns, blocked=RELABEL))),
        C("a label change that keeps a held Rollout selected is allowed",
          Change("UPDATE", running,
                 s.w("shop/checkout:1.4.2", labels={"app": "checkout", "team": "pay"})),
          partial, A),
        C("relabelling a Rollout the freeze does not hold yet is allowed",
          Change("UPDATE", running, s.w("shop/checkout:1.4.2", labels={"app": "elsewhere"})),
          FreezeView((freeze(held=()),)), A),
        C("writing a budgetwarden.io annotation on a held Rollout is refused",
          Change("UPDATE", running, s.w("shop/checkout:1.4.2", annotations=forged)),
          partial, denied(denial(ns, blocked=MARKS))),
        C("stripping paused-by from a held Rollout is refused",
          Change("UPDATE", s.w("shop/checkout:1.4.2", annotations=paused_by), running),
          partial, denied(denial(ns, blocked=MARKS))),
        C("another annotation of a held Rollout may change",
          Change("UPDATE", running,
                 s.w("shop/checkout:1.4.2", annotations={"team.example/owner": "pay"})),
          partial, A),
        C("a rollback that drops the marks, as kubectl rollout undo does, is a rollback",
          Change("UPDATE", s.w(annotations=paused_by), s.w("shop/checkout:1.4.1")), partial, A,
          vap=denied(denial(ns))),
        C("the operator writes its own marks during a freeze",
          Change("UPDATE", running, s.w("shop/checkout:1.4.2", annotations=forged),
                 user=OPERATOR), partial, A),
    ]  # fmt: skip


def workload_ref_cases(ns: str) -> list[AdmissionCase]:
    """A held Rollout whose template lives in Deployment checkout-template (spec.workloadRef):
    a change to that Deployment is a change to the Rollout."""
    s = Scene(ns)
    C, A = AdmissionCase, ALLOWED

    def template(image: str) -> dict[str, object]:
        return s.w(image, kind="Deployment", name="checkout-template")

    stable = template_digest(template("shop/checkout:1.4.1")["spec"]["template"])
    held = HeldTarget("Rollout", "checkout", True, stable, template_from="checkout-template")
    by_ref = FreezeView((freeze(held=(held,)),))
    where = "Deployment/checkout-template"
    return [
        C("a new version in the Deployment a held Rollout's workloadRef names is refused",
          Change("UPDATE", template("shop/checkout:1.4.2"), template("shop/checkout:1.5.0")),
          by_ref, denied(denial(ns, where=where))),
        C("going back to the held Rollout's stable template there is a rollback",
          Change("UPDATE", template("shop/checkout:1.5.0"), template("shop/checkout:1.4.1")),
          by_ref, A, vap=denied(denial(ns, where=where))),
        C("resuming that Deployment is not resuming the Rollout budgetwarden paused",
          Change("UPDATE", template("shop/checkout:1.4.2") | {"spec": template(
              "shop/checkout:1.4.2")["spec"] | {"paused": True}}, template("shop/checkout:1.4.2")),
          by_ref, A),
        C("a Deployment no held Rollout's workloadRef names is not judged",
          Change("UPDATE", template("shop/checkout:1.4.2"), template("shop/checkout:1.5.0")),
          FreezeView((freeze(),)), A),
    ]  # fmt: skip
