"""Valid resources, ways to change one field, and `kubectl apply` against the real API server,
for the CRD validation tests (tests/integration/test_crd_validation.py, test_crd_defaults.py).
"""

from __future__ import annotations

from typing import Any

import yaml

from bad_input_support import DROP as DROP  # the same marker and helper as the unit tests'
from bad_input_support import EXAMPLES as EXAMPLES
from bad_input_support import changed as changed
from budgetwarden_dev.devenv.cluster import Cluster

SLO: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "SLO",
    "metadata": {"name": "checkout-availability"},
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
POLICY: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "ErrorBudgetPolicy",
    "metadata": {"name": "payments"},
    "spec": {"targets": [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]},
}
EXCEPTION: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "FreezeException",
    "metadata": {"name": "checkout-hotfix"},
    "spec": {
        "targets": [{"kind": "Rollout", "name": "checkout"}],
        "reason": "Fix the retry storm.",
        "expiresAt": "2026-12-01T18:00:00Z",
    },
}

WEBHOOK = {"urlSecretRef": {"name": "slack", "key": "url"}}
PAGERDUTY = {"routingKeySecretRef": {"name": "pagerduty", "key": "routing-key"}}
EMAIL = {"host": "smtp.example.com", "from": "bw@example.com", "to": ["oncall@example.com"]}
SMTP_LOGIN = {
    "usernameSecretRef": {"name": "smtp", "key": "username"},
    "passwordSecretRef": {"name": "smtp", "key": "password"},
}


def apply(cluster: Cluster, namespace: str, resource: Any, *flags: str) -> tuple[int, str]:
    """kubectl apply the resource; returns the exit code and stderr."""
    result = cluster.kubectl(
        "apply", f"--namespace={namespace}", "--filename=-", *flags,
        input=yaml.safe_dump(resource), check=False,
    )  # fmt: skip
    return result.returncode, result.stderr
