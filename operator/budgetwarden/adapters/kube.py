"""The Kubernetes API, through the official `kubernetes` client and nothing else.

The operator's handlers and `budgetwarden rules-sync` call this module to read, server-side
apply, delete and watch PrometheusRule objects, to patch the status of our own resources and to
post Events. Calls are synchronous (kopf runs sync handlers in its thread pool). Every failure
surfaces as a `KubeError` subclass with the client's exception chained as the cause, so callers
decide retries on our vocabulary, not on HTTP codes.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import urllib3.exceptions
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import BudgetwardenError

T = TypeVar("T")
PROMETHEUS_RULE_GROUP, PROMETHEUS_RULE_VERSION = c.PROMETHEUS_RULE_API_VERSION.split("/")
PROMETHEUS_RULE_PLURAL = "prometheusrules"
REQUEST_TIMEOUT_SECONDS = 30
TIMEOUT: dict[str, Any] = {"_request_timeout": REQUEST_TIMEOUT_SECONDS}


class KubeError(BudgetwardenError):
    """A Kubernetes API call failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(KubeError):
    """The object, or its resource type, does not exist."""


class Invalid(KubeError):
    """The API server rejected the request as malformed or forbidden; retrying will not help."""


class Conflict(KubeError):
    """Someone else changed the object first (409); read it again and retry."""


class Unavailable(KubeError):
    """The API server could not be reached or answered 5xx/429; retrying may help."""


class Expired(KubeError):
    """A watch's resourceVersion is too old (410 Gone); list again and start over."""


@dataclass(frozen=True)
class Ref:
    """Which custom object: API group, version, plural, namespace and name."""

    group: str
    version: str
    plural: str
    namespace: str
    name: str

    @property
    def args(self) -> tuple[str, str, str, str, str]:
        """The positional arguments of the client's *_namespaced_custom_object calls."""
        return self.group, self.version, self.namespace, self.plural, self.name

    def __str__(self) -> str:
        return f"{self.plural}.{self.group} {self.namespace}/{self.name}"


def prometheus_rule_ref(namespace: str, name: str) -> Ref:
    """The Ref of a PrometheusRule object."""
    return Ref(
        PROMETHEUS_RULE_GROUP, PROMETHEUS_RULE_VERSION, PROMETHEUS_RULE_PLURAL, namespace, name
    )


@dataclass(frozen=True)
class Connection:
    """An API server endpoint and the credentials for it (file paths may be temporary files)."""

    server: str
    ca_path: str | None
    insecure: bool
    scheme: str | None
    token: str | None
    certificate_path: str | None
    private_key_path: str | None


