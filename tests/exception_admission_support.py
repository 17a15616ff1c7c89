"""What the FreezeException admission tests (tests/unit/test_exception_admission_*.py) build
requests from: examples/06 with fields replaced, and the review the API server sends for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ALICE = "alice@example.com"


def exception_object(**spec: Any) -> dict[str, Any]:
    """examples/06 expiring at 18:00 today, spec fields replaced (None removes one)."""
    raw: dict[str, Any] = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    raw["spec"]["expiresAt"] = "2026-11-29T18:00:00Z"
    for key, value in spec.items():
        if value is None:
            raw["spec"].pop(key, None)
        else:
            raw["spec"][key] = value
    return raw


def review(
    new: object,
    old: object = None,
    *,
    operation: str = "CREATE",
    user: str = ALICE,
    kind: str = "FreezeException",
) -> dict[str, Any]:
    """An AdmissionReview v1 request for a FreezeException."""
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "b0c1",
            "kind": {"group": "budgetwarden.io", "version": "v1alpha1", "kind": kind},
            "namespace": "shop",
            "operation": operation,
            "userInfo": {"username": user, "groups": ["approvers", "system:authenticated"]},
            "object": new,
            "oldObject": old,
        },
    }


FORGED = (
    '[budgetwarden] spec.approvedBy: is recorded from the request and must be "alice@example.com"'
    ' (who is creating this FreezeException); got "carol@example.com". Remove the field, or have'
    " that person create the exception."
)

RECORD_ALICE = ({"op": "add", "path": "/spec/approvedBy", "value": ALICE},)
BOB = "bob@example.com"
GITOPS = "system:serviceaccount:argocd:argocd-application-controller"


def update(user: str = BOB, old: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """An UPDATE by `user` of alice's exception (`old`, else examples/06 until 18:00) with the
    spec fields in `spec` replaced."""
    before = old if old is not None else exception_object(approvedBy=ALICE)
    after = {**before, "spec": {**before["spec"], **spec}}
    return review(after, before, operation="UPDATE", user=user)
