"""What the running operator needs from the outside world, as protocols.

The poller, the enforcer and the admission server are written against these, not against the
adapters' classes, so fast tests hand them fakes at this boundary (tests/runtime_fakes.py) while
the real-cluster tests run the real adapters: `adapters.kube.Kube` is a `Cluster`,
`adapters.prometheus.PrometheusReader` a `BudgetSource`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from budgetwarden.adapters.kube import Page, Ref
from budgetwarden.core.budget.reading import Reading


class BudgetSource(Protocol):
    """Prometheus, as the poller reads it: every SLO's budget series at once."""

    @property
    def queries_issued(self) -> int:
        """How many queries this source has run, for /metrics."""
        ...

    def read_budget_series(
        self, max_age: timedelta, budget_max_age: timedelta | None = None
    ) -> Sequence[Reading]:
        """Every SLO's budget samples younger than `max_age` (the budget left: `budget_max_age`
        when given); raise on any failure (the poller treats it as unavailable)."""
        ...


class Cluster(Protocol):
    """The Kubernetes calls the budget loop makes; all block, callers use a thread."""

    def list(
        self, group: str, version: str, plural: str, namespace: str | None, selector: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """Objects of a namespace and the list's resourceVersion."""
        ...

    def list_pages(
        self, group: str, version: str, plural: str, namespace: str | None, limit: int = ...
    ) -> Iterator[Page]:
        """Objects of a namespace (or all), a page at a time; after an expired continue token
        the listing starts over once, so objects of earlier pages may come again."""
        ...

    def patch_status(self, ref: Ref, status: Mapping[str, Any], resource_version: str) -> None:
        """Merge-patch status while the object is still at `resource_version`."""
        ...

    def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """One key of a Secret, or None when missing."""
        ...

    def post_event(
        self, involved: Mapping[str, Any], type_: str, reason: str, message: str, now: datetime
    ) -> None:
        """Post an Event about `involved`."""
        ...
