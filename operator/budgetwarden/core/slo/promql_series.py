"""Whether a parsed PromQL expression returns at most one series, and one without labels.

The recorded series of an SLO must carry exactly the labels its rules set (slo_name,
slo_namespace, slo_service, slo_window): the poller reads only series labelled so, which keeps a
scraped target's look-alike series (they carry job and instance) from moving a budget. A ratio
query's result labels pass into every recorded series, so each ratio query (errors, good, total)
must return no labels at all, which also means at most one series per evaluation: two series
without labels cannot coexist in one instant vector.

The rule is decided on the syntax tree, soundly: an expression passes only when no input can
make it return a labelled series. Anything this cannot prove is refused, with a fix that always
works (wrap the query in `sum(...)`):
- `sum`, `avg`, `min`, `max`, `count`, `group`, `stddev`, `stdvar` and `quantile` with no
  grouping, or `by ()`, return one series without labels. `by (label)` keeps that label (even
  a label the selector pins, since it stays on the output), `without` keeps the others, and
  `topk`, `bottomk`, `limitk`, `limit_ratio` and `count_values` keep or make labels.
- Numbers and strings have no labels.
- An operator between two label-free operands is label-free; `and` and `unless` return series of
  their left side only, so only it counts there; `or` adds the right side's series.
- A function returns the labels of its arguments (`abs`, `clamp_min`, `*_over_time` of a
  subquery, ...), except `scalar` (never labels) and `label_replace`, `label_join` and `info`
  (which add them).
- A selector returns the labels of the series it selects, whatever its matchers.
"""

from __future__ import annotations

from typing import Any, Final

import promql_parser

_ONE_SERIES_AGGREGATIONS: Final = frozenset(
    {"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "quantile"}
)
_LABELLING_FUNCTIONS: Final = frozenset({"label_replace", "label_join", "info"})
_LEFT_ONLY_OPERATORS: Final = frozenset({"and", "unless"})
_WRAPPERS: Final = ("ParenExpr", "UnaryExpr", "SubqueryExpr")


def label_free(expr: Any) -> bool:
    """True when `expr` cannot return a series with labels (so it returns at most one)."""
    kind = type(expr).__name__
    if kind in ("NumberLiteral", "StringLiteral"):
        return True
    if kind in _WRAPPERS:
        return label_free(expr.expr)
    if kind == "AggregateExpr":
        return _aggregate_label_free(expr)
    if kind == "BinaryExpr":
        if str(expr.op) in _LEFT_ONLY_OPERATORS:
            return label_free(expr.lhs)
        return label_free(expr.lhs) and label_free(expr.rhs)
    if kind == "Call":
        name = expr.func.name
        if name == "scalar":
            return True
        return name not in _LABELLING_FUNCTIONS and all(label_free(a) for a in expr.args)
    return False  # a vector or range selector: the labels of whatever it selects


def _aggregate_label_free(expr: Any) -> bool:
    if str(expr.op) not in _ONE_SERIES_AGGREGATIONS:
        return False
    modifier = expr.modifier
    if modifier is None:
        return True
    return bool(modifier.type == promql_parser.AggModifierType.By and not modifier.labels)
