"""Policies in force: the changes to the payments policy (examples/05) and what each weakens.

`CHANGES` is one table of JSON merge patches to the policy's spec with the fields the denial must
name (empty: the change strengthens the policy or leaves it as strong).
tests/unit/test_policy_guard.py holds the webhook's decision to it; the integration tests make
every change on a real API server, webhook mode and VAP mode, so both modes agree field by
field. `message` writes the whole denial out: the text is pinned here, not derived from the code.
"""

from __future__ import annotations

import json
from typing import Any

from budgetwarden_dev.devenv.cluster import Cluster

SINCE = "2026-11-29T10:14:00Z"
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"
EDITOR = "dev"  # holds only the edit rules and the policy editor's verbs
CHECKOUT = {"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}
WORKER = {"kind": "Deployment", "selector": {"matchLabels": {"app": "checkout-worker"}}}
TRIGGER = {"longWindow": "1h", "shortWindow": "5m", "factor": "14.4", "level": "PartialFreeze"}
NARROWER = {"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout", "tier": "canary"}}}
NOTIFY = {"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}
API = {"kind": "Deployment", "selector": {"matchLabels": {"app": "payments-api"}}}
SUSTAINED = {"longWindow": "6h", "shortWindow": "30m", "factor": "6", "level": "PartialFreeze"}
SLOW = {"longWindow": "3d", "shortWindow": "6h", "factor": "1", "level": "Warning"}

# The webhook entry `budgetwarden webhook render --url https://127.0.0.1:9443` prints.
SPEC_CHANGE_OR_DELETE = {
    "name": "spec-change-or-delete",
    "expression": "request.operation == 'DELETE' || has(object.spec) != has(oldObject.spec)"
    " || (has(object.spec) && object.spec != oldObject.spec)",
}
POLICY_ENTRY: dict[str, Any] = {
    "name": "errorbudgetpolicies.budgetwarden.io",
    "admissionReviewVersions": ["v1"],
    "clientConfig": {"url": "https://127.0.0.1:9443/validate/errorbudgetpolicies"},
    "matchPolicy": "Equivalent",
    "rules": [{"apiGroups": ["budgetwarden.io"], "apiVersions": ["v1alpha1"],
               "resources": ["errorbudgetpolicies"], "operations": ["UPDATE", "DELETE"],
               "scope": "Namespaced"}],
    "namespaceSelector": {"matchLabels": {"budgetwarden.io/enforce": "enabled"}},
    "matchConditions": [SPEC_CHANGE_OR_DELETE],
    "failurePolicy": "Ignore",
    "sideEffects": "None",
    "timeoutSeconds": 5,
}  # fmt: skip

# (id, merge patch of spec, fields the denial names during a freeze)
CHANGES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("enforcement Warn", {"enforcement": "Warn"}, ("spec.enforcement",)),
    ("enforcement DryRun", {"enforcement": "DryRun"}, ("spec.enforcement",)),
    ("a target removed", {"targets": [CHECKOUT]}, ("spec.targets",)),
    ("a target narrowed", {"targets": [NARROWER, WORKER]}, ("spec.targets",)),
    ("every target removed", {"targets": None}, ("spec.targets",)),
    ("sloSelector changed", {"sloSelector": {"matchLabels": {"team": "x"}}}, ("spec.sloSelector",)),
    ("sloSelector removed", {"sloSelector": None}, ("spec.sloSelector",)),
    ("warning lowered", {"levels": {"warningBelow": "40"}}, ("spec.levels.warningBelow",)),
    ("partial lowered", {"levels": {"partialFreezeBelow": "20"}},
     ("spec.levels.partialFreezeBelow",)),
    ("full lowered", {"levels": {"fullFreezeBelow": "5.5"}}, ("spec.levels.fullFreezeBelow",)),
    ("burn-rate trigger removed", {"burnRateTriggers": None}, ("spec.burnRateTriggers",)),
    ("burn-rate factor raised", {"burnRateTriggers": [{**TRIGGER, "factor": "20"}]},
     ("spec.burnRateTriggers",)),
    ("exit margin lowered", {"hysteresis": {"exitMarginPercent": "1"}},
     ("spec.hysteresis.exitMarginPercent",)),
    ("minimum hold shortened", {"hysteresis": {"minimumHold": "29m59s"}},
     ("spec.hysteresis.minimumHold",)),
    ("metrics unavailable Thaw", {"onMetricsUnavailable": "Thaw"}, ("spec.onMetricsUnavailable",)),
    ("inFlight Ignore", {"inFlight": "Ignore"}, ("spec.inFlight",)),
    ("pause step at thaw Continue", {"pauseStepAtThaw": "Continue"}, ("spec.pauseStepAtThaw",)),
    ("three at once", {"enforcement": "DryRun", "inFlight": "Ignore", "targets": [WORKER]},
     ("spec.enforcement", "spec.targets", "spec.inFlight")),
    # strengthening or as strong: allowed during a freeze
    ("a target added", {"targets": [CHECKOUT, WORKER, API]}, ()),
    ("targets reordered", {"targets": [WORKER, CHECKOUT]}, ()),
    ("a burn-rate trigger added", {"burnRateTriggers": [TRIGGER, SUSTAINED, SLOW]}, ()),
    ("thresholds raised", {"levels": {"partialFreezeBelow": "35", "fullFreezeBelow": "12"}}, ()),
    ("the same threshold written otherwise", {"levels": {"fullFreezeBelow": "10.0"}}, ()),
    ("levels removed: the defaults are the same", {"levels": None}, ()),
    ("longer hold, wider margin", {"hysteresis": {"minimumHold": "1h", "exitMarginPercent": "9"}},
     ()),
    ("metrics unavailable Freeze", {"onMetricsUnavailable": "Freeze"}, ()),
    ("inFlight Abort", {"inFlight": "Abort"}, ()),
    ("pause step at thaw Hold", {"pauseStepAtThaw": "Hold"}, ()),
    ("resource changes blocked", {"resourceChanges": "Blocked"}, ()),
    ("notify added", {"notify": [NOTIFY]}, ()),
]  # fmt: skip


