"""Policies in force in ValidatingAdmissionPolicy mode, on a real API server.

The operator runs in VAP mode (as in test_vap_operator.py) and installs the guard; its own user is
the test's admin. A developer holding only the edit rules and the policy editor's verbs (the
chart's default aggregation) tries to lift the payments freeze by weakening or deleting the
policy; the same changes go through once the policy is Normal. Every change of
tests/policy_guard_support.py `CHANGES` is then tried as a server-side dry run, so the CEL says
field by field what the webhook says (tests/unit/test_policy_guard.py), word for word.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kopf.testing import KopfRunner

from admission_cases import parked_freeze_policies
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import example, get, wait_for
from policy_guard_support import (
    CHECKOUT,
    as_editor,
    every_change,
    message,
    patch_spec,
    policy_editor,
    refused,
)
from webhook_support import freeze

pytestmark = pytest.mark.cluster
INSTALLED = [
    (kind, name)
    for name in ("budgetwarden-admission-params", "budgetwarden-freezeexceptions",
                 "budgetwarden-policies-in-force")
    for kind in ("validatingadmissionpolicybinding", "validatingadmissionpolicy")
] + [(f"mutatingadmissionpolicy{part}", "budgetwarden-exception-approver")
     for part in ("binding", "")]  # fmt: skip


@pytest.fixture
def operator(
    cluster: Cluster, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    """The operator in VAP mode for `namespace` (opted in), its policies removed afterwards."""
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    policy_editor(cluster, namespace)
    monkeypatch.setenv("BUDGETWARDEN_ADMISSION_MODE", "vap")
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", "off")
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)
    args = ["run", "--standalone", "--namespace", namespace, "-m", "budgetwarden.handlers"]
    try:
        with KopfRunner(args, timeout=60) as runner:
            wait_for(
                "the policy guard to be installed",
                lambda: get(cluster, "validatingadmissionpolicybinding",
                            "budgetwarden-policies-in-force", "") is not None,
            )  # fmt: skip
            yield runner
        assert runner.exit_code == 0, runner.output
    finally:
        cluster.kubectl("apply", "-f", "-", input=json.dumps(parked_freeze_policies()))
        for kind, name in INSTALLED:
            cluster.kubectl("delete", kind, name, "--ignore-not-found")


def refused_until_in_force(cluster: Cluster, namespace: str) -> None:
    """Dry-run a weakening until the API server refuses it (a new policy takes a moment)."""
    wait_for(
        "the guard to refuse",
        lambda: not patch_spec(cluster, namespace, {"inFlight": "Ignore"}, "--dry-run=server")[0],
    )


def test_edit_cannot_weaken_or_delete_a_frozen_policy_but_may_once_it_is_normal(
    cluster: Cluster, namespace: str, operator: KopfRunner
) -> None:
    freeze(cluster, namespace, "PartialFreeze", "21.4")
    refused_until_in_force(cluster, namespace)
    level = "PartialFreeze"
    warn = patch_spec(cluster, namespace, {"enforcement": "Warn"})
    one_target = patch_spec(cluster, namespace, {"targets": [CHECKOUT]})
    deleted = as_editor(cluster, namespace, "delete", "ebp", "payments")
    assert warn == (False, message("payments", level, refused(("spec.enforcement",))))
    assert one_target == (False, message("payments", level, refused(("spec.targets",))))
    assert deleted == (False, message("payments", level, refused(())))
    stored = get(cluster, "errorbudgetpolicy", "payments", namespace)
    assert stored is not None
    assert stored["spec"] == example("05-policy.yaml", namespace)["spec"]

    freeze(cluster, namespace, "Normal", "63.2")
    assert patch_spec(cluster, namespace, {"enforcement": "Warn"})[0]
    assert patch_spec(cluster, namespace, {"targets": [CHECKOUT]})[0]
    assert as_editor(cluster, namespace, "delete", "ebp", "payments")[0]


def test_every_change_gets_the_webhooks_answer_and_the_operator_passes(
    cluster: Cluster, namespace: str, operator: KopfRunner
) -> None:
    freeze(cluster, namespace, "FullFreeze", "8.2")
    refused_until_in_force(cluster, namespace)
    answers, expected = every_change(cluster, namespace, "FullFreeze")
    assert answers == expected
    body = json.dumps({"spec": {"enforcement": "DryRun"}})
    own = cluster.kubectl(
        "patch", "ebp", "payments", "-n", namespace, "--type=merge", "-p", body, "--dry-run=server"
    )  # the operator's own user (the test's admin) is never judged
    assert own.returncode == 0
