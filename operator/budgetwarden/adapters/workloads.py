"""Argo Rollouts and Deployments through the `kubernetes` client: read, patch, abort.

handlers/enforcement.py and handlers/drift.py call these functions with the operator's
ApiClient. Reads come back as `core.freeze.enforcement.Workload`. Writes are JSON merge patches that
carry the resourceVersion the plan was computed from, so a plan made from a stale read fails
with a conflict instead of overwriting what a person just did. An abort goes through the
Rollout's status subresource, as `kubectl argo rollouts abort` does (falling back to the main
resource for CRDs without one, as it does too). Calls block: callers run them in a thread.
Every failure is a `WorkloadError` with the client's exception chained.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import urllib3.exceptions
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from budgetwarden.adapters.kube import KubeError
from budgetwarden.core.freeze.workload import Action, Workload
from budgetwarden.core.freeze.workload_diff import (
    annotations_of,
    as_mapping,
    is_paused,
    labels_of,
    pod_template,
    spec_of,
    template_digest,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import TargetKind

ROLLOUT_GROUP, ROLLOUT_VERSION, ROLLOUT_PLURAL = "argoproj.io", "v1alpha1", "rollouts"
API_VERSIONS = {
    TargetKind.ROLLOUT: f"{ROLLOUT_GROUP}/{ROLLOUT_VERSION}",
    TargetKind.DEPLOYMENT: "apps/v1",
}
MERGE_PATCH = "application/merge-patch+json"
REQUEST_TIMEOUT_SECONDS = 30


class WorkloadError(KubeError):
    """A call about a Rollout or Deployment failed; `status` is the HTTP status, if any."""

    @property
    def conflict(self) -> bool:
        """The workload changed since it was read (409): plan again from a fresh read."""
        return self.status == 409

    @property
    def gone(self) -> bool:
        """The workload (or the Rollout CRD) does not exist (404)."""
        return self.status == 404


# --- Reading ---------------------------------------------------------------------------------
def list_workloads(
    api: client.ApiClient, namespace: str, kind: TargetKind, *, find_stable: bool = False
) -> list[Workload]:
    """Every workload of `kind` in the namespace; none when the Rollout CRD is not installed.

    With `find_stable`, an in-flight Rollout with no recorded stable template gets the digest
    of its stable ReplicaSet's template (one read each), so rollbacks to it can be recognised.
    """
    try:
        items = _list(api, namespace, kind)
    except WorkloadError as error:
        if kind is TargetKind.ROLLOUT and error.gone:
            return []  # Argo Rollouts is not installed: nothing to hold
        raise
    found = [workload_of(kind, item) for item in items]
    if not find_stable:
        return found
    return [_with_stable(api, w, item) for w, item in zip(found, items, strict=True)]


def _list(api: client.ApiClient, namespace: str, kind: TargetKind) -> list[Mapping[str, Any]]:
    what = f"list {kind.value}s in {namespace}"
    if kind is TargetKind.ROLLOUT:
        result = _call(
            what,
            lambda: client.CustomObjectsApi(api).list_namespaced_custom_object(
                ROLLOUT_GROUP, ROLLOUT_VERSION, namespace, ROLLOUT_PLURAL,
                _request_timeout=REQUEST_TIMEOUT_SECONDS,
            ),
        )  # fmt: skip
    else:
        result = _raw(
            what,
            lambda: client.AppsV1Api(api).list_namespaced_deployment(
                namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS
            ),
        )
    return list(as_mapping(result).get("items") or [])


def _with_stable(api: client.ApiClient, w: Workload, item: Mapping[str, Any]) -> Workload:
    stable_rs = as_mapping(item.get("status")).get("stableRS")
    if w.stable_template or w.kind is not TargetKind.ROLLOUT or not stable_rs:
        return w
    name = f"{w.name}-{stable_rs}"  # Argo names a Rollout's ReplicaSets <rollout>-<pod hash>
    try:
        replica_set = _raw(
            f"read ReplicaSet {w.namespace}/{name}",
            lambda: client.AppsV1Api(api).read_namespaced_replica_set(
                name, w.namespace, _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS
            ),
        )
    except WorkloadError as error:
        if error.gone:
            return w  # not there (yet): the stable template stays unknown
        raise
    return replace(w, stable_template=template_digest(pod_template(replica_set)))


def workload_of(kind: TargetKind, obj: Mapping[str, Any]) -> Workload:
    """A workload from its API object; its stable template is the recorded one, else the
    current one when no update is in flight."""
    meta, status = as_mapping(obj.get("metadata")), as_mapping(obj.get("status"))
    annotations = annotations_of(obj)
    in_flight = _in_flight(kind, obj)
    current = "" if in_flight else template_digest(pod_template(obj))
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
        stable_template=annotations.get(c.ANNOTATION_STABLE_TEMPLATE) or current,
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


def patch_workload(api: client.ApiClient, w: Workload, patch: Mapping[str, Any]) -> Workload:
    """Merge-patch the main resource; the workload as the API returned it."""
    what = f"patch {w.kind.value} {w.namespace}/{w.name}"
    if w.kind is TargetKind.ROLLOUT:
        result = _call(what, lambda: _patch_rollout(api, w, dict(patch), status=False))
    else:
        result = _raw(
            what,
            lambda: client.AppsV1Api(api).patch_namespaced_deployment(
                w.name, w.namespace, dict(patch), _content_type=MERGE_PATCH,
                _preload_content=False, _request_timeout=REQUEST_TIMEOUT_SECONDS,
            ),
        )  # fmt: skip
    return _keep_stable(w, workload_of(w.kind, result))


def abort_rollout(api: client.ApiClient, w: Workload) -> Workload:
    """Set status.abort on a Rollout through its status subresource (main resource if none)."""
    patch = {"metadata": {"resourceVersion": w.resource_version}, "status": {"abort": True}}
    what = f"abort Rollout {w.namespace}/{w.name}"
    try:
        result = _call(what, lambda: _patch_rollout(api, w, patch, status=True))
    except WorkloadError as error:
        if not error.gone:
            raise
        result = _call(what, lambda: _patch_rollout(api, w, patch, status=False))
    return _keep_stable(w, workload_of(w.kind, result))


def _patch_rollout(
    api: client.ApiClient, w: Workload, patch: dict[str, Any], *, status: bool
) -> Any:
    objects = client.CustomObjectsApi(api)
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
    return replace(after, stable_template=before.stable_template)


def involved(w: Workload) -> dict[str, Any]:
    """The workload as an Event's involvedObject needs it."""
    return {
        "apiVersion": API_VERSIONS[w.kind],
        "kind": w.kind.value,
        "metadata": {"name": w.name, "namespace": w.namespace, "uid": w.uid},
    }


# --- Errors ----------------------------------------------------------------------------------
def _raw(what: str, call: Callable[[], Any]) -> Any:
    """A call made with _preload_content=False, its JSON body decoded."""
    response = _call(what, call)
    try:
        return json.loads(response.data)
    except ValueError as error:
        raise WorkloadError(f"{what}: the API server sent no JSON: {error}") from error


def _call(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ApiException as error:
        status = int(error.status or 0) or None
        raise WorkloadError(f"{what}: HTTP {status} {_api_message(error)}", status) from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise WorkloadError(f"{what}: {error}") from error


def _api_message(error: ApiException) -> str:
    try:
        return str(json.loads(error.body or "")["message"])
    except (ValueError, KeyError, TypeError):
        return str(error.reason or "")
