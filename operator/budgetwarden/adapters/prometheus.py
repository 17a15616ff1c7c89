"""Reads every SLO's recorded budget series from Prometheus in two queries per poll.

Wraps prometheus-api-client (blocking; the poller calls it in a thread). The first query selects
the recorded series of all SLOs at once by metric name, the second (at the first one's instant)
names those whose sample is too old (core.budget.reading), so the number of queries does not
grow with the number of SLOs. Failures become `PrometheusUnavailable` with the library error
chained as the cause.
Credentials and TLS come from `PrometheusSettings` (adapters/prometheus_access.py): the
Authorization header is set on each request, so a rotated token file is read on the next poll.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from requests.auth import AuthBase

from budgetwarden.adapters.prometheus_access import (
    Authorization,
    CredentialsUnreadable,
    PrometheusSettings,
    requests_tls,
)
from budgetwarden.core.budget.reading import BUDGET_QUERY, fresh, stale_query

__all__ = ["PrometheusReader", "PrometheusSettings", "PrometheusUnavailable", "Sample"]


class PrometheusUnavailable(Exception):
    """Prometheus could not be queried (down, refused, timed out, or answered an error)."""


class Sample(NamedTuple):
    """One instant-vector sample: its labels, its value as Decimal (None for NaN), its time."""

    # A tuple rather than a frozen dataclass: a poll of 10,000 SLOs makes 80,000 of them, and a
    # tuple is built in a third of the time.
    labels: dict[str, str]
    value: Decimal | None
    timestamp: datetime


class PrometheusReader:
    """Issues the poller's queries; one instance per operator process."""

    def __init__(self, settings: PrometheusSettings) -> None:
        session = requests.Session()
        session.verify, session.cert = requests_tls(settings)
        self._timeout = settings.timeout_seconds
        self._client = PrometheusConnect(
            url=settings.url,
            auth=_HeaderAuth(Authorization(settings)),
            session=session,
            timeout=int(settings.timeout_seconds),
        )
        self.queries_issued = 0

    def read_budget_series(
        self, max_age: timedelta, budget_max_age: timedelta | None = None
    ) -> list[Sample]:
        """All SLOs' budget-remaining and burn-rate samples younger than `max_age` (the budget
        left: `budget_max_age` when given): the values, then at their instant the stale ones
        among them (none while the rules evaluate)."""
        samples = self.query(BUDGET_QUERY)
        if not samples:
            return samples
        stale = stale_query(max_age, budget_max_age)
        return fresh(samples, self.query(stale, at=samples[0].timestamp))

    def query(self, promql: str, at: datetime | None = None) -> list[Sample]:
        """Run one instant query (at Prometheus' now, or `at`); raise PrometheusUnavailable on
        any failure."""
        self.queries_issued += 1
        params = None if at is None else {"time": f"{at.timestamp():.3f}"}
        try:
            result = self._client.custom_query(promql, params)
        except (PrometheusApiClientException, requests.RequestException, ValueError) as error:
            raise PrometheusUnavailable(f"query failed: {error}") from error
        except CredentialsUnreadable as error:
            raise PrometheusUnavailable(f"query not sent: {error}") from error
        return _samples(result)


class _HeaderAuth(AuthBase):
    """Sets the Authorization header of each request from its current credentials."""

    def __init__(self, authorization: Authorization) -> None:
        self._authorization = authorization

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if (value := self._authorization.header()) is not None:
            request.headers["Authorization"] = value
        return request


def _samples(items: list[dict[str, Any]]) -> list[Sample]:
    """The answer's items as samples; each distinct timestamp is converted once (an instant
    query's items all carry the evaluation time), and the decoded label dicts are kept."""
    times: dict[float, datetime] = {}
    samples = []
    for item in items:
        stamp, raw = item["value"]
        if (when := times.get(stamp)) is None:
            when = times[stamp] = datetime.fromtimestamp(float(stamp), tz=UTC)
        samples.append(Sample(item["metric"], _number(raw), when))
    return samples


def _number(raw: str) -> Decimal | None:
    """A sample value as Decimal; None for NaN, infinities and anything unreadable."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
