"""What the enforcement planner's tests (tests/unit/test_enforcement_*.py) build from: the payments
policy of examples/05, its targets as workloads, the marks a freeze writes, and a brief form of
the actions planned.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.freeze.enforcement import MARKS
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.workload import Action, Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind, parse_policy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FID, OLD_FID = "fz-7c2e", "fz-0a1b"
TOKEN = f"budgetwarden/payments/{FID}"
STABLE = "sha256:stable"
REASON = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
LATER = "SLO checkout-availability has 18.0% error budget left (partial freeze below 30%)"
FULL = "SLO checkout-availability has 8.2% error budget left (full freeze below 10%)"
WARN = "SLO checkout-availability has 41.0% error budget left (warning below 50%)"
HOTFIX: dict[str, Any] = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())


def policy(**spec: Any) -> ErrorBudgetPolicy:
    """examples/05-policy.yaml (policy "payments" in shop) with `spec` entries replaced."""
    resource = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    resource["spec"].update(spec)
    return parse_policy(resource)


def state(level: Level, reason: str = REASON, fid: str | None = FID) -> PolicyState:
    """The state the policy's last decision left: `level` since an hour ago."""
    return PolicyState(level, NOW - timedelta(hours=1), fid if fid else None, reason)


def rollout(
    annotations: dict[str, str] | None = None, app: str = "checkout", **fields: Any
) -> Workload:
    """Rollout shop/checkout, a target of the policy unless `app` says otherwise."""
    base = {"resource_version": "7", "stable_template": STABLE, "labels": {"app": app}}
    return Workload(
        TargetKind.ROLLOUT, "shop", "checkout", annotations=annotations or {}, **base | fields
    )


def deployment(annotations: dict[str, str] | None = None, **fields: Any) -> Workload:
    """Deployment shop/checkout-worker, a target of the policy."""
    labels = {"app": "checkout-worker"}
    return Workload(
        TargetKind.DEPLOYMENT, "shop", "checkout-worker", "u2", "9", labels, annotations or {},
        stable_template=STABLE, **fields,
    )  # fmt: skip


def marks(level: str = "PartialFreeze", reason: str = REASON, fid: str = FID, **more: str) -> dict:
    """The annotations a freeze writes on a target (`owner` names another policy)."""
    return {
        c.ANNOTATION_POLICY: more.pop("owner", "payments"),
        c.ANNOTATION_FREEZE_LEVEL: level,
        c.ANNOTATION_FREEZE_REASON: reason,
        c.ANNOTATION_FREEZE_ID: fid,
        c.ANNOTATION_STABLE_TEMPLATE: STABLE,
        **more,
    }


MARKED = marks()
HELD = marks(**{c.ANNOTATION_PAUSED_BY: TOKEN})
UNMARKED = dict.fromkeys(MARKS)
RELEASED = {**UNMARKED, c.ANNOTATION_PAUSED_BY: None}
PARTIAL, FULL_FREEZE = Level.PARTIAL_FREEZE, Level.FULL_FREEZE


def exception(expires: str = "2026-12-01T18:00:00Z") -> FreezeException:
    """examples/06 (the checkout hotfix) expiring at `expires`."""
    return parse_exception({**HOTFIX, "spec": {**HOTFIX["spec"], "expiresAt": expires}})


def brief(actions: list[Action]) -> list[tuple[Any, ...]]:
    """Each action as (name, annotations, paused, abort, Event reasons, dry_run)."""
    return [
        (a.workload.name, dict(a.annotations), a.paused, a.abort,
         tuple(n.reason for n in a.notes), a.dry_run)
        for a in actions
    ]  # fmt: skip


PAUSE = {c.ANNOTATION_PAUSED_BY: TOKEN}
