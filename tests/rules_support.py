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


# A tag of the choice a budget-low alert's labels and text make by the budget left, $value.
_CHOICE_TAG = re.compile(r"\{\{ (?:(?:else )?if lt \$value (-?[0-9.]+)|else|end) \}\}")


def at_value(text: str, value: float) -> str:
    """A label or annotation with its choices by `$value` made for `value`, as Go's template
    engine makes them; other template actions are left as they are."""
    kept, keep, taken, start = [], True, False, 0
    for tag in _CHOICE_TAG.finditer(text):
        if keep:
            kept.append(text[start : tag.start()])
        start, bound, word = tag.end(), tag.group(1), tag.group(0)
        if word.startswith("{{ if"):
            taken = False
        if bound is not None:  # `if` or `else if`: this branch, if no earlier one was taken
            keep = not taken and value < float(bound)
            taken = taken or keep
        else:  # `else` is taken when no branch was, and `end` is back to the shared text
            keep = word == "{{ end }}" or not taken
    return "".join(kept) + text[start:]


def _sample_values(rule: dict[str, Any]) -> list[float]:
    """A value of the budget left in each band the rule's templates choose between, as the
    budget falls: at the highest bound (where only `else` is taken), between two, below the
    lowest."""
    texts = [*rule["labels"].values(), *rule.get("annotations", {}).values()]
    bounds = sorted({float(b) for text in texts for b in _CHOICE_TAG.findall(text) if b})
    if not bounds:
        return [0.0]
    lower = [bounds[0] - 0.5, *bounds[:-1]]
    inside = [(low + high) / 2 for low, high in zip(lower, bounds, strict=True)]
    return [bounds[-1], *reversed(inside)]


def label_sets(rule: dict[str, Any]) -> list[dict[str, str]]:
    """The label sets the alerts of a rule can carry: one, or one per band of the budget left
    its labels choose between (the budget-low rule's levels)."""
    found = [
        {key: at_value(value, sample) for key, value in rule["labels"].items()}
        for sample in _sample_values(rule)
    ]
    unique = {tuple(labels.items()): labels for labels in found}
    return list(unique.values())


def level_value(rule: dict[str, Any], level: str) -> float:
    """A budget left at which the budget-low rule's alert is of `level`."""
    level_of = rule["labels"]["slo_budget_level"]
    return next(v for v in _sample_values(rule) if at_value(level_of, v) == level)


def for_level(rule: dict[str, Any], text: str, level: str) -> str:
    """A budget-low annotation of `rule` with its choices made for `level`."""
    return at_value(text, level_value(rule, level))


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
