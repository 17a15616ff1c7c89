"""What the real API server stores for valid resources: CRD defaults filled in, the approver
recorded once, every notify channel with its defaults.
"""

from __future__ import annotations

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from crd_validation_support import (
    EMAIL,
    EXCEPTION,
    PAGERDUTY,
    POLICY,
    SMTP_LOGIN,
    WEBHOOK,
    apply,
    changed,
)

pytestmark = pytest.mark.cluster


def test_defaults_are_filled_in_so_the_stored_policy_shows_what_applies(
    cluster: Cluster, namespace: str
) -> None:
    resource = changed(POLICY, "spec.levels", {"fullFreezeBelow": "5"})
    result = cluster.kubectl(
        "create", f"--namespace={namespace}", "--filename=-", "--dry-run=server", "--output=json",
        input=yaml.safe_dump(resource),
    )  # fmt: skip
    spec = yaml.safe_load(result.stdout)["spec"]
    assert {key: spec[key] for key in ("levels", "enforcement", "onMetricsUnavailable")} == {
        "levels": {"warningBelow": "50", "partialFreezeBelow": "30", "fullFreezeBelow": "5"},
        "enforcement": "Enforce",
        "onMetricsUnavailable": "Hold",
    }


def test_the_approver_changes_only_with_an_earlier_expiry_and_is_never_removed(
    cluster: Cluster, namespace: str
) -> None:
    approved = changed(EXCEPTION, "spec.approvedBy", "alice@example.com")
    assert apply(cluster, namespace, approved) == (0, "")
    refused = (
        "spec.approvedBy: Invalid value: approvedBy is recorded from the request; it changes only"
        " together with an earlier expiresAt, to whoever makes that change"
    )
    taken = changed(approved, "spec.approvedBy", "mallory")
    for attempt in (taken, EXCEPTION, changed(taken, "spec.expiresAt", "2026-12-01T18:00:01Z")):
        code, stderr = apply(cluster, namespace, attempt)
        assert (code, refused in stderr) == (1, True)
    shortened = changed(taken, "spec.expiresAt", "2026-12-01T17:00:00+00:00")
    assert apply(cluster, namespace, shortened) == (0, "")


def test_every_notify_channel_is_accepted_with_its_defaults_filled_in(
    cluster: Cluster, namespace: str
) -> None:
    notify = [
        {"webhook": WEBHOOK, "reminderEvery": "4h"},
        {"pagerDuty": PAGERDUTY, "reminderEvery": "1m"},
        {"email": EMAIL | {"auth": SMTP_LOGIN}},
    ]
    result = cluster.kubectl(
        "create", f"--namespace={namespace}", "--filename=-", "--dry-run=server", "--output=json",
        input=yaml.safe_dump(changed(POLICY, "spec.notify", notify)),
    )  # fmt: skip
    stored = yaml.safe_load(result.stdout)["spec"]["notify"]
    assert stored == [
        notify[0],
        {"pagerDuty": PAGERDUTY | {"url": "https://events.pagerduty.com/v2/enqueue"},
         "reminderEvery": "1m"},
        {"email": EMAIL | {"auth": SMTP_LOGIN, "port": 587, "tls": "StartTLS"}},
    ]  # fmt: skip
