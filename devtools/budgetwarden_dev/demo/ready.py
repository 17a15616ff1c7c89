"""When the demo stack is ready: every SLO's budget recorded, every policy with a level."""

from __future__ import annotations

import json
from typing import Any

import httpx

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.spec import SLO
from budgetwarden_dev.demo import components as parts
from budgetwarden_dev.devenv.kubeconfig import RunsKubectl

READY_TIMEOUT = 120


def wait_ready(
    kubectl: RunsKubectl, prometheus_url: str, slos: list[SLO], namespace: str,
    timeout: float = READY_TIMEOUT,
) -> None:  # fmt: skip
    """Wait until Prometheus records each SLO's budget and every policy has a level."""
    for slo in slos:
        name = slo.metadata.name
        query = f'{c.METRIC_BUDGET_REMAINING}{{slo_name="{name}",slo_namespace="{namespace}"}}'
        parts.wait_for(
            f"Prometheus to record {query}", lambda q=query: _has_series(prometheus_url, q), timeout
        )
    parts.wait_for("every ErrorBudgetPolicy to get a level",
                   lambda: _policies_levelled(kubectl, namespace), timeout)  # fmt: skip


def _has_series(url: str, query: str) -> bool:
    try:
        answer = httpx.get(f"{url}/api/v1/query", params={"query": query}, trust_env=False)
        return bool(answer.json()["data"]["result"])
    except (httpx.HTTPError, KeyError, ValueError):
        return False


def _policies_levelled(kubectl: RunsKubectl, namespace: str) -> bool:
    found = kubectl("get", c.PLURAL_POLICY, "-n", namespace, "-o", "json")
    items: list[dict[str, Any]] = json.loads(found.stdout)["items"]
    return bool(items) and all((p.get("status") or {}).get("level") for p in items)
