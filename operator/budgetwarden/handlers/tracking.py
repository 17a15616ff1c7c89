"""kopf's watch events keep the operator's registry current (runtime/registry.py).

The handlers are async on purpose: they run on the event loop, as the poller, the webhook and
the VAP params sync do, so the registry is never changed from another thread while they read it.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from budgetwarden.core.kernel import conventions as c
from budgetwarden.handlers.startup import ADMISSION_ROLE, controls, operator_of


class _QuietTracking(logging.Filter):
    """Drops kopf's "Handler 'track_…' succeeded." line, which would come once per watch event
    of every object (each status write included); failures are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Handler 'track_") and message.endswith(" succeeded."))


logging.getLogger("kopf.objects").addFilter(_QuietTracking())


# Not in the admission role (not in ADMISSION_ROLE, and filtered out under `kopf run`): admission
# reads policies and exceptions only, and with thousands of SLOs the poller's status writes are a
# stream of events it would parse for nothing.
@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_SLO, when=controls)
async def track_slo(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the registry's SLO entry current (the processes that poll read it)."""
    operator_of(memo).registry.observe(c.PLURAL_SLO, type, body)


@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_POLICY, registry=ADMISSION_ROLE)
@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_POLICY)
async def track_policy(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the registry's ErrorBudgetPolicy entry current."""
    operator_of(memo).registry.observe(c.PLURAL_POLICY, type, body)


@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, registry=ADMISSION_ROLE)
@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION)
async def track_exception(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Keep the registry's FreezeException entry current."""
    operator_of(memo).registry.observe(c.PLURAL_EXCEPTION, type, body)
