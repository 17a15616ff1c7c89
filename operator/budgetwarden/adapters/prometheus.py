"""Reads every SLO's recorded budget series from Prometheus in one query per poll.

Wraps prometheus-api-client (blocking; the poller calls it in a thread). The query selects the
recorded series of all SLOs at once by metric name, so its cost does not grow with the number of
SLOs. Failures become `PrometheusUnavailable` with the library error chained as the cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException

from budgetwarden.core.kernel import conventions as names

# One selector over every budget series the poller needs: budget remaining and burn rates.
BUDGET_QUERY = (
    '{__name__=~"' + "|".join((names.METRIC_BUDGET_REMAINING, names.METRIC_BURN_RATE)) + '"}'
)


class PrometheusUnavailable(Exception):
    """Prometheus could not be queried (down, refused, timed out, or answered an error)."""


@dataclass(frozen=True)
class Sample:
    """One instant-vector sample: its labels, its value as Decimal (None for NaN), its time."""

    labels: dict[str, str]
    value: Decimal | None
    timestamp: datetime


@dataclass(frozen=True)
class PrometheusSettings:
    """Where Prometheus is and how to authenticate; built once at start-up."""

    url: str
    bearer_token: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 10.0


class PrometheusReader:
    """Issues the poller's queries; one instance per operator process."""

    def __init__(self, settings: PrometheusSettings) -> None:
        session = requests.Session()
        if settings.ca_file:
            session.verify = settings.ca_file
        headers = (
            {"Authorization": f"Bearer {settings.bearer_token}"} if settings.bearer_token else None
        )
        self._timeout = settings.timeout_seconds
        self._client = PrometheusConnect(
            url=settings.url,
            headers=headers,
            session=session,
            timeout=int(settings.timeout_seconds),
        )
        self.queries_issued = 0

    def read_budget_series(self) -> list[Sample]:
        """All SLOs' budget-remaining and burn-rate samples, in a single query."""
        return self.query(BUDGET_QUERY)

    def query(self, promql: str) -> list[Sample]:
        """Run one instant query; raise PrometheusUnavailable on any failure."""
        self.queries_issued += 1
        try:
            result = self._client.custom_query(promql)
        except (PrometheusApiClientException, requests.RequestException, ValueError) as error:
            raise PrometheusUnavailable(f"query failed: {error}") from error
        return [_sample(item) for item in result]


def _sample(item: dict[str, Any]) -> Sample:
    timestamp, raw = item["value"]
    try:
        value: Decimal | None = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is not None and not value.is_finite():
        value = None
    return Sample(
        labels=dict(item["metric"]),
        value=value,
        timestamp=datetime.fromtimestamp(float(timestamp), tz=UTC),
    )
