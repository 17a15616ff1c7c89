"""How the operator tells the cluster what it found: status patches and Events.

Used by every resource handler (SLO, policy, exception), the poller, the enforcer, the drift
watch and admission. Status goes through the status subresource as a merge patch of the
writer's own fields (core/kernel/status.py builds it), only when it changes, and always with the
resourceVersion it was computed from; Events are posted for changes, never for a resume that
changed nothing. Posting an Event is best effort: a lost Event is logged, it does not fail or
retry anything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from budgetwarden.adapters.kube import KubeError, Ref
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition
from budgetwarden.core.kernel.status import status_patch
from budgetwarden.runtime.ports import Cluster

Logger = logging.Logger | logging.LoggerAdapter[Any]

# Seconds before retrying a failed API call, by attempt; the last one repeats.
RETRY_DELAYS = (1, 2, 5, 10, 30, 60, 120, 300)


def utcnow() -> datetime:
    """The one clock read of the handlers; the core gets `now` passed in."""
    return datetime.now(UTC)


def retry_delay(retry: int) -> int:
    """Backoff for kopf's `retry` counter (0 on the first attempt)."""
    return RETRY_DELAYS[min(retry, len(RETRY_DELAYS) - 1)]


def own_ref(body: Mapping[str, Any], plural: str) -> Ref:
    """The Ref of one of our own resources from its body."""
    metadata = body["metadata"]
    return Ref(c.GROUP, c.VERSION, plural, metadata["namespace"], metadata["name"])


def record(
    kube: Cluster,
    body: Mapping[str, Any],
    plural: str,
    conditions: Sequence[Condition],
    *,
    fields: Mapping[str, Any] | None = None,
    now: datetime,
) -> dict[str, Any] | None:
    """Bring status to these conditions and fields; the patch sent, or None if nothing changed."""
    patch = status_patch(
        body.get("status"),
        generation=int(body["metadata"].get("generation") or 0),
        conditions=conditions,
        fields=fields,
        now=now,
    )
    if patch is not None:
        version = str(body["metadata"].get("resourceVersion") or "")
        kube.patch_status(own_ref(body, plural), patch, resource_version=version)
    return patch


def announce(
    kube: Cluster,
    body: Mapping[str, Any],
    type_: str,
    reason: str,
    message: str,
    *,
    now: datetime,
    logger: Logger,
) -> None:
    """Post an Event about `body`; failures are logged and swallowed."""
    log = logger.warning if type_ == "Warning" else logger.info
    log("%s: %s", reason, message)
    try:
        kube.post_event(body, type_, reason, message, now)
    except KubeError as error:
        logger.warning("could not post the %s event: %s", reason, error)