class Kube:
    """One API connection; build it once (`from_environment`) and share it."""

    def __init__(self, api_client: client.ApiClient, instance: str = "") -> None:
        self.api_client = api_client
        self.custom = client.CustomObjectsApi(api_client)
        self.core = client.CoreV1Api(api_client)
        self.instance = instance or socket.gethostname()

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None) -> Kube:
        """Credentials in controller-runtime's order: $KUBECONFIG, in-cluster, ~/.kube/config."""
        path = kubeconfig or os.environ.get("KUBECONFIG")
        try:
            if not path and "KUBERNETES_SERVICE_HOST" in os.environ:
                configuration = client.Configuration()
                config.load_incluster_config(client_configuration=configuration)
                return cls(client.ApiClient(configuration))
            default = os.path.expanduser("~/.kube/config")
            return cls(config.new_client_from_config(config_file=path or default))
        except (config.ConfigException, OSError) as error:
            raise KubeError(f"cannot load Kubernetes credentials: {error}") from error

    def connection(self) -> Connection:
        """Where and as whom this client connects, for other clients (kopf) to do the same."""
        conf = self.api_client.configuration
        # Reading the key through the prefix hook refreshes exec-plugin and provider tokens.
        header = conf.get_api_key_with_prefix("BearerToken") or conf.get_api_key_with_prefix(
            "authorization"
        )
        scheme, _, token = (header or "").rpartition(" ")
        return Connection(
            server=conf.host,
            ca_path=conf.ssl_ca_cert,
            insecure=not conf.verify_ssl,
            scheme=scheme or None,
            token=token or None,
            certificate_path=conf.cert_file,
            private_key_path=conf.key_file,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()

    # --- custom objects ----------------------------------------------------------------------
    def get(self, ref: Ref) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        call = self.custom.get_namespaced_custom_object
        try:
            return cast(dict[str, Any], _call(f"get {ref}", lambda: call(*ref.args, **TIMEOUT)))
        except NotFound:
            return None

    def apply(self, ref: Ref, body: Mapping[str, Any]) -> None:
        """Server-side apply `body` as our field manager, taking over conflicting fields."""
        # No result: the generated client maps only 200 to a body, not 201 (an apply that creates).
        call, patch = self.custom.patch_namespaced_custom_object, dict(body)
        options = {"field_manager": c.FIELD_MANAGER, "force": True, **TIMEOUT}
        content = "application/apply-patch+yaml"
        _call(f"apply {ref}", lambda: call(*ref.args, patch, _content_type=content, **options))

    def delete(self, ref: Ref, resource_version: str | None = None) -> bool:
        """Delete the object (in the background); False when it was already gone."""
        body: dict[str, Any] = {"propagationPolicy": "Background"}
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        call = self.custom.delete_namespaced_custom_object
        try:
            _call(f"delete {ref}", lambda: call(*ref.args, body=body, **TIMEOUT))
        except NotFound:
            return False
        return True

    def patch_status(
        self, ref: Ref, status: Mapping[str, Any], resource_version: str | None = None
    ) -> None:
        """Merge-patch `status` through the status subresource; with `resource_version`, only
        while the object is still at that version (Conflict otherwise)."""
        call, patch = self.custom.patch_namespaced_custom_object_status, {"status": dict(status)}
        if resource_version:
            patch["metadata"] = {"resourceVersion": resource_version}
        content = "application/merge-patch+json"
        options = {"field_manager": c.FIELD_MANAGER, "_content_type": content, **TIMEOUT}
        _call(f"patch status of {ref}", lambda: call(*ref.args, patch, **options))

    def list(
        self, group: str, version: str, plural: str, namespace: str | None, selector: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """Objects in a namespace (or all, for None) and the list's resourceVersion."""
        func, args = self._lister(group, version, plural, namespace)
        kwargs = {"label_selector": selector, **TIMEOUT} if selector else TIMEOUT
        result = cast(dict[str, Any], _call(f"list {plural}", lambda: func(*args, **kwargs)))
        return list(result.get("items") or []), str(result["metadata"].get("resourceVersion", ""))

    def watch(
        self,
        group: str,
        version: str,
        plural: str,
        namespace: str | None,
        *,
        resource_version: str,
        timeout_seconds: int,
        selector: str = "",
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(event type, object) from `resource_version` on, ending after `timeout_seconds`."""
        func, args = self._lister(group, version, plural, namespace)
        kwargs: dict[str, Any] = {
            "resource_version": resource_version,
            "timeout_seconds": timeout_seconds,
            "allow_watch_bookmarks": True,
        }
        if selector:
            kwargs["label_selector"] = selector
        stream = watch.Watch().stream(func, *args, **kwargs)  # type: ignore[no-untyped-call]
        while (event := _call(f"watch {plural}", lambda: next(stream, None))) is not None:
            if event["type"] != "BOOKMARK":  # bookmarks only move the resourceVersion on
                yield event["type"], event["object"]

    def _lister(
        self, group: str, version: str, plural: str, namespace: str | None
    ) -> tuple[Callable[..., Any], tuple[str, ...]]:
        if namespace:
            return self.custom.list_namespaced_custom_object, (group, version, namespace, plural)
        return self.custom.list_cluster_custom_object, (group, version, plural)

    # --- secrets -----------------------------------------------------------------------------
    def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """One key of a Secret, decoded and stripped; None when the Secret or key is missing."""
        call = self.core.read_namespaced_secret
        try:
            secret = _call(
                f"read Secret {namespace}/{name}", lambda: call(name, namespace, **TIMEOUT)
            )
        except NotFound:
            return None
        encoded = (secret.data or {}).get(key)
        return None if encoded is None else base64.b64decode(encoded).decode().strip()

    # --- events ------------------------------------------------------------------------------
    def post_event(
        self, involved: Mapping[str, Any], type_: str, reason: str, message: str, now: datetime
    ) -> None:
        """Post a core/v1 Event about `involved` (a whole object: apiVersion, kind, metadata)."""
        namespace = (involved.get("metadata") or {}).get("namespace") or "default"
        body = _event(involved, type_, reason, message, now, self.instance)
        event = client.CoreV1Event.from_dict(body)
        call = self.core.create_namespaced_event
        _call(f"post event {reason}", lambda: call(namespace, event, **TIMEOUT))


def _event(
    involved: Mapping[str, Any],
    type_: str,
    reason: str,
    message: str,
    now: datetime,
    instance: str,
) -> dict[str, Any]:
    metadata = involved.get("metadata") or {}
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "metadata": {"generateName": f"{metadata.get('name', 'object')}."},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion"),
            "kind": involved.get("kind"),
            "name": metadata.get("name"),
            "namespace": metadata.get("namespace"),
            "uid": metadata.get("uid"),
            "resourceVersion": metadata.get("resourceVersion"),
        },
        "type": type_,
        "reason": reason,
        "message": message[:1024],
        "source": {"component": c.EVENT_COMPONENT},
        "reportingComponent": c.EVENT_COMPONENT,
        "reportingInstance": instance[:128],
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def _call(what: str, call: Callable[[], T]) -> T:
    """Run one client call and translate its failure into our vocabulary."""
    try:
        return call()
    except ApiException as error:
        raise _classify(what, error) from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise Unavailable(f"{what}: {error}") from error


def _classify(what: str, error: ApiException) -> KubeError:
    status = int(error.status or 0)
    message = f"{what}: HTTP {status} {_api_message(error)}"
    if status == 404:
        return NotFound(message, status)
    if status == 410:
        return Expired(message, status)
    if status == 409:
        return Conflict(message, status)
    if status == 429 or status >= 500 or status == 0:
        return Unavailable(message, status)
    return Invalid(message, status)


def _api_message(error: ApiException) -> str:
    """The Status object's message when the server sent one, else the HTTP reason."""
    try:
        return str(json.loads(error.body or "")["message"])
    except (ValueError, KeyError, TypeError):
        return str(error.reason or "")
