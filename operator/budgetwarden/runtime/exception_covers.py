"""Recording, once, which workloads a FreezeException's selector targets cover.

The exception handler (handlers/exception.py) calls `covers_to_record` with every exception it
checks. The first time it sees one with selector targets, still in force, this lists the
namespace's workloads of those kinds (one list call per kind) and returns the `status.covers`
field naming the ones the selectors match (core/freeze/exception_covers.py); the handler writes it
with the exception's conditions. Once written it is never written again, so a workload labelled
afterwards stays outside the exception: admission, enforcement and the drift watch let a selector
target through for the recorded names only. Blocking: kopf runs the handler in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.kube.workloads import list_workloads
from budgetwarden.core.freeze.exception_covers import (
    COVERS,
    needs_covers,
    resolve_covers,
    selector_kinds,
)
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.runtime.reporting import utcnow


def covers_to_record(
    kube: Kube, status: object, exception: FreezeException
) -> Mapping[str, Any] | None:
    """{"covers": [...]} to merge into status the first time; None when nothing is to record.

    Raises the kube adapter's KubeError when the workloads cannot be listed (retried)."""
    if not needs_covers(exception, status, utcnow()):
        return None
    namespace = exception.metadata.namespace
    workloads = [
        w for kind in selector_kinds(exception) for w in list_workloads(kube, namespace, kind)
    ]
    return {COVERS: resolve_covers(exception, workloads)}
