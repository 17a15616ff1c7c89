"""The shared recipe of resources that are only checked, not acted on (yet): parse, record.

Used by the ErrorBudgetPolicy and FreezeException handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import kopf

from budgetwarden.adapters.kube import Kube, KubeError
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel import status
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.runtime.reporting import Logger, announce, record, retry_delay, utcnow


def check_and_record(
    kube: Kube,
    resource: dict[str, Any],
    plural: str,
    kind: str,
    parse: Callable[[Mapping[str, Any]], object],
    *,
    retry: int,
    logger: Logger,
) -> None:
    """Parse `resource` and set Valid/Ready; one Warning Event per invalid change."""
    now = utcnow()
    # 1. Parse; a bad spec is reported, not raised, so kopf does not retry it.
    try:
        parse(resource)
        error = None
    except SpecError as problem:
        error = problem
    # 2. Record status (only when it changes); API trouble is retried with backoff.
    conditions = status.spec_valid(kind) if error is None else status.spec_invalid(error)
    try:
        patch = record(kube, resource, plural, conditions, now=now)
    except KubeError as failure:
        raise kopf.TemporaryError(str(failure), delay=retry_delay(retry)) from failure
    # 3. Tell whoever applied it, once per change.
    if error is not None and patch is not None:
        message = status.spec_message(error)
        announce(kube, resource, "Warning", c.REASON_INVALID_SPEC, message, now=now, logger=logger)
