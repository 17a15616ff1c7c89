"""Fakes at the runtime's ports (budgetwarden/runtime/ports.py), for fast tests of the operator.

`FakeSource` answers the poller's read with samples the test sets (staleness is not modelled:
the real Prometheus tests cover it); `FakeCluster` keeps our
custom objects in memory and behaves as the API server does where the runtime relies on it:
status writes need the object's current resourceVersion (a stale one is a `Conflict`), every
write moves the resourceVersion on, a missing object is `NotFound`, a paged listing comes
`page_size` objects at a time and starts over once when its continue token expires. The
real-cluster tests run the same code against the real adapters.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.adapters.kube import Conflict, Expired, NotFound, Ref
from budgetwarden.adapters.prometheus import PrometheusUnavailable, Sample
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.wire import merge_apply


@dataclass
class FakeSource:
    """Prometheus as the poller sees it: the samples to answer with, or a failure."""

    samples: list[Sample] = field(default_factory=list)
    down: bool = False
    reads: list[timedelta] = field(default_factory=list)  # the max_age of each read
    budget_reads: list[timedelta | None] = field(default_factory=list)  # and its budget_max_age

    @property
    def queries_issued(self) -> int:
        return len(self.reads)

    def read_budget_series(
        self, max_age: timedelta, budget_max_age: timedelta | None = None
    ) -> Sequence[Sample]:
        self.reads.append(max_age)
        self.budget_reads.append(budget_max_age)
        if self.down:
            raise PrometheusUnavailable("query failed: connection refused")
        return list(self.samples)

    def budget(
        self,
        namespace: str,
        slo: str,
        remaining: str,
        at: datetime,
        *,
        service: str = "checkout",
        extra: Mapping[str, str] | None = None,
        **burn_rates: str,
    ) -> None:
        """Budget left as a ratio ("0.214") and burn rates by window (w1h="2"), sampled `at`
        (Prometheus' evaluation time), labelled as the SLO's rules label them plus `extra`."""
        labels = {c.PROM_LABEL_NAMESPACE: namespace, c.PROM_LABEL_SLO: slo}
        labels |= {c.PROM_LABEL_SERVICE: service, **(extra or {})}
        name = {"__name__": c.METRIC_BUDGET_REMAINING}
        self.samples.append(Sample({**name, **labels}, Decimal(remaining), at))
        for window, rate in burn_rates.items():
            series = {"__name__": c.METRIC_BURN_RATE, **labels}
            series[c.PROM_LABEL_WINDOW] = window.removeprefix("w")
            self.samples.append(Sample(series, Decimal(rate), at))


@dataclass
class FakeCluster:
    """Our custom objects, Secrets and the Events posted, in memory."""

    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    secrets: dict[tuple[str, str, str], str] = field(default_factory=dict)
    events: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # (name, type, reason, msg)
    status_writes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    version: int = 100
    page_size: int = 2  # objects a page of `list_pages` when no limit is given: tests see several
    expiring: int = 0  # how many continue tokens to come expire (410 Gone) before their page
    pages: int = 0  # pages `list_pages` has served

    def create(self, plural: str, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Store an object as the API server would: with a uid and a resourceVersion."""
        stored = copy.deepcopy(dict(resource))
        meta = stored.setdefault("metadata", {})
        meta.setdefault("uid", f"uid-{meta['name']}")
        meta.setdefault("generation", 1)
        self._bump(stored)
        self.objects[(plural, meta["namespace"], meta["name"])] = stored
        return copy.deepcopy(stored)

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        """The stored object (a copy)."""
        return copy.deepcopy(self.objects[(plural, namespace, name)])

    # --- the Cluster port ----------------------------------------------------------------------
    def list(
        self, group: str, version: str, plural: str, namespace: str | None, selector: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        return [copy.deepcopy(obj) for obj in self._listed(plural, namespace)], str(self.version)

    def list_pages(
        self, group: str, version: str, plural: str, namespace: str | None, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        size = self.page_size if limit is None else limit
        listing, start, restarts = self._listed(plural, namespace), 0, 1
        while True:
            if start and self.expiring:  # the continue token of this page has expired
                self.expiring -= 1
                if not restarts:
                    raise Expired(f"list {plural}: HTTP 410 the continue token is too old", 410)
                listing, start, restarts = self._listed(plural, namespace), 0, restarts - 1
            end = start + size if size else len(listing)
            page = [copy.deepcopy(obj) for obj in listing[start:end]]
            self.pages += 1
            yield page
            del page  # the caller's, not the fake's, to keep
            if end >= len(listing):
                return
            start = end

    def patch_status(self, ref: Ref, status: Mapping[str, Any], resource_version: str) -> None:
        stored = self.objects.get((ref.plural, ref.namespace, ref.name))
        if stored is None:
            raise NotFound(f"patch status of {ref}: HTTP 404 not found", 404)
        if stored["metadata"]["resourceVersion"] != resource_version:
            raise Conflict(f"patch status of {ref}: HTTP 409 the object has been modified", 409)
        stored["status"] = merge_apply(stored.get("status") or {}, status)
        self._bump(stored)
        self.status_writes.append((ref.plural, ref.name, copy.deepcopy(dict(status))))

    def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        return self.secrets.get((namespace, name, key))

    def post_event(
        self, involved: Mapping[str, Any], type_: str, reason: str, message: str, now: datetime
    ) -> None:
        self.events.append((involved["metadata"]["name"], type_, reason, message))

    def _listed(self, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        return [
            obj
            for (kind, ns, _), obj in sorted(self.objects.items())
            if kind == plural and namespace in (None, ns)
        ]

    def _bump(self, stored: dict[str, Any]) -> None:
        self.version += 1
        stored["metadata"]["resourceVersion"] = str(self.version)
