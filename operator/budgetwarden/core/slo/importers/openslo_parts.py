"""The pieces of an OpenSLO SLO (v1 and v1alpha) read one at a time: window, budgeting method,
target and queries.

Each reader appends to a `Findings` instead of raising, so one document's result line names
every reason it cannot be converted, not only the first. Called by `importers.openslo`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import promql_parser

from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.slo.importers.common import as_text, objective_percent, percent
from budgetwarden.core.slo.promql import WINDOW_TEMPLATE

WINDOW = "{{.window}}"
_V1ALPHA_UNITS = {"Second": "s", "Minute": "m", "Hour": "h", "Day": "d", "Week": "w"}
_CALENDAR_UNITS = ("M", "Q", "Y", "Month", "Quarter", "Year")


@dataclass
class Findings:
    """Changes and reasons gathered while reading one SLO (or one of its objectives)."""

    changes: list[Problem] = field(default_factory=list)
    reasons: list[Problem] = field(default_factory=list)

    def change(self, where: str, message: str) -> None:
        """Something the output does differently from the source."""
        self.changes.append(Problem(where, message))

    def refuse(self, where: str, message: str) -> None:
        """A reason the SLO (or objective) cannot be converted."""
        self.reasons.append(Problem(where, message))


def window(spec: Mapping[str, Any], v1alpha: bool, default: str, found: Findings) -> str:
    """The rolling window of an SLO; `default` (and a change) when the SLO gives none."""
    key = "timeWindows" if v1alpha else "timeWindow"
    windows = spec.get(key)
    if windows is None:
        found.change(f"spec.{key}", f"none given: the SLO window is {default} (--window)")
        return default
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], Mapping):
        found.refuse(f"spec.{key}", "needs exactly one time window")
        return default
    where, item = f"spec.{key}[0]", windows[0]
    if item.get("calendar") is not None or item.get("isRolling") is False:
        found.refuse(
            where, "calendar windows cannot be converted: budgetwarden windows are rolling"
        )
    if v1alpha:
        unit, count = str(item.get("unit", "")), item.get("count")
        duration = f"{count}{_V1ALPHA_UNITS.get(unit, unit)}"
    else:
        duration = str(item.get("duration", ""))
    if duration.endswith(_CALENDAR_UNITS):
        why = "months, quarters and years have no fixed length; use days (30d)"
        found.refuse(f"{where}.duration", f'"{duration}": {why}')
    return duration


def budgeting_method(method: Any, found: Findings) -> None:
    """Only Occurrences (good/total event counts) converts; a missing method is read as it."""
    if method is None:
        found.change("spec.budgetingMethod", "none given: read as Occurrences")
    elif method != "Occurrences":
        why = "only Occurrences (good/total event counts) is supported; time slices are not"
        found.refuse("spec.budgetingMethod", f'"{method}": {why}')


def target(objective: Mapping[str, Any], where: str, found: Findings) -> str | None:
    """The objective as a percent string; `target` and `targetPercent` take 0.999 or 99.9."""
    key = "targetPercent" if "targetPercent" in objective else "target"
    raw = objective.get(key)
    value = objective_percent(raw)
    if value is None:
        found.refuse(f"{where}.{key}", f"needs target (0.999) or targetPercent (99.9); got {raw!r}")
        return None
    written = percent(raw)
    if key == "target" and written is not None and written >= 1:
        found.change(f"{where}.target", f"{as_text(written)} read as a percent, not a ratio")
    if key == "targetPercent" and written is not None and written < 1:
        found.change(
            f"{where}.targetPercent", f"{as_text(written)} read as a ratio: {as_text(value)} %"
        )
    return as_text(value)


@dataclass(frozen=True)
class Source:
    """Where a query is read from: the metric source type and the query text, if any."""

    kind: str
    query: Any
    kind_field: str


def window_query(source: Source, counter: bool, where: str, found: Findings) -> str | None:
    """A Prometheus query with `{{.window}}` where the range goes, rewriting counters."""
    if source.kind.lower() != "prometheus":
        why = f'the metric source is "{source.kind or "unknown"}"; only Prometheus is converted'
        found.refuse(source.kind_field, why)
        return None
    query = source.query
    if not isinstance(query, str) or not query.strip():
        found.refuse(f"{where}.query", "no query")
        return None
    if WINDOW_TEMPLATE.search(query):
        return query
    rewritten = _counter_rate(query.strip()) if counter else None
    if rewritten is None:
        why = f"must contain {WINDOW} where the range goes, or count a counter (counter: true)"
        found.refuse(f"{where}.query", why)
        return None
    found.change(f"{where}.query", f'counter "{query.strip()}" read as "{rewritten}"')
    return rewritten


def _counter_rate(query: str) -> str | None:
    """`x{..}` or `sum(x{..})` over a counter -> the rate the event ratio needs."""
    try:
        expr = promql_parser.parse(query)
    except ValueError:
        return None
    if isinstance(expr, promql_parser.VectorSelector):
        return f"sum(rate({query}[{WINDOW}]))"
    if not isinstance(expr, promql_parser.AggregateExpr) or expr.modifier is not None:
        return None
    inner = expr.expr
    if isinstance(inner, promql_parser.VectorSelector) and expr.param is None:
        return f"{expr.op}(rate({inner}[{WINDOW}]))"
    return None
