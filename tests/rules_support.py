"""What the rule-generation tests (tests/unit/test_rules_*.py) build SLOs from: the checkout SLO
with fields replaced, variants of it, and the golden files' regenerate script.
"""

from __future__ import annotations

import copy
import importlib.util
import re
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


# One label_replace an alert's expression wraps a branch in to write a label of its own.
_WRITTEN_LABEL = re.compile(r'^label_replace\((.*), "([^"]+)", "([^"]*)", "", ""\)$', re.S)


def branches(rule: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Each branch of an alert's `or`: its expression with the label_replace calls peeled off,
    and the labels the alerts it raises carry (the rule's own, then those the branch writes)."""
    found = []
    for branch in rule["expr"].split("\nor\n"):
        labels = dict(rule["labels"])
        while written := _WRITTEN_LABEL.match(branch):
            branch, key, value = written.groups()
            labels[key] = value
        found.append((branch, dict(sorted(labels.items()))))
    return found


def label_sets(rule: dict[str, Any]) -> list[dict[str, str]]:
    """The label sets the alerts of a rule can carry, one per branch that writes labels."""
    unique = {tuple(labels.items()): labels for _, labels in branches(rule)}
    return list(unique.values())


# A tag of the choice the budget-low alert's text makes by its level label.
_LEVEL_TAG = re.compile(
    r'\{\{ (?:(?:else )?if eq \$labels\.slo_budget_level "(\w+)"|else|end) \}\}'
)


def for_level(text: str, level: str) -> str:
    """An annotation with its choice by slo_budget_level made for `level`, as Prometheus'
    template engine makes it; other template actions are left as they are."""
    kept, keep, taken, start = [], True, False, 0
    for tag in _LEVEL_TAG.finditer(text):
        if keep:
            kept.append(text[start : tag.start()])
        start, named, word = tag.end(), tag.group(1), tag.group(0)
        if word.startswith("{{ if"):
            taken = False
        if named is not None:  # `if` or `else if`: this branch, if no earlier one was taken
            keep = not taken and named == level
            taken = taken or keep
        else:  # `else` is taken when no branch was, and `end` is back to the shared text
            keep = word == "{{ end }}" or not taken
    return "".join(kept) + text[start:]


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
