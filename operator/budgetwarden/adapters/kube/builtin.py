"""Built-in Kubernetes kinds budgetwarden touches beside its own: admission policies, params, who.

Through the `kubernetes` client, one call per method. runtime/vap_sync.py installs the
ValidatingAdmissionPolicies and bindings, writes and deletes the params ConfigMaps and asks the
API server who the operator is (SelfSubjectReview); `budgetwarden explain` reads one workload
and the namespace the kubeconfig's current context names. Calls block: callers run them in a
thread. Failures are `KubeError` subclasses with the client's exception chained.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from kubernetes import client, config

from budgetwarden.adapters.kube.errors import KubeError, NotFound, call
from budgetwarden.core.kernel import conventions as c

APPLY: dict[str, Any] = {"field_manager": c.FIELD_MANAGER, "force": True, "_request_timeout": 30}
APPLY_PATCH = "application/apply-patch+yaml"
_CLUSTER_SCOPED = {  # kind -> the AdmissionregistrationV1Api method that applies it
    "ValidatingAdmissionPolicy": "patch_validating_admission_policy",
    "ValidatingAdmissionPolicyBinding": "patch_validating_admission_policy_binding",
    "MutatingAdmissionPolicy": "patch_mutating_admission_policy",
    "MutatingAdmissionPolicyBinding": "patch_mutating_admission_policy_binding",
}
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class BuiltinObjects:
    """The calls above, on one ApiClient (the operator's, or the CLI's)."""

    def __init__(self, api: client.ApiClient) -> None:
        self.admission = client.AdmissionregistrationV1Api(api)
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.authentication = client.AuthenticationV1Api(api)

    def whoami(self) -> str:
        """The user name the API server knows these credentials by."""
        review = call(
            "create selfsubjectreview",
            lambda: self.authentication.create_self_subject_review(
                client.V1SelfSubjectReview(), _request_timeout=30
            ),
        )
        user = review.status.user_info if review.status is not None else None
        return str(user.username or "") if user is not None else ""

    def apply(self, obj: Mapping[str, Any]) -> None:
        """Server-side apply an admission policy or binding, or a ConfigMap; NotFound when the
        API server does not serve the kind (MutatingAdmissionPolicy before Kubernetes 1.36)."""
        kind, meta, body = obj["kind"], obj["metadata"], dict(obj)
        method: Callable[..., Any]
        if kind == "ConfigMap":
            method = partial(
                self.core.patch_namespaced_config_map, meta["name"], meta["namespace"], body
            )
        elif kind in _CLUSTER_SCOPED:
            method = partial(getattr(self.admission, _CLUSTER_SCOPED[kind]), meta["name"], body)
        else:
            raise ValueError(f"not a kind budgetwarden applies here: {kind}")
        call(f"apply {kind} {meta['name']}", lambda: method(_content_type=APPLY_PATCH, **APPLY))

    def delete_config_map(self, namespace: str, name: str) -> bool:
        """Delete a ConfigMap; False when it was already gone."""
        delete = partial(self.core.delete_namespaced_config_map, name, namespace)
        try:
            call(f"delete configmap {namespace}/{name}", lambda: delete(_request_timeout=30))
        except NotFound:
            return False
        return True

    def workload(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A Rollout or Deployment as stored, or None when it does not exist."""
        read: partial[Any]
        if kind == "Rollout":
            get = partial(self.custom.get_namespaced_custom_object, "argoproj.io", "v1alpha1")
            read = partial(get, namespace, "rollouts", name, _request_timeout=30)
        else:  # raw JSON: the typed model would turn camelCase fields into snake_case
            read = partial(self.apps.read_namespaced_deployment, name, namespace,
                           _preload_content=False, _request_timeout=30)  # fmt: skip
        try:
            found: Any = call(f"get {kind} {namespace}/{name}", read)
        except NotFound:
            return None
        return dict(found) if kind == "Rollout" else dict(json.loads(found.data))


def current_namespace(kubeconfig: str | None = None) -> str:
    """The namespace of the kubeconfig's current context ("default" when it names none)."""
    path = kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or None
    if not path and IN_CLUSTER_NAMESPACE.is_file():
        return IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
    try:
        _, active = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
    except (config.ConfigException, OSError) as error:
        raise KubeError(f"cannot read the kubeconfig: {error}") from error
    return str((active or {}).get("context", {}).get("namespace") or "default")
