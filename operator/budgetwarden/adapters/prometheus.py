"""Reads every SLO's recorded budget series from Prometheus in one or two queries per poll.

Blocking (requests; the poller calls it in a thread). The recorded series of all SLOs are
selected at once by metric name, so the number of queries does not grow with the number of SLOs.
Samples older than their max age are left out by the backend (core.budget.reading): with a
lookback per query where it takes one, else by a second query, at the first one's instant, that
names them. Whether it takes one is asked, not assumed from a version: a `lookback_delta` that is
not a duration is refused by a backend that reads the parameter and ignored by one that does
not. The answer is kept for LOOKBACK_CHECK_SECONDS, so a backend replaced behind the same URL is
noticed. Failures become `PrometheusUnavailable` with the cause chained.

The answer is decoded by msgspec straight into typed structs that the garbage collector does not
track: at 10,000 SLOs it is 16 MB and 83,000 series, which the json module turned into some
250,000 dicts and lists, in four times the time, and which made the collector walk the
operator's whole heap several times per poll (docs/architecture.md, docs/benchmarks.md).
Credentials and TLS come from `PrometheusSettings` (adapters/prometheus_access.py): the
Authorization header is set on each request, so a rotated token file is read on the next poll.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import msgspec
import requests
from requests.auth import AuthBase

from budgetwarden.adapters.prometheus_access import (
    Authorization,
    CredentialsUnreadable,
    PrometheusSettings,
    requests_tls,
)
from budgetwarden.core.budget.reading import (
    BUDGET_QUERY,
    fresh,
    lookback_queries,
    stale_query,
)

__all__ = ["PrometheusReader", "PrometheusSettings", "PrometheusUnavailable", "Sample"]

logger = logging.getLogger(__name__)
LOOKBACK_CHECK_SECONDS = 600.0
# Refused with 400 (or 422) by a backend that parses lookback_delta, ignored by one that does not.
_LOOKBACK_PROBE = {"query": "vector(1)", "lookback_delta": "not-a-duration"}


class PrometheusUnavailable(Exception):
    """Prometheus could not be queried (down, refused, timed out, or answered an error)."""


class Sample(msgspec.Struct, frozen=True, gc=False):
    """One instant-vector sample: its labels, its value as Decimal (None for NaN), its time."""

    # A poll of 10,000 SLOs makes 80,000 of these and holds them for the whole poll. Untracked
    # by the cyclic garbage collector (no cycle can pass through one: its dict holds strings
    # only), they never age into the oldest generation, where 80,000 NamedTuples (a tuple
    # subclass stays tracked) made the collector walk the whole heap once or twice a poll.
    labels: dict[str, str]
    value: Decimal | None
    timestamp: datetime


class _Series(msgspec.Struct, gc=False):
    """One item of an instant vector: {"metric": {...}, "value": [time, "value"]}."""

    metric: dict[str, str]
    value: tuple[float, str]


class _Data(msgspec.Struct, gc=False):
    resultType: str  # Prometheus' field name
    result: msgspec.Raw  # decoded once resultType says it is a vector


class _Answer(msgspec.Struct, gc=False):
    """Prometheus' envelope; Thanos' warnings and VictoriaMetrics' stats are ignored."""

    status: str
    data: _Data | None = None
    errorType: str = ""
    error: str = ""


_ANSWER = msgspec.json.Decoder(_Answer)
_VECTOR = msgspec.json.Decoder(list[_Series])


