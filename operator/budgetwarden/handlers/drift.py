"""kopf's watch of Rollouts and Deployments, for the detection fallback (runtime/drift.py).

Every event goes to the operator's `DriftWatch`: it remembers each workload's version and acts
when a new one lands during a freeze past admission (an unreachable webhook under Ignore).
Every replica remembers versions; only the one that leads (runtime/leader.py) acts.
"""

from __future__ import annotations

from typing import Any

import kopf

from budgetwarden.adapters.kube.workloads import ROLLOUT_GROUP, ROLLOUT_PLURAL, ROLLOUT_VERSION
from budgetwarden.core.policy.spec import TargetKind
from budgetwarden.handlers.startup import controls, operator_of
from budgetwarden.runtime.reporting import Logger


@kopf.on.event("apps", "v1", "deployments", when=controls)
async def deployment_event(
    type: str | None, body: kopf.Body, memo: kopf.Memo, logger: Logger, **_: Any
) -> None:
    """Check a Deployment's change against its namespace's freezes."""
    await operator_of(memo).drift.observe(TargetKind.DEPLOYMENT, type, body, logger)


@kopf.on.event(ROLLOUT_GROUP, ROLLOUT_VERSION, ROLLOUT_PLURAL, when=controls)
async def rollout_event(
    type: str | None, body: kopf.Body, memo: kopf.Memo, logger: Logger, **_: Any
) -> None:
    """Check a Rollout's change against its namespace's freezes."""
    await operator_of(memo).drift.observe(TargetKind.ROLLOUT, type, body, logger)
