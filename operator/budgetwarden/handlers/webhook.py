"""The admission webhook server, run inside the operator process on kopf's event loop.

Started at operator start-up when BUDGETWARDEN_WEBHOOK_ADDRESS is set (docs/admission.md):
  BUDGETWARDEN_WEBHOOK_ADDRESS    host:port to listen on, e.g. 0.0.0.0:9443 (port 0: any free)
  BUDGETWARDEN_WEBHOOK_CERT/_KEY  serving certificate and key (PEM files; changes are picked up)
  BUDGETWARDEN_EXCEPTION_MAX_TTL  longest FreezeException lifetime (default 24h)
  BUDGETWARDEN_OPERATOR_USERNAME  the operator's own user; its changes are always allowed

Why in the operator process and not a separate one: the registry the watch handlers keep is
already the cached state decisions need, so a request costs a dictionary lookup and a pure
function, with no second watch to keep consistent. The price is that the webhook is as available
as the operator; with failurePolicy Ignore an outage lets changes through, and the detection
fallback (handlers/drift.py) finds and pauses them. A cluster that wants Fail should run the
operator with a PodDisruptionBudget and expect kopf's single active replica.

Nothing on the hot path talks to the API server or Prometheus. The only side effect, the Events
recording that a FreezeException let a change through, is posted from a worker thread after the
answer is computed, and never for a dry run.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import kopf

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.webhook_server import ReloadingTLS, Routes, WebhookServer
from budgetwarden.core.freeze import admission, exception_admission
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.handlers.registry import Key, Registry
from budgetwarden.handlers.reporting import Logger, announce, utcnow

log = logging.getLogger(__name__)
ENV_ADDRESS = "BUDGETWARDEN_WEBHOOK_ADDRESS"
ENV_CERT = "BUDGETWARDEN_WEBHOOK_CERT"
ENV_KEY = "BUDGETWARDEN_WEBHOOK_KEY"
ENV_MAX_TTL = "BUDGETWARDEN_EXCEPTION_MAX_TTL"
ENV_OPERATOR_USERNAME = "BUDGETWARDEN_OPERATOR_USERNAME"


@dataclass(frozen=True)
class WebhookSettings:
    """Where and how the webhook server listens, and the exception lifetime cap."""

    host: str
    port: int
    cert: Path
    key: Path
    max_ttl: timedelta = exception_admission.DEFAULT_MAX_TTL
    operator_username: str = ""

    @classmethod
    def parse(cls, env: Mapping[str, str] | None = None) -> WebhookSettings | None:
        """Settings from BUDGETWARDEN_* variables; None without an address; ValueError if bad."""
        env = os.environ if env is None else env
        address = env.get(ENV_ADDRESS, "")
        if not address:
            return None
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(
                f'{ENV_ADDRESS} must be HOST:PORT such as 0.0.0.0:9443; got "{address}"'
            )
        if not env.get(ENV_CERT) or not env.get(ENV_KEY):
            raise ValueError(f"{ENV_ADDRESS} needs {ENV_CERT} and {ENV_KEY} (PEM files)")
        try:
            ttl = parse_duration(env[ENV_MAX_TTL]) if env.get(ENV_MAX_TTL) else None
        except ValueError as error:
            raise ValueError(f"{ENV_MAX_TTL} {error}") from error
        return cls(
            host=host.strip("[]"),
            port=int(port),
            cert=Path(env[ENV_CERT]),
            key=Path(env[ENV_KEY]),
            max_ttl=ttl or exception_admission.DEFAULT_MAX_TTL,
            operator_username=env.get(ENV_OPERATOR_USERNAME, ""),
        )


class Admission:
    """The reviewers behind the routes, reading the registry through a per-namespace cache."""

    def __init__(
        self,
        registry: Callable[[], Registry | None],
        settings: WebhookSettings,
        on_exception_used: Callable[[Mapping[str, Any], str, str], None] = lambda *_: None,
    ) -> None:
        self._registry = registry
        self.settings = settings
        self._on_exception_used = on_exception_used
        self._views: dict[str, FreezeView] = {}
        self._seen_changes = -1

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView, rebuilt only after the registry changed."""
        registry = self._registry()
        if registry is None:
            return FreezeView()  # before start-up built it: nothing is known to hold
        if registry.changes != self._seen_changes:
            self._views, self._seen_changes = {}, registry.changes
        if namespace not in self._views:
            self._views[namespace] = _view_of(registry, namespace)
        return self._views[namespace]

    def workloads(self, review: Any) -> Mapping[str, Any]:
        """Answer a Rollout, Deployment or StatefulSet request."""
        view = self.view(admission.review_namespace(review))
        decision = admission.decide(
            review, view, operator_username=self.settings.operator_username, now=utcnow()
        )
        if decision.freeze_id or decision.warnings:  # decisions a freeze touched, for the log
            what, verdict = _describe(review), decision.reason_code.value
            log.info(
                "admission %s %s: %s %s", what, decision.change.value, verdict, decision.freeze_id
            )
        if decision.exception_used and not _dry_run(review):
            message = decision.warnings[0] if decision.warnings else ""
            self._on_exception_used(review, decision.exception_used, message)
        return admission.review_response(admission.request_uid(review), decision)

    def mutate_exception(self, review: Any) -> Mapping[str, Any]:
        """Record a FreezeException's approver."""
        decision = exception_admission.mutate(review)
        return exception_admission.review_response(admission.request_uid(review), decision)

    def validate_exception(self, review: Any) -> Mapping[str, Any]:
        """Check a FreezeException's approver and lifetime."""
        decision = exception_admission.validate(review, now=utcnow(), max_ttl=self.settings.max_ttl)
        return exception_admission.review_response(admission.request_uid(review), decision)

    def routes(self) -> Routes:
        """The server's routes bound to these reviewers."""
        return Routes(self.workloads, self.mutate_exception, self.validate_exception)


