"""Policies in force in webhook mode, on a real API server.

The configurations come from `budgetwarden webhook render` and the operator serves them
(tests/webhook_support.py). A developer holding only the edit rules and the policy editor's verbs
(the chart's default aggregation) tries to lift the payments freeze by weakening or deleting the
policy; the same changes go through once the policy is Normal. Every change of
tests/policy_guard_support.py `CHANGES` is then tried as a server-side dry run, so the API server
gets, field by field, the answer the decision's unit tests expect.
"""

from __future__ import annotations

import json

import pytest
from kopf.testing import KopfRunner

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
from webhook_support import (
    certs_fixture,  # noqa: F401
    enforced_fixture,  # noqa: F401
    freeze,
    operator_fixture,  # noqa: F401
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
)

pytestmark = pytest.mark.cluster


def in_force(cluster: Cluster, namespace: str) -> None:
    """Dry-run a weakening until the webhook refuses it (its server may still be starting)."""
    policy_editor(cluster, namespace)
    wait_for(
        "the webhook to refuse",
        lambda: not patch_spec(cluster, namespace, {"inFlight": "Ignore"}, "--dry-run=server")[0],
    )


def test_edit_cannot_weaken_or_delete_a_frozen_policy_but_may_once_it_is_normal(
    cluster: Cluster, enforced: str, operator: KopfRunner
) -> None:
    namespace, level = enforced, "PartialFreeze"
    freeze(cluster, namespace, level, "21.4")
    in_force(cluster, namespace)
    warn = patch_spec(cluster, namespace, {"enforcement": "Warn"})
    one_target = patch_spec(cluster, namespace, {"targets": [CHECKOUT]})
    deleted = as_editor(cluster, namespace, "delete", "ebp", "payments")
    assert warn == (False, message("payments", level, refused(("spec.enforcement",))))
    assert one_target == (False, message("payments", level, refused(("spec.targets",))))
    assert deleted == (False, message("payments", level, refused(())))
    stored = get(cluster, "errorbudgetpolicy", "payments", namespace)
    assert stored is not None
    assert stored["spec"] == example("05-policy.yaml", namespace)["spec"]
    labelled = as_editor(cluster, namespace, "label", "ebp", "payments", "owner=payments")
    assert labelled[0]  # metadata is never sent to the webhook
    thaw = json.dumps({"status": {"level": "Normal"}})
    status = as_editor(
        cluster, namespace, "patch", "ebp", "payments", "--subresource=status", "-p", thaw,
        "--type=merge",
    )  # fmt: skip
    assert not status[0] and 'resource "errorbudgetpolicies/status"' in status[1]  # operator's

    freeze(cluster, namespace, "Normal", "63.2")
    assert patch_spec(cluster, namespace, {"enforcement": "Warn"})[0]
    assert patch_spec(cluster, namespace, {"targets": [CHECKOUT]})[0]
    assert as_editor(cluster, namespace, "delete", "ebp", "payments")[0]


def test_every_change_gets_the_decisions_answer(
    cluster: Cluster, enforced: str, operator: KopfRunner
) -> None:
    namespace = enforced
    freeze(cluster, namespace, "FullFreeze", "8.2")
    in_force(cluster, namespace)
    answers, expected = every_change(cluster, namespace, "FullFreeze")
    assert answers == expected
    status = json.dumps({"status": {"level": "Normal", "freezeId": ""}})
    thawed = cluster.kubectl(
        "patch", "ebp", "payments", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", status, "--dry-run=server",
    )  # fmt: skip
    assert thawed.returncode == 0  # status writes (the operator's alone) are not judged
