"""The shared recipe of resources that are checked, not acted on: parse, record.

Used by the ErrorBudgetPolicy and FreezeException handlers; the exception handler adds the
status fields it records once (`status.covers`, runtime/exception_covers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import kopf

from budgetwarden.adapters.kube import Kube, KubeError
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel import status
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.runtime.reporting import Logger, announce, record, retry_delay, utcnow

ModelT = TypeVar("ModelT")


def check_and_record(
    kube: Kube,
    resource: dict[str, Any],
    plural: str,
    kind: str,
    parse: Callable[[Mapping[str, Any]], ModelT],
    *,
    retry: int,
    logger: Logger,
    fields: Callable[[ModelT], Mapping[str, Any] | None] | None = None,
) -> None:
    """Parse `resource` and set Valid/Ready, with the status `fields` of a valid one; one
    Warning Event per invalid change."""
    now = utcnow()
    # 1. Parse; a bad spec is reported, not raised, so kopf does not retry it.
    try:
        parsed, error = parse(resource), None
    except SpecError as problem:
        parsed, error = None, problem
    # 2. Record status (only when it changes); API trouble is retried with backoff.
    conditions = status.spec_valid(kind) if error is None else status.spec_invalid(error)
    try:
        extra = fields(parsed) if fields is not None and parsed is not None else None
        patch = record(kube, resource, plural, conditions, fields=extra, now=now)
    except KubeError as failure:
        raise kopf.TemporaryError(str(failure), delay=retry_delay(retry)) from failure
    # 3. Tell whoever applied it, once per change.
    if error is not None and patch is not None:
        message = status.spec_message(error)
        announce(kube, resource, "Warning", c.REASON_INVALID_SPEC, message, now=now, logger=logger)
