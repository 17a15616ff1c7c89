"""Reads the alert history Prometheus keeps: `ALERTS` over a period, and its loaded alerting rules.

Wraps httpx (blocking); `budgetwarden report alerts` (cli/report.py) is its only caller. It
takes the operator's `PrometheusSettings` (URL, credentials, TLS, timeout; adapters/
prometheus_access.py), the Authorization header set on each request. The history is
read with range queries of `present_over_time(ALERTS{alertstate="firing"}[STEP])`, one per chunk
of at most thresholds.MAX_POINTS steps: a window of exactly one step sees every evaluation,
whatever Prometheus' lookback and whether or not the series carries staleness markers
(backfilled history does not). Every failure becomes `PrometheusHistoryError`, one sentence
naming the URL, with the httpx error chained as the cause.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from budgetwarden.adapters.prometheus_access import (
    Authorization,
    CredentialsUnreadable,
    PrometheusSettings,
    PrometheusSettingsError,
    ssl_context,
)
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.report.intervals import chunks
from budgetwarden.core.report.model import ALERTSTATE, LoadedRule, Period, Series

FIRING_QUERY = 'present_over_time(ALERTS{{alertstate="firing"}}[{step}])'


class PrometheusHistoryError(Exception):
    """Prometheus could not be read: unreachable, an error answer, or not Prometheus' API."""


class PrometheusHistory:
    """Range queries over `ALERTS` and the list of loaded rules, from one Prometheus."""

    def __init__(
        self, settings: PrometheusSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = settings.url.rstrip("/")
        try:
            context = ssl_context(settings)
        except PrometheusSettingsError as error:  # an unreadable or invalid CA, cert or key
            trust = "be trusted" if error.setting == "ca_file" else "be called"
            raise self._error(f"cannot {trust} with {error}") from error
        self._client = httpx.Client(
            base_url=self.url,
            auth=_HeaderAuth(Authorization(settings)),
            verify=True if context is None else context,
            timeout=settings.timeout_seconds,
            transport=transport,
        )
        self.queries_issued = 0

    def alerting_rules(self) -> list[LoadedRule]:
        """Every alerting rule Prometheus has loaded, with its group's evaluation interval."""
        data = self._get("/api/v1/rules", {"type": "alert"})
        try:
            return [
                _rule(rule, group)
                for group in data["groups"]
                for rule in group["rules"]
                if rule.get("type") == "alerting"
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise self._error("answered rules in an unknown shape") from error

    def firing_series(self, period: Period) -> list[Series]:
        """Each `ALERTS` series that fired in the period, with the steps at which it fired."""
        query = FIRING_QUERY.format(step=format_duration(period.step))
        found: dict[tuple[tuple[str, str], ...], list[datetime]] = {}
        for start, end in chunks(period):
            for labels, times in self._range(query, start, end, period.step):
                found.setdefault(tuple(sorted(labels.items())), []).extend(times)
        return [Series(dict(key), tuple(sorted(set(times)))) for key, times in found.items()]

    def _range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[tuple[dict[str, str], list[datetime]]]:
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step.total_seconds():g}",
        }
        data = self._get("/api/v1/query_range", params)
        try:
            return [
                (
                    {k: v for k, v in item["metric"].items() if k != ALERTSTATE},
                    [datetime.fromtimestamp(float(t), tz=UTC) for t, _ in item["values"]],
                )
                for item in data["result"]
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise self._error("answered a range query in an unknown shape") from error

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        """The `data` of one API answer; PrometheusHistoryError on any failure."""
        self.queries_issued += 1
        try:
            answer = self._client.get(path, params=params)
        except httpx.HTTPError as error:
            raise self._error(f"cannot be reached ({type(error).__name__}: {error})") from error
        except CredentialsUnreadable as error:
            raise self._error(f"was not asked: {error}") from error
        try:
            body = answer.json()
        except ValueError as error:
            what = f"answered {path} with HTTP {answer.status_code}, not with its API's JSON"
            raise self._error(what) from error
        if (
            answer.status_code != 200
            or not isinstance(body, dict)
            or body.get("status") != "success"
        ):
            detail = body.get("error", "") if isinstance(body, dict) else ""
            raise self._error(f"answered {path} with HTTP {answer.status_code}: {detail}")
        return body.get("data")

    def _error(self, what: str) -> PrometheusHistoryError:
        return PrometheusHistoryError(f"Prometheus at {self.url} {what}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> PrometheusHistory:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _HeaderAuth(httpx.Auth):
    """Sets the Authorization header of each request from its current credentials."""

    def __init__(self, authorization: Authorization) -> None:
        self._authorization = authorization

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if (value := self._authorization.header()) is not None:
            request.headers["Authorization"] = value
        yield request


def _rule(rule: Mapping[str, Any], group: Mapping[str, Any]) -> LoadedRule:
    labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    return LoadedRule(
        name=str(rule["name"]),
        # A label whose value is a template (the budget-low rule's level and priority, chosen by
        # the budget left) is written out per alert: only the others are the rule's own.
        labels={k: v for k, v in labels.items() if "{{" not in v},
        annotations={str(k): str(v) for k, v in (rule.get("annotations") or {}).items()},
        group=str(group.get("name", "")),
        interval=timedelta(seconds=float(group.get("interval") or 60)),
    )
