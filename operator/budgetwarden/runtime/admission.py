"""Admission served from memory: the reviewers behind the webhook server's routes.

The operator (runtime/operator.py) serves these on kopf's event loop when the admission mode is
`webhook` (docs/admission.md). Why in the operator process and not a separate one: the registry
the watch handlers keep is already the cached state decisions need, so a request costs a
dictionary lookup and a pure function, with no second watch to keep consistent. The price is
that the webhook is as available as the operator; with failurePolicy Ignore an outage lets
changes through, and the detection fallback (runtime/drift.py) finds and pauses them.

Nothing on the hot path talks to the API server or Prometheus. The webhook server calls the
reviewers in its worker threads (adapters/webhook_limits.py), several at once: they read the
per-namespace views of a cache, and a view to build is built on the event loop, which alone reads
the registry (runtime/registry.py). The only side effect, the Event pair recording that a
FreezeException let a change through, goes through runtime/exception_events.py: never for a dry
run or for a review that lacks what kube-apiserver always sends, at most one pair per exception
and workload a minute, through a bounded queue that drops (and logs how many) rather than grows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from budgetwarden.adapters.webhook_server import Routes
from budgetwarden.core.freeze import admission, exception_admission, policy_guard
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.runtime.exception_events import event_poster as event_poster
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import utcnow

log = logging.getLogger(__name__)
ExceptionUsed = Callable[[Mapping[str, Any], str, str], None]
# A worker thread waits this long for the event loop to build a view (the API server's default
# webhook timeout); longer, and the request fails (500: the failurePolicy decides).
VIEW_WAIT_SECONDS = 5.0


class Admission:
    """The reviewers behind the routes, reading the registry through a per-namespace cache."""

    def __init__(
        self,
        registry: Registry,
        *,
        max_ttl: timedelta = exception_admission.DEFAULT_MAX_TTL,
        operator_username: str = "",
        allow_service_account_approvers: bool = False,
        on_exception_used: ExceptionUsed = lambda *_: None,
    ) -> None:
        self.registry = registry
        self.max_ttl = max_ttl
        self.allow_service_account_approvers = allow_service_account_approvers
        self.operator_username = operator_username
        self._on_exception_used = on_exception_used
        # (registry.changes, views built since): replaced whole, so a thread reads one pair
        self._cache: tuple[int, dict[str, FreezeView]] = (-1, {})
        self._loop = _running_loop()  # None when built outside one: views are built in place

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView, rebuilt only after the registry changed. Any thread may
        ask; a view to build is built on the event loop, which alone reads the registry."""
        changes, views = self._cache
        cached = views.get(namespace) if changes == self.registry.changes else None
        if cached is not None:
            return cached
        loop = self._loop
        if loop is None or loop.is_closed() or _running_loop() is loop:
            return self._build(namespace)
        built = asyncio.run_coroutine_threadsafe(self._built(namespace), loop)
        return built.result(timeout=VIEW_WAIT_SECONDS)

    def _build(self, namespace: str) -> FreezeView:
        changes = self.registry.changes
        if self._cache[0] != changes:
            self._cache = (changes, {})
        views = self._cache[1]
        if namespace not in views:
            views[namespace] = _view_of(self.registry, namespace)
        return views[namespace]

    async def _built(self, namespace: str) -> FreezeView:
        return self._build(namespace)

    def workloads(self, review: Any) -> Mapping[str, Any]:
        """Answer a Rollout or Deployment request."""
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
        """Check a FreezeException's approver, lifetime and changes."""
        decision = exception_admission.validate(
            review,
            now=utcnow(),
            max_ttl=self.max_ttl,
            allow_service_accounts=self.allow_service_account_approvers,
        )
        return exception_admission.review_response(admission.request_uid(review), decision)

    def validate_policy(self, review: Any) -> Mapping[str, Any]:
        """Refuse weakening or deleting an ErrorBudgetPolicy in force (its own status says so)."""
        decision = policy_guard.decide(review, operator_username=self.operator_username)
        if not decision.allowed:
            log.info("admission %s: %s %s", _describe(review), "refused", decision.freeze_id)
        return admission.review_response(admission.request_uid(review), decision)

    def routes(self) -> Routes:
        """The server's routes bound to these reviewers."""
        return Routes(
            self.workloads, self.mutate_exception, self.validate_exception, self.validate_policy
        )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
