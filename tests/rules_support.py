"""What the rule-generation tests (tests/unit/test_rules_*.py) build SLOs from: the checkout SLO
with fields replaced, variants of it, and the golden files' regenerate script.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def _load_regenerate() -> ModuleType:
    """tests/golden/regenerate.py, which writes the golden files, as a module."""
    spec = importlib.util.spec_from_file_location("regenerate", GOLDEN_DIR / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_regenerate()

BASE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "SLO",
    "metadata": {"name": "checkout", "namespace": "shop"},
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


def make_slo(**spec: Any) -> SLO:
    """The checkout SLO (BASE) with spec fields replaced."""
    resource = copy.deepcopy(BASE)
    resource["spec"].update(spec)
    return parse_slo(resource)


def rules_of(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rule of the groups, in order."""
    return [rule for group in groups for rule in group["rules"]]


DEFAULT = RuleOptions()


def alerts(slo: SLO, options: RuleOptions = DEFAULT) -> dict[str, list[dict[str, Any]]]:
    """The alerting rules built for `slo`, by alert name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for rule in rules_of(build_rule_groups(slo, options)):
        if "alert" in rule:
            found.setdefault(rule["alert"], []).append(rule)
    return found


VARIANTS = {
    "ratio with good events": {
        "indicator": {
            "ratio": {
                "good": 'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))',
                "total": "sum(rate(http_requests_total[{{.window}}]))",
            }
        }
    },
    "ratio whose queries have top-level operators": {
        "indicator": {
            "ratio": {
                "errors": "sum(rate(a_errors[{{.window}}])) + sum(rate(b_errors[{{.window}}]))",
                "total": "sum(rate(a_total[{{.window}}])) or sum(rate(b_total[{{.window}}]))",
            }
        }
    },
    "latency with a whole-second threshold": {
        "indicator": {"latency": {"histogram": 'h_seconds_bucket{job="a"}', "threshold": "1s"}}
    },
    "availability over 7d": {"window": "7d", "indicator": {"availability": {"up": "up"}}},
    "overridden windows": {
        "alerting": {
            "burnRateWindows": [
                {"tier": "page", "longWindow": "2h", "shortWindow": "10m", "factor": "10"}
            ]
        }
    },
}