def message(name: str, level: str, refused: str, since: str = SINCE) -> str:
    """The whole denial for the policy `name` in force at `level`."""
    when = f" since {since}" if since else ""
    return (
        f"[budgetwarden] ErrorBudgetPolicy {name} is in force ({level}{when}): {refused}. Allowed"
        " during the freeze: changes that strengthen it (stricter enforcement, more targets,"
        " higher thresholds), notify and metadata. To ship through the freeze, an approver creates"
        " a FreezeException; to weaken or delete the policy, wait for the thaw (runbook:"
        f" {RUNBOOK})."
    )


def refused(fields: tuple[str, ...]) -> str:
    """The denial's middle: deleting (no fields) or the fields that weaken the policy."""
    return (
        f"changing {', '.join(fields)} would weaken it"
        if fields
        else "deleting it would lift the freeze"
    )


def merged(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch of `target`."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merged(result.get(key), value)
    return result


def policy_editor(cluster: Cluster, namespace: str, user: str = EDITOR) -> None:
    """`user` with what `edit` aggregates and the chart's policy editor verbs, in `namespace`."""
    cluster.kubectl(
        "create", "role", "policy-editor", "-n", namespace,
        "--verb=get,list,watch,update,patch,delete",
        "--resource=errorbudgetpolicies.budgetwarden.io",
    )  # fmt: skip
    cluster.kubectl(
        "create", "rolebinding", "policy-editors", "-n", namespace, "--role=policy-editor",
        f"--user={user}",
    )  # fmt: skip
    for rules in ("view", "edit"):
        cluster.kubectl(
            "create", "rolebinding", f"developers-{rules}", "-n", namespace,
            f"--clusterrole=system:aggregate-to-{rules}", f"--user={user}",
        )  # fmt: skip


def as_editor(cluster: Cluster, namespace: str, *args: str, user: str = EDITOR) -> tuple[bool, str]:
    """kubectl as `user` in `namespace`: (succeeded, budgetwarden's denial or the output)."""
    result = cluster.kubectl(*args, "-n", namespace, f"--as={user}", check=False)
    if result.returncode == 0:
        return True, result.stdout
    for marker in ("denied the request: ", "denied request: "):
        if marker in result.stderr:
            return False, result.stderr.partition(marker)[2].strip()
    return False, result.stderr.strip()


def patch_spec(
    cluster: Cluster, namespace: str, patch: dict[str, Any], *flags: str, user: str = EDITOR
) -> tuple[bool, str]:
    """A merge patch of the payments policy's spec, by `user`."""
    body = json.dumps({"spec": patch})
    return as_editor(
        cluster,
        namespace,
        "patch",
        "ebp",
        "payments",
        "--type=merge",
        "-p",
        body,
        *flags,
        user=user,
    )


def every_change(cluster: Cluster, namespace: str, level: str) -> tuple[dict, dict]:
    """Each change of CHANGES tried as a server-side dry run on the frozen payments policy:
    (what the API server answered, what the decision says it must answer), by change name."""
    answers = {
        name: patch_spec(cluster, namespace, patch, "--dry-run=server")
        for name, patch, _ in CHANGES
    }
    expected = {
        name: (True, "") if not fields else (False, message("payments", level, refused(fields)))
        for name, _, fields in CHANGES
    }
    return {k: (ok, text if not ok else "") for k, (ok, text) in answers.items()}, expected
