"""What the importer tests (tests/unit/test_importers_*.py) build documents and resources from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "import"
ERRORS = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'

RAW_WHY = (
    "raw error-ratio SLIs cannot be converted: the period budget is weighted by traffic, "
    "which needs separate error and total queries (rewrite it as sli.events)"
)


def slo_doc(name: str, spec: dict[str, Any], namespace: str = "default", **labels: str) -> dict:
    """An SLO resource as the importers write it."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "SLO",
        "metadata": metadata,
        "spec": spec,
    }


def ratio_spec(objective: str, window: str = "30d", **extra: Any) -> dict[str, Any]:
    """An SLO spec with the api ratio indicator."""
    return {
        "service": "api",
        "objective": objective,
        "window": window,
        "indicator": {"ratio": {"errors": ERRORS, "total": TOTAL}},
        **extra,
    }