class PrometheusReader:
    """Issues the poller's queries; one instance per operator process."""

    def __init__(self, settings: PrometheusSettings) -> None:
        self._session = requests.Session()
        self._session.auth = _HeaderAuth(Authorization(settings))
        # Passed on each request: a session's own verify loses to $REQUESTS_CA_BUNDLE.
        self._verify, self._cert = requests_tls(settings)
        self._url = settings.url.rstrip("/") + "/api/v1/query"
        self._timeout = settings.timeout_seconds
        self.queries_issued = 0
        self._takes_lookback: bool | None = None  # None until asked
        self._lookback_checked = 0.0

    def read_budget_series(
        self, max_age: timedelta, budget_max_age: timedelta | None = None
    ) -> list[Sample]:
        """All SLOs' budget-remaining and burn-rate samples younger than `max_age` (the budget
        left: `budget_max_age` when given)."""
        if self.takes_lookback():
            return self._read_within(max_age, budget_max_age)
        return self._read_then_drop_stale(max_age, budget_max_age)

    def takes_lookback(self) -> bool:
        """Whether the backend honours a lookback per query (asked at most every
        LOOKBACK_CHECK_SECONDS)."""
        now, known = time.monotonic(), self._takes_lookback
        if known is not None and now - self._lookback_checked < LOOKBACK_CHECK_SECONDS:
            return known
        takes = self._ask_lookback()
        if takes != known:
            logger.info(
                "Prometheus at %s %s", self._url,
                "takes a lookback per query: samples too old are left out by it"
                if takes else "ignores lookback_delta: samples too old are asked for apart",
            )  # fmt: skip
        self._takes_lookback, self._lookback_checked = takes, now
        return takes

    def _ask_lookback(self) -> bool:
        response = self._get(_LOOKBACK_PROBE)
        if response.status_code in (400, 422):
            return True
        _series(response.status_code, response.content)  # a refusal of anything else raises
        return False

    def _read_within(self, max_age: timedelta, budget_max_age: timedelta | None) -> list[Sample]:
        """Each metric with its max age as the lookback; all at the first answer's instant."""
        samples: list[Sample] = []
        at = None
        for promql, lookback in lookback_queries(max_age, budget_max_age):
            answer = self.query(promql, at=at, lookback=lookback)
            if at is None and answer:
                at = answer[0].timestamp
            samples += answer
        return samples

    def _read_then_drop_stale(
        self, max_age: timedelta, budget_max_age: timedelta | None
    ) -> list[Sample]:
        """The values, then at their instant the stale ones among them (none while the rules
        evaluate)."""
        samples = self.query(BUDGET_QUERY)
        if not samples:
            return samples
        stale = stale_query(max_age, budget_max_age)
        return fresh(samples, self.query(stale, at=samples[0].timestamp))

    def query(
        self, promql: str, at: datetime | None = None, lookback: timedelta | None = None
    ) -> list[Sample]:
        """Run one instant query (at Prometheus' now, or `at`; with the backend's lookback, or
        `lookback`); raise PrometheusUnavailable on any failure."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        if lookback is not None:
            params["lookback_delta"] = f"{max(lookback // timedelta(milliseconds=1), 1)}ms"
        response = self._get(params)
        return _samples(_series(response.status_code, response.content))

    def _get(self, params: dict[str, str]) -> requests.Response:
        self.queries_issued += 1
        try:
            return self._session.get(
                self._url,
                params=params,
                timeout=self._timeout,
                verify=self._verify,
                cert=self._cert,
            )
        except requests.RequestException as error:
            raise PrometheusUnavailable(f"query failed: {error}") from error
        except CredentialsUnreadable as error:
            raise PrometheusUnavailable(f"query not sent: {error}") from error


class _HeaderAuth(AuthBase):
    """Sets the Authorization header of each request from its current credentials."""

    def __init__(self, authorization: Authorization) -> None:
        self._authorization = authorization

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if (value := self._authorization.header()) is not None:
            request.headers["Authorization"] = value
        return request


def _series(status_code: int, body: bytes) -> list[_Series]:
    """The series of a successful instant-vector answer; PrometheusUnavailable otherwise, with
    Prometheus' own error when it gave one."""
    try:
        answer = _ANSWER.decode(body)
    except msgspec.MsgspecError as error:
        if status_code != 200:  # a proxy's error page, say
            text = body[:200].decode(errors="replace")
            raise PrometheusUnavailable(f"query failed: HTTP {status_code}: {text}") from error
        raise PrometheusUnavailable(f"query failed: not a Prometheus answer: {error}") from error
    if status_code != 200 or answer.status != "success" or answer.data is None:
        detail = f"{answer.errorType}: {answer.error}" if answer.error else answer.status
        raise PrometheusUnavailable(f"query failed: HTTP {status_code}: {detail}")
    if answer.data.resultType != "vector":
        raise PrometheusUnavailable(
            f"query failed: the answer is a {answer.data.resultType}, not an instant vector"
        )
    try:
        return _VECTOR.decode(answer.data.result)
    except msgspec.MsgspecError as error:
        raise PrometheusUnavailable(f"query failed: not a Prometheus vector: {error}") from error


def _samples(items: list[_Series]) -> list[Sample]:
    """The answer's series as samples; each distinct timestamp is converted once (an instant
    query's series all carry the evaluation time)."""
    times: dict[float, datetime] = {}
    samples = []
    for item in items:
        stamp, raw = item.value
        if (when := times.get(stamp)) is None:
            when = times[stamp] = datetime.fromtimestamp(stamp, tz=UTC)
        samples.append(Sample(item.metric, _number(raw), when))
    return samples


def _number(raw: str) -> Decimal | None:
    """A sample value as Decimal; None for NaN, infinities and anything unreadable."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
