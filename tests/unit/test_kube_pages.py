"""The kube adapter's paged listing: the limit and continue protocol, and an expired token.

A continue token expires when the API server's storage has moved past the snapshot it points
into (410 Gone), which a test cannot bring about on demand; here the client's list call is a
stand-in that answers 410 where the test says. The real API server is listed in pages in
tests/integration/test_kube_adapter.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from budgetwarden.adapters.kube import Expired, Kube, Unavailable

GONE = {"message": "The provided continue parameter is too old to display a consistent list"}


class Lister:
    """list_namespaced_custom_object over `names`, answering 410 to the next `expiring`
    continued requests (or `failure` to any)."""

    def __init__(self, names: list[str], expiring: int = 0, failure: int = 0) -> None:
        self.names, self.expiring, self.failure = names, expiring, failure
        self.requests: list[tuple[int | None, str | None]] = []  # (limit, continue)

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **options: Any
    ) -> dict[str, Any]:
        limit, token = options.get("limit"), options.get("_continue")
        self.requests.append((limit, token))
        if self.failure:
            raise ApiException(status=self.failure, reason="Service Unavailable")
        if token and self.expiring:
            self.expiring -= 1
            error = ApiException(status=410, reason="Gone")
            error.body = json.dumps(GONE)
            raise error
        start = int(token or 0)
        end = start + limit if limit else len(self.names)
        items = [{"metadata": {"name": name}} for name in self.names[start:end]]
        rest = {"continue": str(end)} if end < len(self.names) else {}
        return {"items": items, "metadata": {"resourceVersion": "7", **rest}}


def paged(lister: Lister, limit: int) -> list[list[str]]:
    kube = Kube(client.ApiClient(), instance="test")
    kube.custom = lister
    pages = kube.list_pages("budgetwarden.io", "v1alpha1", "slos", "shop", limit=limit)
    return [[item["metadata"]["name"] for item in page] for page in pages]


NAMES = [f"slo-{i}" for i in range(5)]


def test_pages_follow_the_continue_token_to_the_end() -> None:
    lister = Lister(NAMES)
    assert paged(lister, 2) == [NAMES[:2], NAMES[2:4], NAMES[4:]]
    assert lister.requests == [(2, None), (2, "2"), (2, "4")]


def test_no_limit_lists_everything_in_one_response() -> None:
    lister = Lister(NAMES)
    assert paged(lister, 0) == [NAMES]
    assert lister.requests == [(None, None)]


def test_an_expired_continue_token_starts_the_listing_over_once() -> None:
    lister = Lister(NAMES, expiring=1)
    assert paged(lister, 2) == [NAMES[:2], NAMES[:2], NAMES[2:4], NAMES[4:]]
    assert lister.requests == [(2, None), (2, "2"), (2, None), (2, "2"), (2, "4")]


def test_a_token_that_expires_again_is_expired() -> None:
    lister = Lister(NAMES, expiring=2)
    with pytest.raises(Expired, match="too old") as raised:
        paged(lister, 2)
    assert isinstance(raised.value.__cause__, ApiException)
    assert lister.requests == [(2, None), (2, "2"), (2, None), (2, "2")]


def test_other_failures_are_not_retried() -> None:
    lister = Lister(NAMES, failure=503)
    with pytest.raises(Unavailable):
        paged(lister, 2)
    assert lister.requests == [(2, None)]
