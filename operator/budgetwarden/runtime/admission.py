"""Admission served from memory: the reviewers behind the webhook server's routes.

The operator (runtime/operator.py) serves these on kopf's event loop when the admission mode is
`webhook` (docs/admission.md). Why in the operator process and not a separate one: the registry
the watch handlers keep is already the cached state decisions need, so a request costs a
dictionary lookup and a pure function, with no second watch to keep consistent. The price is
that the webhook is as available as the operator; with failurePolicy Ignore an outage lets
changes through, and the detection fallback (runtime/drift.py) finds and pauses them.

Nothing on the hot path talks to the API server or Prometheus. The only side effect, the Events
recording that a FreezeException let a change through, is posted from a worker thread after the
answer is computed, and never for a dry run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.webhook_server import Routes
from budgetwarden.core.freeze import admission, exception_admission
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.registry import Key, Registry
from budgetwarden.runtime.reporting import Logger, announce, utcnow

log = logging.getLogger(__name__)
ExceptionUsed = Callable[[Mapping[str, Any], str, str], None]


class Admission:
    """The reviewers behind the routes, reading the registry through a per-namespace cache."""

    def __init__(
        self,
        registry: Registry,
        *,
        max_ttl: timedelta = exception_admission.DEFAULT_MAX_TTL,
        operator_username: str = "",
        on_exception_used: ExceptionUsed = lambda *_: None,
    ) -> None:
        self.registry = registry
        self.max_ttl = max_ttl
        self.operator_username = operator_username
        self._on_exception_used = on_exception_used
        self._views: dict[str, FreezeView] = {}
        self._seen_changes = -1

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView, rebuilt only after the registry changed."""
        registry = self.registry
        if registry.changes != self._seen_changes:
            self._views, self._seen_changes = {}, registry.changes
        if namespace not in self._views:
            self._views[namespace] = _view_of(registry, namespace)
        return self._views[namespace]

    def workloads(self, review: Any) -> Mapping[str, Any]:
        """Answer a Rollout, Deployment or StatefulSet request."""
        view = self.view(admission.review_namespace(review))
        decision = admission.decide(
            review, view, operator_username=self.operator_username, now=utcnow()
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
        decision = exception_admission.validate(review, now=utcnow(), max_ttl=self.max_ttl)
        return exception_admission.review_response(admission.request_uid(review), decision)

    def routes(self) -> Routes:
        """The server's routes bound to these reviewers."""
        return Routes(self.workloads, self.mutate_exception, self.validate_exception)


def _view_of(registry: Registry, namespace: str) -> FreezeView:
    return freeze_view(registry.policies_in(namespace), registry.exceptions_in(namespace))


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


def event_poster(kube: Kube, registry: Registry, logger: Logger) -> ExceptionUsed:
    """Post FreezeExceptionUsed on the workload and the exception, off the event loop."""
    loop = asyncio.get_running_loop()

    def post(review: Mapping[str, Any], exception: str, message: str) -> None:
        workload = _workload_of(review)
        namespace = workload["metadata"]["namespace"]
        tracked = registry.exceptions.get(Key(namespace, exception))
        targets = [workload] + ([tracked.involved()] if tracked is not None else [])

        def send() -> None:
            for involved in targets:
                announce(kube, involved, "Normal", c.EVENT_EXCEPTION_USED, message,
                         now=utcnow(), logger=logger)  # fmt: skip

        loop.run_in_executor(None, send)

    return post
