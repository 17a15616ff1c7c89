"""The last revision a workload ran before its current one, from its ReplicaSets.

A bad version that finished rolling out before the budget fell is the "stable" one when the
freeze begins; going back to the version before it (`kubectl rollout undo`) must still count as
a rollback. Deployments and Argo Rollouts number their revisions in an annotation on the
workload and on each ReplicaSet they own; adapters/kube/workloads.py reads the namespace's
ReplicaSets once during a freeze and asks `previous_template` here. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from budgetwarden.core.freeze.workload_diff import as_mapping, pod_template, template_digest

# The annotation each controller numbers revisions with, on the workload and its ReplicaSets.
DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
ROLLOUT_REVISION = "rollout.argoproj.io/revision"


def revision(obj: object, annotation: str) -> int | None:
    """The revision number an object carries, or None."""
    text = as_mapping(as_mapping(as_mapping(obj).get("metadata")).get("annotations")).get(
        annotation
    )
    return int(text) if isinstance(text, str) and text.isdigit() else None


def _owned_by(replica_set: Mapping[str, Any], uid: str) -> bool:
    owners = as_mapping(replica_set.get("metadata")).get("ownerReferences")
    return isinstance(owners, list) and any(
        as_mapping(o).get("uid") == uid and as_mapping(o).get("controller") is True for o in owners
    )


def previous_template(
    workload: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]], annotation: str
) -> str:
    """The digest of the template of the highest revision below the workload's current one
    among the ReplicaSets it controls, skipping any that run the current template; "" when
    there is none."""
    uid = str(as_mapping(workload.get("metadata")).get("uid") or "")
    current = revision(workload, annotation)
    if not uid or current is None:
        return ""
    now = template_digest(pod_template(workload))
    earlier = [
        (number, digest)
        for rs in replica_sets
        if _owned_by(rs, uid)
        and (number := revision(rs, annotation)) is not None
        and number < current
        and (digest := template_digest(pod_template(rs))) != now
    ]
    return max(earlier)[1] if earlier else ""
