"""Selector targets resolved once: what status.covers records, how it is read, and where the
record (not the workload's current labels) decides: the webhook's view and VAP params."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from admission_case_support import exception
from budgetwarden.core.freeze.exception_covers import needs_covers, resolve_covers
from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.freeze.vap_exceptions import approver_recorder, exception_policies
from budgetwarden.core.freeze.vap_params import params_data
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.workload import Workload
from budgetwarden.core.policy.spec import TargetKind
from budgetwarden.runtime.registry import Registry
from exception_admission_support import NOW

ROLLOUT, DEPLOYMENT = TargetKind.ROLLOUT, TargetKind.DEPLOYMENT
CHECKOUT = {"matchLabels": {"app": "checkout"}}
BY_LABEL = [{"kind": "Rollout", "selector": CHECKOUT}, {"kind": "Deployment", "name": "worker"}]


def workload(kind: TargetKind, name: str, namespace: str = "shop", **labels: str) -> Workload:
    return Workload(kind, namespace, name, labels=labels)


def test_the_record_names_the_workloads_of_the_kind_the_selector_matches_in_the_namespace() -> None:
    workloads = [
        workload(ROLLOUT, "checkout", app="checkout"),
        workload(ROLLOUT, "checkout-canary", app="checkout", track="canary"),
        workload(ROLLOUT, "search", app="search"),
        workload(DEPLOYMENT, "checkout", app="checkout"),  # a Deployment: not the target's kind
        workload(ROLLOUT, "checkout", "elsewhere", app="checkout"),  # another namespace
    ]
    assert resolve_covers(exception("shop", targets=BY_LABEL), workloads) == [
        {"kind": "Rollout", "name": "checkout"},
        {"kind": "Rollout", "name": "checkout-canary"},
    ]


@pytest.mark.parametrize(
    ("targets", "status", "expires", "expected"),
    [
        pytest.param(BY_LABEL, None, "2026-11-29T18:00:00Z", True,
                     id="a selector exception seen for the first time is resolved"),
        pytest.param(BY_LABEL, {"covers": []}, "2026-11-29T18:00:00Z", False,
                     id="once recorded, even as nothing, it is never resolved again"),
        pytest.param([{"kind": "Rollout", "name": "checkout"}], None, "2026-11-29T18:00:00Z",
                     False, id="name targets need no record"),
        pytest.param(BY_LABEL, None, "2026-11-29T11:00:00Z", False,
                     id="an expired exception is not resolved"),
    ],
)  # fmt: skip
def test_what_is_resolved_and_when(
    targets: list[dict[str, Any]], status: dict[str, Any] | None, expires: str, expected: bool
) -> None:
    found = exception("shop", targets=targets, expiresAt=expires)
    assert needs_covers(found, status, NOW) is expected


def test_status_covers_is_read_leniently_and_only_from_status() -> None:
    body = {
        "metadata": {"name": "hotfix", "namespace": "shop"},
        "spec": {"targets": BY_LABEL, "reason": "fix", "expiresAt": "2026-11-29T18:00:00Z"},
        "covers": [{"kind": "Rollout", "name": "typed-into-the-object"}],
        "status": {"covers": [{"kind": "Rollout", "name": "checkout"}, {"kind": 3}, "junk"]},
    }
    assert parse_exception(body).covers == {("Rollout", "checkout")}
    assert parse_exception({**body, "status": {"covers": "everything"}}).covers == frozenset()
    registry = Registry()
    registry.observe("freezeexceptions", None, body)
    assert registry.exceptions_in("shop")[0].covers == {("Rollout", "checkout")}


def test_params_name_the_recorded_workloads_and_never_a_selector() -> None:
    recorded = exception("shop", targets=BY_LABEL, covers=[{"kind": "Rollout", "name": "checkout"}])
    unrecorded = exception("shop", targets=BY_LABEL[:1])
    assert params_data(FreezeView((), (recorded,)), "shop", NOW)["exception.0.targets"] == (
        "Rollout/checkout\nDeployment/worker"
    )
    assert "exception.0.targets" not in params_data(FreezeView((), (unrecorded,)), "shop", NOW)


def test_vap_refuses_service_account_approvers_unless_allowed() -> None:
    def expressions(**allow: bool) -> list[str]:
        policy = exception_policies(timedelta(hours=24), recorded=True, **allow)[0]
        return [v["expression"] for v in policy["spec"]["validations"]]

    refusing = [e for e in expressions() if "startsWith('system:serviceaccount:')" in e]
    assert (len(refusing), len(expressions()) - len(expressions(allow_service_accounts=True))) == (
        1,
        1,
    )
    recorder = approver_recorder()[0]["spec"]
    assert recorder["matchConstraints"]["resourceRules"][0]["operations"] == ["CREATE", "UPDATE"]
