"""Admission served from memory: the reviewers behind the webhook server's routes.

The operator (runtime/operator.py) serves these when the admission mode is `webhook`
(docs/admission.md), in a process of its own when run as `--role admission` (the chart's webhook
container). The registry that process's watch handlers keep is the cached state decisions need,
so a request costs a dictionary lookup and a pure function. With failurePolicy Ignore an outage
of the webhook lets changes through, and the detection fallback (runtime/drift.py) in the
controller finds and pauses them.

Nothing on the hot path talks to the API server or Prometheus. The webhook server calls the
reviewers in its worker threads (adapters/webhook_limits.py), several at once: they read the
per-namespace views of a cache (runtime/views.py), and a view to build is built on the event
loop, which alone reads the registry (runtime/registry.py). The only side effect, the Event
pair recording that a FreezeException let a change through, goes through
runtime/exception_events.py: never for a dry run or for a review that lacks what kube-apiserver
always sends, at most one pair per exception and workload a minute, through a bounded queue that
drops (and logs how many) rather than grows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

from budgetwarden.adapters.webhook_server import Routes
from budgetwarden.core.freeze import admission, exception_admission, policy_guard
from budgetwarden.core.freeze.view import FreezeView
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.runtime.exception_events import event_poster as event_poster
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import utcnow
from budgetwarden.runtime.views import FreezeViews

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
        allow_service_account_approvers: bool = False,
        status_writers: Collection[str] = (),
        on_exception_used: ExceptionUsed = lambda *_: None,
        views: FreezeViews | None = None,
        runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
    ) -> None:
        self.registry = registry
        self.max_ttl = max_ttl
        self.allow_service_account_approvers = allow_service_account_approvers
        self.operator_username = operator_username
        self.status_writers = frozenset(status_writers)
        self._on_exception_used = on_exception_used
        self.runbooks = runbooks  # denials link its freeze page
        self.views = views if views is not None else FreezeViews(registry, runbooks)

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView (runtime/views.py: cached, built on the event loop)."""
        return self.views.view(namespace)

    def workloads(self, review: Any) -> Mapping[str, Any]:
        """Answer a Rollout or Deployment request."""
        view = self.view(admission.review_namespace(review))
        decision = admission.decide(
            review,
            view,
            operator_username=self.operator_username,
            now=utcnow(),
            status_writers=self.status_writers,
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
        decision = policy_guard.decide(
            review, operator_username=self.operator_username, runbook=self.runbooks.freeze
        )
        if not decision.allowed:
            log.info("admission %s: %s %s", _describe(review), "refused", decision.freeze_id)
        return admission.review_response(admission.request_uid(review), decision)

    def routes(self) -> Routes:
        """The server's routes bound to these reviewers."""
        return Routes(
            self.workloads, self.mutate_exception, self.validate_exception, self.validate_policy
        )


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
