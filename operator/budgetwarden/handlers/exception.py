"""kopf handlers for FreezeException: check the spec, resolve selectors once, say so in status.

Registered by `budgetwarden.handlers`. An exception is parsed and gets Valid and Ready
conditions (InvalidSpec naming the fields, plus one Warning Event, when it cannot be used). The
first time a valid exception with selector targets is seen, the workloads they match are
recorded in `status.covers` (runtime/exception_covers.py): a selector target lets through those
and no workload labelled later. Whether it lets a deployment through is decided at admission
time from its spec and that record.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import kopf

from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.kernel import conventions as c
from budgetwarden.handlers.startup import controls, operator_of
from budgetwarden.handlers.validation import check_and_record
from budgetwarden.runtime.exception_covers import covers_to_record
from budgetwarden.runtime.reporting import Logger


@kopf.on.resume(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, when=controls)
@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, when=controls)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, when=controls)
def check_exception(body: kopf.Body, memo: kopf.Memo, retry: int, logger: Logger, **_: Any) -> None:
    """Parse the exception, record Valid/Ready and what its selectors cover; returns None so
    kopf writes nothing to status."""
    kube, resource = operator_of(memo).kube, dict(body)
    check_and_record(
        kube,
        resource,
        c.PLURAL_EXCEPTION,
        c.KIND_EXCEPTION,
        parse_exception,
        retry=retry,
        logger=logger,
        fields=partial(covers_to_record, kube, resource.get("status")),
    )
