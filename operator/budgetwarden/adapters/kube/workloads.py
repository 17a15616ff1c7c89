"""Argo Rollouts and Deployments through the `kubernetes` client: read, patch, abort, restart.

The runtime's enforcer and drift watch call these functions with the operator's `Kube`. Reads come
back as `core.freeze.workload.Workload`. Writes are JSON merge patches that carry the
resourceVersion the plan was computed from, so a plan made from a stale read fails with a conflict
instead of overwriting what a person just did. An abort, and restarting the count of a canary
pause step at thaw (core/freeze/thaw.py), go through the Rollout's status subresource, as
`kubectl argo rollouts abort` does (falling back to the main resource for CRDs without one, as
it does too). Calls block: callers run them in a thread.
Failures are the kube adapter's `KubeError` subclasses (adapters/kube/errors.py), with the client's
exception chained.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from budgetwarden.adapters.kube.client import Kube
from budgetwarden.adapters.kube.errors import KubeError, NotFound, call
from budgetwarden.core.freeze.pause_step import pause_step_of
from budgetwarden.core.freeze.revisions import (
    DEPLOYMENT_REVISION,
    ROLLOUT_REVISION,
    previous_template,
)
from budgetwarden.core.freeze.workload import Action, Workload, template_source
from budgetwarden.core.freeze.workload_diff import (
    annotations_of,
    as_mapping,
    is_paused,
    labels_of,
    pod_template,
    spec_of,
    substance_digest,
    template_digest,
)
from budgetwarden.core.policy.spec import TargetKind

ROLLOUT_GROUP, ROLLOUT_VERSION, ROLLOUT_PLURAL = "argoproj.io", "v1alpha1", "rollouts"
API_VERSIONS = {
    TargetKind.ROLLOUT: f"{ROLLOUT_GROUP}/{ROLLOUT_VERSION}",
    TargetKind.DEPLOYMENT: "apps/v1",
}
MERGE_PATCH = "application/merge-patch+json"
REQUEST_TIMEOUT_SECONDS = 30


# --- Reading ---------------------------------------------------------------------------------
def list_workloads(
    kube: Kube, namespace: str, kind: TargetKind, *, find_stable: bool = False
) -> list[Workload]:
    """Every workload of `kind` in the namespace; none when the Rollout CRD is not installed.

    With `find_stable` (during a freeze), an in-flight Rollout gets the digest of its stable
    ReplicaSet's template (one read each), and every workload the digest of its previous
    revision (one list of the namespace's ReplicaSets), so rollbacks to either are recognised.
    """
    try:
        items = _list(kube, namespace, kind)
    except NotFound:
        if kind is TargetKind.ROLLOUT:
            return []  # Argo Rollouts is not installed: nothing to hold
        raise
    found = [workload_of(kind, item) for item in items]
    if not find_stable:
        return found
    history = _replica_sets(kube, namespace) if items else []
    revision = ROLLOUT_REVISION if kind is TargetKind.ROLLOUT else DEPLOYMENT_REVISION
    return [
        replace(_with_stable(kube, w, item), previous_template=previous_template(
            item, history, revision))
        for w, item in zip(found, items, strict=True)
    ]  # fmt: skip


def _replica_sets(kube: Kube, namespace: str) -> list[Mapping[str, Any]]:
    """The namespace's ReplicaSets: the revision history of its Deployments and Rollouts."""
    result = _raw(
        f"list ReplicaSets in {namespace}",
        lambda: kube.apps.list_namespaced_replica_set(
            namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS
        ),
    )
    return list(as_mapping(result).get("items") or [])


def _list(kube: Kube, namespace: str, kind: TargetKind) -> list[Mapping[str, Any]]:
    what = f"list {kind.value}s in {namespace}"
    if kind is TargetKind.ROLLOUT:
        result = call(
            what,
            lambda: kube.custom.list_namespaced_custom_object(
                ROLLOUT_GROUP, ROLLOUT_VERSION, namespace, ROLLOUT_PLURAL,
                _request_timeout=REQUEST_TIMEOUT_SECONDS,
            ),
        )  # fmt: skip
    else:
        result = _raw(
            what,
            lambda: kube.apps.list_namespaced_deployment(
                namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS
            ),
        )
    return list(as_mapping(result).get("items") or [])


def _with_stable(kube: Kube, w: Workload, item: Mapping[str, Any]) -> Workload:
    stable_rs = as_mapping(item.get("status")).get("stableRS")
    if w.stable_template or w.kind is not TargetKind.ROLLOUT or not stable_rs:
        return w
    name = f"{w.name}-{stable_rs}"  # Argo names a Rollout's ReplicaSets <rollout>-<pod hash>
    try:
        replica_set = _raw(
            f"read ReplicaSet {w.namespace}/{name}",
            lambda: kube.apps.read_namespaced_replica_set(
                name, w.namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS
            ),
        )
    except NotFound:
        return w  # not there (yet): the stable template stays unknown
    template = pod_template(replica_set)
    return replace(
        w, stable_template=template_digest(template), stable_substance=substance_digest(template)
    )


def workload_of(kind: TargetKind, obj: Mapping[str, Any]) -> Workload:
    """A workload from its API object; its stable template is the current one when no update
    is in flight. The budgetwarden.io/stable-template annotation is for people to read and is
    never trusted: the freeze's own record lives in the policy's status."""
    meta, status = as_mapping(obj.get("metadata")), as_mapping(obj.get("status"))
    annotations = annotations_of(obj)
    in_flight = _in_flight(kind, obj)
    source = template_source(obj) if kind is TargetKind.ROLLOUT else ""
    # A workloadRef Rollout has no template of its own: its stable ReplicaSet has it.
    template = "" if source else template_digest(pod_template(obj))
    substance = "" if source else substance_digest(pod_template(obj))
    current = "" if in_flight else template
    return Workload(
        kind=kind,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        uid=str(meta.get("uid") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
        labels=labels_of(obj),
        annotations=annotations,
        paused=is_paused(obj),
        in_flight=in_flight,
        aborted=status.get("abort") is True,
        stable_template=current,
        template_from=source,
        pause_step=pause_step_of(obj) if kind is TargetKind.ROLLOUT else None,
        template=template,
        substance=substance,
        stable_substance="" if in_flight else substance,
    )


def _in_flight(kind: TargetKind, obj: Mapping[str, Any]) -> bool:
    """A Rollout between its stable ReplicaSet and a new one; a Deployment mid-rollout."""
    status = as_mapping(obj.get("status"))
    if kind is TargetKind.ROLLOUT:
        current, stable = status.get("currentPodHash"), status.get("stableRS")
        return bool(current) and bool(stable) and current != stable
    observed = status.get("observedGeneration")
    if not isinstance(observed, int):
        return False  # no controller has reported on it: nothing is known to be rolling
    generation = as_mapping(obj.get("metadata")).get("generation")
    replicas, updated = spec_of(obj).get("replicas", 1), status.get("updatedReplicas") or 0
    behind = isinstance(generation, int) and observed < generation
    return behind or (isinstance(replicas, int) and isinstance(updated, int) and updated < replicas)


# --- Writing ---------------------------------------------------------------------------------
def merge_patch(action: Action) -> dict[str, Any] | None:
    """The main resource's merge patch for an action (None when it changes neither
    annotations nor spec.paused), conditional on the resourceVersion the plan read."""
    if not action.annotations and action.paused is None:
        return None
    metadata: dict[str, Any] = {}
    if action.annotations:
        metadata["annotations"] = dict(action.annotations)
    if action.workload.resource_version:
        metadata["resourceVersion"] = action.workload.resource_version
    patch: dict[str, Any] = {"metadata": metadata}
    if action.paused is not None:
        patch["spec"] = {"paused": action.paused}
    return patch


def patch_workload(kube: Kube, w: Workload, patch: Mapping[str, Any]) -> Workload:
    """Merge-patch the main resource; the workload as the API returned it."""
    what = f"patch {w.kind.value} {w.namespace}/{w.name}"
    if w.kind is TargetKind.ROLLOUT:
        result = call(what, lambda: _patch_rollout(kube, w, dict(patch), status=False))
    else:
        result = _raw(
            what,
            lambda: kube.apps.patch_namespaced_deployment(
                w.name, w.namespace, dict(patch), _content_type=MERGE_PATCH,
                _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS,
            ),
        )  # fmt: skip
    return _keep_stable(w, workload_of(w.kind, result))


def abort_rollout(kube: Kube, w: Workload) -> Workload:
    """Set status.abort on a Rollout through its status subresource (main resource if none)."""
    patch = {"metadata": {"resourceVersion": w.resource_version}, "status": {"abort": True}}
    what = f"abort Rollout {w.namespace}/{w.name}"
    try:
        result = call(what, lambda: _patch_rollout(kube, w, patch, status=True))
    except NotFound:
        result = call(what, lambda: _patch_rollout(kube, w, patch, status=False))
    return _keep_stable(w, workload_of(w.kind, result))


def restart_pause_step(kube: Kube, w: Workload, at: datetime) -> Workload:
    """Begin the count of the pause step a Rollout stands at again at `at`, through its status
    subresource (main resource if none), where the controller reads it."""
    step = w.pause_step
    if step is None:
        return w
    patch = {
        "metadata": {"resourceVersion": w.resource_version},
        "status": {"pauseConditions": step.restarted(at)},
    }
    what = f"restart the pause step of Rollout {w.namespace}/{w.name}"
    try:
        result = call(what, lambda: _patch_rollout(kube, w, patch, status=True))
    except NotFound:
        result = call(what, lambda: _patch_rollout(kube, w, patch, status=False))
    return _keep_stable(w, workload_of(w.kind, result))


def _patch_rollout(kube: Kube, w: Workload, patch: dict[str, Any], *, status: bool) -> Any:
    objects = kube.custom
    method = (
        objects.patch_namespaced_custom_object_status
        if status
        else objects.patch_namespaced_custom_object
    )
    return method(
        ROLLOUT_GROUP, ROLLOUT_VERSION, w.namespace, ROLLOUT_PLURAL, w.name, patch,
        _content_type=MERGE_PATCH, _request_timeout=REQUEST_TIMEOUT_SECONDS,
    )  # fmt: skip


def _keep_stable(before: Workload, after: Workload) -> Workload:
    """A stable template found by reading a ReplicaSet survives re-parsing the object."""
    if after.stable_template or not before.stable_template:
        return after
    return replace(
        after,
        stable_template=before.stable_template,
        stable_substance=before.stable_substance,
    )


def involved(w: Workload) -> dict[str, Any]:
    """The workload as an Event's involvedObject needs it."""
    return {
        "apiVersion": API_VERSIONS[w.kind],
        "kind": w.kind.value,
        "metadata": {"name": w.name, "namespace": w.namespace, "uid": w.uid},
    }


def _raw(what: str, request: Callable[[], Any]) -> Any:
    """A call made with _preload_content=False, its JSON body decoded."""
    response = call(what, request)
    try:
        return json.loads(response.data)
    except ValueError as error:
        raise KubeError(f"{what}: the API server sent no JSON: {error}") from error