def _view_of(registry: Registry, namespace: str) -> FreezeView:
    policies = [
        (entry.model, entry.status)
        for key, entry in registry.policies.items()
        if key.namespace == namespace and entry.model is not None
    ]
    return freeze_view(policies, registry.exceptions_in(namespace))


def _dry_run(review: Any) -> bool:
    request = review.get("request") if isinstance(review, Mapping) else None
    return isinstance(request, Mapping) and request.get("dryRun") is True


def _describe(review: Any) -> str:
    """ "UPDATE Deployment shop/checkout-worker (dry run)" for the log."""
    request = review.get("request") or {}
    kind = (request.get("kind") or {}).get("kind")
    where = f"{request.get('namespace')}/{request.get('name')}"
    dry = " (dry run)" if request.get("dryRun") is True else ""
    return f"{request.get('operation')} {kind} {where}{dry}"


def _workload_of(review: Mapping[str, Any]) -> dict[str, Any]:
    """The workload a request is about, as an Event's involvedObject needs it."""
    request = review["request"]
    kind, obj = request.get("kind") or {}, request.get("object") or {}
    group, version = kind.get("group", ""), kind.get("version", "")
    metadata = obj.get("metadata") or {}
    return {
        "apiVersion": f"{group}/{version}" if group else version,
        "kind": kind.get("kind"),
        "metadata": {
            "name": request.get("name") or metadata.get("name"),
            "namespace": request.get("namespace"),
            "uid": metadata.get("uid"),
        },
    }


def _event_poster(memo: kopf.Memo, logger: Logger) -> Callable[[Mapping[str, Any], str, str], None]:
    """Post FreezeExceptionUsed on the workload and the exception, off the event loop."""
    loop = asyncio.get_running_loop()

    def post(review: Mapping[str, Any], exception: str, message: str) -> None:
        kube: Kube = memo.collaborators.kube
        registry: Registry | None = memo.get("registry")
        workload = _workload_of(review)
        namespace = workload["metadata"]["namespace"]
        tracked = registry.exceptions.get(Key(namespace, exception)) if registry else None
        targets = [workload] + ([tracked.involved()] if tracked is not None else [])

        def send() -> None:
            for involved in targets:
                announce(kube, involved, "Normal", c.EVENT_EXCEPTION_USED, message,
                         now=utcnow(), logger=logger)  # fmt: skip

        loop.run_in_executor(None, send)

    return post


@kopf.on.startup()
async def start_webhook(memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """Serve admission when an address is configured; the registry is read per request."""
    try:
        settings = WebhookSettings.parse()
    except ValueError as error:
        raise kopf.PermanentError(str(error)) from error
    if settings is None:
        logger.info("no %s: the admission webhook is not served", ENV_ADDRESS)
        return
    reviewers = Admission(lambda: memo.get("registry"), settings, _event_poster(memo, logger))
    try:
        tls = ReloadingTLS(settings.cert, settings.key)
        server = WebhookServer(reviewers.routes(), tls, settings.host, settings.port)
        await server.start()
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise kopf.TemporaryError(
            f"cannot serve the admission webhook: {error}", delay=10
        ) from error
    memo.webhook_server = server


@kopf.on.cleanup()
async def stop_webhook(memo: kopf.Memo, **_: Any) -> None:
    """Close the webhook server; with failurePolicy Ignore the API server then admits alone."""
    server: WebhookServer | None = memo.get("webhook_server")
    if server is not None:
        await server.stop()
