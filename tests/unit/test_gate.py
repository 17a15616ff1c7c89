"""The freeze gate: admission's answer for a new version, and the HTTP that delivery tools read."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping
from typing import Any

import pytest

from admission_decision_support import (
    HOTFIX,
    HOTFIX_WARNING,
    NOW,
    PARTIAL,
    PARTIAL_TEMPLATE,
    freeze,
    workload,
)
from budgetwarden.adapters.gate_http import gate_routes
from budgetwarden.core.freeze.admission import Reason
from budgetwarden.core.freeze.gate import GateAnswer, gate, workload_stub
from budgetwarden.core.freeze.view import FreezeView, WorkloadRef
from budgetwarden.core.kernel.levels import Level

CHECKOUT = WorkloadRef("shop", "Rollout", "checkout")
OPEN = "[budgetwarden] Not frozen: a new version of shop/Rollout/checkout would be admitted now."
ANSWERS = [
    pytest.param(PARTIAL, GateAnswer(False, Reason.FROZEN, PARTIAL_TEMPLATE, "fz-7c2e"),
                 id="frozen: the denial admission would send"),
    pytest.param(FreezeView(PARTIAL.policies, (HOTFIX,)),
                 GateAnswer(True, Reason.EXCEPTION, HOTFIX_WARNING, "fz-7c2e",
                            "checkout-hotfix-4711"),
                 id="an exception covers it: allowed, with its warning"),
    pytest.param(FreezeView((freeze(enforcement="Warn"),)),
                 GateAnswer(True, Reason.WARN_ONLY, PARTIAL_TEMPLATE, "fz-7c2e"),
                 id="enforcement Warn: allowed, the denial as the message"),
    pytest.param(FreezeView((freeze(Level.NORMAL),)), GateAnswer(True, Reason.NOT_FROZEN, OPEN),
                 id="not frozen"),
]  # fmt: skip


@pytest.mark.parametrize(("view", "expected"), ANSWERS)
def test_the_gate_is_admissions_answer_for_a_new_version(
    view: FreezeView, expected: GateAnswer
) -> None:
    assert gate(view, workload("shop/checkout:1.4.2"), "Rollout", NOW) == expected


def test_a_stub_is_judged_by_name_and_labels() -> None:
    held_by_name = gate(PARTIAL, workload_stub(CHECKOUT, {}), "Rollout", NOW)
    unheld = dataclasses.replace(freeze(), held=())
    by_labels = gate(FreezeView((unheld,)), workload_stub(CHECKOUT, {"app": "checkout"}),
                     "Rollout", NOW)  # fmt: skip
    neither = gate(FreezeView((unheld,)), workload_stub(CHECKOUT, {}), "Rollout", NOW)
    assert [a.allowed for a in (held_by_name, by_labels, neither)] == [False, False, True]
    assert (held_by_name.exit_code, neither.exit_code) == (3, 0)


def call(app: Any, method: str, query: str = "", body: bytes = b"") -> tuple[str, Any]:
    """One WSGI request: (status line, JSON body)."""
    seen: list[str] = []
    environ = {"REQUEST_METHOD": method, "QUERY_STRING": query, "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body))}  # fmt: skip
    chunks = app(environ, lambda status, headers: seen.append(status))
    return seen[0], json.loads(b"".join(chunks))


def frozen_ask(ref: WorkloadRef, labels: Mapping[str, str]) -> GateAnswer:
    return gate(PARTIAL, workload_stub(ref, labels), ref.kind, NOW)


ROUTES = gate_routes(frozen_ask)
REQUESTS = [
    pytest.param("/gate", "GET", "namespace=shop&kind=Rollout&name=checkout", b"",
                 "200 OK", False, id="the query answers 200 frozen or not: $.allowed says"),
    pytest.param("/gate", "GET", "namespace=shop&name=checkout", b"", "200 OK", False,
                 id="kind defaults to Rollout"),
    pytest.param("/gate/flagger", "POST", "kind=Rollout",
                 b'{"name": "checkout", "namespace": "shop", "phase": "Progressing"}',
                 "403 Forbidden", False, id="Flagger is told to wait with 403"),
    pytest.param("/gate/flagger", "POST", "", b'{"name": "search", "namespace": "shop"}',
                 "200 OK", True, id="Flagger proceeds on 200"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "method", "query", "body", "status", "allowed"), REQUESTS)
def test_the_gate_routes_speak_what_delivery_tools_read(
    path: str, method: str, query: str, body: bytes, status: str, allowed: bool
) -> None:
    answered, payload = call(ROUTES[path], method, query, body)
    assert (answered, payload["allowed"]) == (status, allowed)


BAD = [
    pytest.param("/gate", "GET", "namespace=shop", b"", "name is required", id="no name"),
    pytest.param("/gate", "GET", "namespace=shop&name=x&kind=Job", b"",
                 'kind must be Rollout or Deployment; got "Job"', id="a kind no policy targets"),
    pytest.param("/gate", "GET", "namespace=shop&name=x&label=app", b"",
                 'label must be KEY=VALUE; got "app"', id="a label without a value"),
    pytest.param("/gate", "POST", "", b"", "use GET", id="the query is a GET"),
    pytest.param("/gate/flagger", "POST", "", b"{", "the body is not JSON", id="not JSON"),
    pytest.param("/gate/flagger", "POST", "", b"[]", "the body must be a JSON object",
                 id="not an object"),
    pytest.param("/gate/flagger", "POST", "", b"", "the body must be 1 to 65536 bytes",
                 id="no body"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "method", "query", "body", "error"), BAD)
def test_bad_requests_get_400_with_one_line(
    path: str, method: str, query: str, body: bytes, error: str
) -> None:
    assert call(ROUTES[path], method, query, body) == ("400 Bad Request", {"error": error})
