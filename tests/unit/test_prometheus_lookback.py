"""How the reader learns whether a backend takes `lookback_delta`, against a stand-in query API.

The stand-in answers like Prometheus: a `lookback_delta` that is not a duration gets 400 from a
backend that reads the parameter (Prometheus 3) and nothing from one that ignores it (2.42); its
behaviour can change between reads, as when the backend behind the URL is replaced. The real
backends are read in tests/integration/test_budget_freshness.py and test_backends.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from budgetwarden.adapters import prometheus
from budgetwarden.adapters.prometheus import (
    PrometheusReader,
    PrometheusSettings,
    PrometheusUnavailable,
)
from budgetwarden.core.budget.reading import BUDGET_QUERY

MAX_AGE = timedelta(seconds=90)
BUDGET = {"metric": {"__name__": "x"}, "value": [1700000000.5, "0.5"]}


@dataclass
class Backend:
    """What the stand-in does, and every query it was sent (its parameters)."""

    takes_lookback: bool = True
    refuse_all: int = 0  # answer every request with this status (0: answer normally)
    sent: list[dict[str, str]] = field(default_factory=list)

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, object]]:
        self.sent.append(params)
        if self.refuse_all:
            return self.refuse_all, {"status": "error", "errorType": "auth", "error": "no token"}
        if params.get("lookback_delta") == "not-a-duration" and self.takes_lookback:
            error = "error parsing lookback delta duration"
            return 400, {"status": "error", "errorType": "bad_data", "error": error}
        # one budget sample for the values query, none stale, nothing for the check
        values = [BUDGET] if params["query"] == BUDGET_QUERY else []
        return 200, {"status": "success", "data": {"resultType": "vector", "result": values}}


@pytest.fixture(name="backend")
def backend_fixture() -> Iterator[tuple[Backend, PrometheusReader]]:
    backend = Backend()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            status, body = backend.answer(query)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield backend, PrometheusReader(PrometheusSettings(url))
    finally:
        server.shutdown()


def queries(backend: Backend) -> list[tuple[str, str | None]]:
    return [(sent["query"], sent.get("lookback_delta")) for sent in backend.sent]


def test_a_backend_that_takes_a_lookback_is_read_in_one_query_with_max_age_as_it(
    backend: tuple[Backend, PrometheusReader],
) -> None:
    stand_in, reader = backend
    assert len(reader.read_budget_series(MAX_AGE)) == 1
    assert len(reader.read_budget_series(MAX_AGE)) == 1
    assert queries(stand_in) == [
        ("vector(1)", "not-a-duration"),  # asked once, the answer kept
        (BUDGET_QUERY, "90000ms"),
        (BUDGET_QUERY, "90000ms"),
    ]


def test_a_backend_that_ignores_it_gets_the_stale_query_and_no_lookback(
    backend: tuple[Backend, PrometheusReader],
) -> None:
    stand_in, reader = backend
    stand_in.takes_lookback = False
    assert len(reader.read_budget_series(MAX_AGE)) == 1
    sent = queries(stand_in)
    assert sent[:2] == [("vector(1)", "not-a-duration"), (BUDGET_QUERY, None)]
    assert "timestamp(" in sent[2][0] and sent[2][1] is None and len(sent) == 3
    assert stand_in.sent[2]["time"] == "1700000000.500"  # at the values' instant


def test_a_backend_replaced_behind_the_url_is_noticed_at_the_next_check(
    backend: tuple[Backend, PrometheusReader], monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in, reader = backend
    monkeypatch.setattr(prometheus, "LOOKBACK_CHECK_SECONDS", 0.0)
    assert reader.takes_lookback()
    stand_in.takes_lookback = False
    assert not reader.takes_lookback()
    reader.read_budget_series(MAX_AGE)
    assert all(sent.get("lookback_delta") != "90000ms" for sent in stand_in.sent)


def test_a_refused_check_fails_the_read_with_the_backends_reason_and_is_asked_again(
    backend: tuple[Backend, PrometheusReader],
) -> None:
    stand_in, reader = backend
    stand_in.refuse_all = 401
    with pytest.raises(PrometheusUnavailable, match="HTTP 401: auth: no token"):
        reader.read_budget_series(MAX_AGE)
    stand_in.refuse_all = 0
    assert len(reader.read_budget_series(MAX_AGE)) == 1
    assert queries(stand_in)[-2:] == [("vector(1)", "not-a-duration"), (BUDGET_QUERY, "90000ms")]
