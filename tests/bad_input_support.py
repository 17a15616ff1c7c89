"""Valid resources and ways to break them, for tests/unit/test_bad_input.py and
tests/unit/test_bad_input_fuzz.py: each case changes one field of a valid resource.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.slo.promql import validate_slo_queries
from budgetwarden.core.slo.spec import SLO, parse_slo

EXAMPLES = Path(__file__).parents[1] / "examples"
DROP = object()  # as a value in `changed`: remove the field

SLO_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "SLO",
    "metadata": {"name": "checkout-availability", "namespace": "shop"},
    "spec": {
        "service": "checkout",
        "objective": "99.9",
        "window": "30d",
        "indicator": {
            "ratio": {
                "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
                "total": "sum(rate(http_requests_total[{{.window}}]))",
            }
        },
    },
}
POLICY_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "ErrorBudgetPolicy",
    "metadata": {"name": "payments", "namespace": "shop"},
    "spec": {"targets": [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]},
}
EXCEPTION_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "FreezeException",
    "metadata": {"name": "checkout-hotfix", "namespace": "shop"},
    "spec": {
        "targets": [{"kind": "Rollout", "name": "checkout"}],
        "reason": "Fix the retry storm.",
        "expiresAt": "2026-12-01T18:00:00Z",
    },
}


def changed(resource: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `resource` with the field at dotted `path` (list indexes as numbers) set."""
    copied = copy.deepcopy(resource)
    *parents, last = path.split(".")
    node = copied
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    if value is DROP:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return copied


def parse_slo_and_queries(resource: Any) -> SLO:
    """What the operator and `budgetwarden validate` do: parse, then check the PromQL."""
    parsed = parse_slo(resource)
    validate_slo_queries(parsed)
    return parsed


def slo(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_slo_and_queries, changed(SLO_RESOURCE, path, value)


def policy(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_policy, changed(POLICY_RESOURCE, path, value)


def exception(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_exception, changed(EXCEPTION_RESOURCE, path, value)


def burn_pair(long: str, short: str, factor: str = "14.4") -> list[dict[str, str]]:
    return [{"tier": "page", "longWindow": long, "shortWindow": short, "factor": factor}]


def trigger(long: str, short: str, level: str) -> list[dict[str, str]]:
    return [{"longWindow": long, "shortWindow": short, "factor": "14.4", "level": level}]


LABEL_NAME = "^[a-zA-Z_][a-zA-Z0-9_]*$"
TIMESTAMP = 'must be a timestamp with a time zone such as "2026-12-01T18:00:00Z"; got '
ORDER = "thresholds must be ordered: 100 >= warningBelow > partialFreezeBelow > fullFreezeBelow"
WEBHOOK = {"urlSecretRef": {"name": "slack", "key": "url"}}
SMTP = {
    "host": "smtp.example.com",
    "from": "budgetwarden@example.com",
    "to": ["oncall@example.com"],
}
LOGIN = {
    "usernameSecretRef": {"name": "smtp", "key": "username"},
    "passwordSecretRef": {"name": "smtp", "key": "password"},
}
