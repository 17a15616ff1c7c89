"""The freeze gate over HTTP, for delivery tools that ask before they ship (docs/gates.md).

Served beside /metrics and /readyz (adapters/metrics.py), as WSGI apps of the standard library:

  GET  /gate?namespace=NS&kind=Rollout&name=NAME[&label=KEY=VALUE...]
       200 with {"allowed", "reason", "message", "freezeId", "exception"}, frozen or not: Argo
       Rollouts' web metric provider reads `$.allowed` (the chart's ClusterAnalysisTemplate).
  POST /gate/flagger[?kind=Deployment]
       Flagger's confirm-rollout / confirm-promotion webhook body ({"name", "namespace", ...}):
       200 when a new version would be admitted, 403 when the freeze would refuse it (Flagger
       halts and asks again), the same JSON either way.
Bad input gets 400 with one line naming what is wrong; a namespace whose state cannot be read in
time gets 503. `ask` (runtime/views.py) does the judging; this module only speaks HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from budgetwarden.core.freeze.gate import GateAnswer
from budgetwarden.core.freeze.view import WorkloadRef

PATH_GATE = "/gate"
PATH_FLAGGER = "/gate/flagger"
KINDS = ("Rollout", "Deployment")
MAX_BODY = 64 * 1024  # Flagger's payload is a few hundred bytes
Ask = Callable[[WorkloadRef, Mapping[str, str]], GateAnswer]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BadRequest(ValueError):
    """What is wrong with a request, in one line."""


def gate_routes(ask: Ask) -> dict[str, WSGIApp]:
    """The two routes, bound to `ask`."""

    def query(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        return _answer(start, lambda: _from_query(environ), ask, flagger=False)

    def flagger(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        return _answer(start, lambda: _from_flagger(environ), ask, flagger=True)

    return {PATH_GATE: query, PATH_FLAGGER: flagger}


def _answer(
    start: StartResponse,
    parse: Callable[[], tuple[WorkloadRef, dict[str, str]]],
    ask: Ask,
    *,
    flagger: bool,
) -> Iterable[bytes]:
    try:
        ref, labels = parse()
    except BadRequest as error:
        return _send(start, "400 Bad Request", {"error": str(error)})
    try:
        answer = ask(ref, labels)
    except TimeoutError:
        return _send(start, "503 Service Unavailable", {"error": "freeze state not readable yet"})
    status = "403 Forbidden" if flagger and not answer.allowed else "200 OK"
    return _send(start, status, answer.wire())


def _send(start: StartResponse, status: str, body: Mapping[str, Any]) -> Iterable[bytes]:
    data = (json.dumps(body) + "\n").encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _ref(namespace: object, kind: object, name: object) -> WorkloadRef:
    for field, value in (("namespace", namespace), ("name", name)):
        if not isinstance(value, str) or not value:
            raise BadRequest(f"{field} is required")
    if kind not in KINDS:
        raise BadRequest(f'kind must be Rollout or Deployment; got "{kind}"')
    return WorkloadRef(str(namespace), str(kind), str(name))


def _from_query(environ: Mapping[str, Any]) -> tuple[WorkloadRef, dict[str, str]]:
    if environ.get("REQUEST_METHOD") != "GET":
        raise BadRequest("use GET")
    query = parse_qs(str(environ.get("QUERY_STRING") or ""))

    def one(key: str, default: str = "") -> str:
        return query.get(key, [default])[0]

    labels = {}
    for pair in query.get("label", []):
        key, sep, value = pair.partition("=")
        if not key or not sep:
            raise BadRequest(f'label must be KEY=VALUE; got "{pair}"')
        labels[key] = value
    return _ref(one("namespace"), one("kind", "Rollout"), one("name")), labels


def _from_flagger(environ: Mapping[str, Any]) -> tuple[WorkloadRef, dict[str, str]]:
    if environ.get("REQUEST_METHOD") != "POST":
        raise BadRequest("use POST")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    if not 0 < length <= MAX_BODY:
        raise BadRequest(f"the body must be 1 to {MAX_BODY} bytes")
    try:
        body = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, RecursionError):
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    kind = parse_qs(str(environ.get("QUERY_STRING") or "")).get("kind", ["Deployment"])[0]
    return _ref(body.get("namespace"), kind, body.get("name")), {}
