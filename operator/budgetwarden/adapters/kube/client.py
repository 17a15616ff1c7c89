"""`Kube`: our custom objects, PrometheusRules, status writes, Events, Secrets, list and watch.

The operator's handlers and `budgetwarden rules-sync` call this module to read, server-side
apply, delete and watch PrometheusRule objects, to patch the status of our own resources and to
post Events. Calls are synchronous (kopf runs sync handlers in its thread pool). Every failure
surfaces as a `KubeError` subclass with the client's exception chained as the cause, so callers
decide retries on our vocabulary, not on HTTP codes.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from kubernetes import client, config, watch

from budgetwarden.adapters.kube.errors import Expired, KubeError, NotFound, call
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.wire import format_time

PROMETHEUS_RULE_GROUP, PROMETHEUS_RULE_VERSION = c.PROMETHEUS_RULE_API_VERSION.split("/")
PROMETHEUS_RULE_PLURAL = "prometheusrules"
REQUEST_TIMEOUT_SECONDS = 30
TIMEOUT: dict[str, Any] = {"_request_timeout": REQUEST_TIMEOUT_SECONDS}
PAGE_SIZE = 500  # objects a page (client-go's default): 10,000 SLOs at once are some 200 MB
Page = list[dict[str, Any]]  # one page of a listing (the name `list` is a method of Kube's)


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
        self.apps = client.AppsV1Api(api_client)
        self.instance = instance or socket.gethostname()

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None) -> Kube:
        """Credentials in controller-runtime's order: $KUBECONFIG, in-cluster, ~/.kube/config."""
        path = kubeconfig or os.environ.get("KUBECONFIG")
        try:
            if not path and "KUBERNETES_SERVICE_HOST" in os.environ:
                configuration = client.Configuration()
                config.load_incluster_config(  # type: ignore[no-untyped-call]
                    client_configuration=configuration
                )
                return cls(client.ApiClient(configuration))
            default = os.path.expanduser("~/.kube/config")
            loaded = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=path or default
            )
            return cls(loaded)
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
        self.api_client.close()  # type: ignore[no-untyped-call]

    # --- custom objects ----------------------------------------------------------------------
    def get(self, ref: Ref) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        method = self.custom.get_namespaced_custom_object
        try:
            return cast(dict[str, Any], call(f"get {ref}", lambda: method(*ref.args, **TIMEOUT)))
        except NotFound:
            return None

    def apply(self, ref: Ref, body: Mapping[str, Any]) -> None:
        """Server-side apply `body` as our field manager, taking over conflicting fields."""
        # No result: the generated client maps only 200 to a body, not 201 (an apply that creates).
        method, patch = self.custom.patch_namespaced_custom_object, dict(body)
        options = {"field_manager": c.FIELD_MANAGER, "force": True, **TIMEOUT}
        content = "application/apply-patch+yaml"
        call(f"apply {ref}", lambda: method(*ref.args, patch, _content_type=content, **options))

    def delete(self, ref: Ref, resource_version: str | None = None) -> bool:
        """Delete the object (in the background); False when it was already gone."""
        preconditions = (
            client.V1Preconditions(resource_version=resource_version) if resource_version else None
        )
        body = client.V1DeleteOptions(propagation_policy="Background", preconditions=preconditions)
        method = self.custom.delete_namespaced_custom_object
        try:
            call(f"delete {ref}", lambda: method(*ref.args, body=body, **TIMEOUT))
        except NotFound:
            return False
        return True

    def patch_status(self, ref: Ref, status: Mapping[str, Any], resource_version: str) -> None:
        """Merge-patch `status` through the status subresource, only while the object is still
        at `resource_version` (Conflict otherwise): a status computed from a stale read must not
        overwrite what another writer just put there."""
        if not resource_version:
            raise ValueError(f"a status write of {ref} needs the resourceVersion it was read at")
        method = self.custom.patch_namespaced_custom_object_status
        patch = {"metadata": {"resourceVersion": resource_version}, "status": dict(status)}
        content = "application/merge-patch+json"
        options = {"field_manager": c.FIELD_MANAGER, "_content_type": content, **TIMEOUT}
        call(f"patch status of {ref}", lambda: method(*ref.args, patch, **options))

    def list(
        self, group: str, version: str, plural: str, namespace: str | None, selector: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """Objects in a namespace (or all, for None) and the list's resourceVersion."""
        func, args = self._lister(group, version, plural, namespace)
        kwargs = {"label_selector": selector, **TIMEOUT} if selector else TIMEOUT
        result = cast(dict[str, Any], call(f"list {plural}", lambda: func(*args, **kwargs)))
        return list(result.get("items") or []), str(result["metadata"].get("resourceVersion", ""))

    def list_pages(
        self, group: str, version: str, plural: str, namespace: str | None, limit: int = PAGE_SIZE
    ) -> Iterator[Page]:
        """Objects in a namespace (or all, for None), at most `limit` a page (0: all in one),
        each fetched when the one before is done with. The pages are one consistent snapshot
        unless the continue token expires between two (410 Gone, after some minutes): then the
        listing starts over once, as client-go's does, and objects of the pages already yielded
        come again, as they are by then. `Expired` the second time."""
        lister, token, restarts = self._lister(group, version, plural, namespace), "", 1
        while True:
            try:
                page, token = _page(lister, plural, limit, token)
            except Expired:
                if not token or not restarts:
                    raise
                token, restarts = "", restarts - 1  # only a new snapshot is consistent
                continue
            yield page
            del page  # so that it is not held while the next one is decoded
            if not token:
                return

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
        while (event := call(f"watch {plural}", lambda: next(stream, None))) is not None:
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
        method = self.core.read_namespaced_secret
        try:
            secret = call(
                f"read Secret {namespace}/{name}", lambda: method(name, namespace, **TIMEOUT)
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
        if event is None:  # from_dict answers None only for None
            raise ValueError(f"not an Event: {body}")
        method = self.core.create_namespaced_event
        call(f"post event {reason}", lambda: method(namespace, event, **TIMEOUT))


def _page(
    lister: tuple[Callable[..., Any], tuple[str, ...]], plural: str, limit: int, token: str
) -> tuple[Page, str]:
    """One page of a listing and the token of the next ("" after the last)."""
    func, args = lister
    kwargs = {"limit": limit, **TIMEOUT} if limit else dict(TIMEOUT)
    if token:
        kwargs["_continue"] = token
    result = cast(dict[str, Any], call(f"list {plural}", lambda: func(*args, **kwargs)))
    return list(result.get("items") or []), str(result["metadata"].get("continue") or "")


def _event(
    involved: Mapping[str, Any],
    type_: str,
    reason: str,
    message: str,
    now: datetime,
    instance: str,
) -> dict[str, Any]:
    metadata = involved.get("metadata") or {}
    stamp = format_time(now)
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
