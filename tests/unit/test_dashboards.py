"""The Grafana dashboards: every query parses as PromQL and reads only series that exist.

Grafana variables are replaced by plain values first ($namespace -> "x", $__rate_interval ->
5m), then promql-parser reads the query. A series name must be one the generated rules record
(core/kernel/conventions.py), one the operator's /metrics exports (from a real exposition), or one
Prometheus makes itself (up, ALERTS). Label matchers must name labels those series carry, so a
typo such as `slo=` for `slo_name=` fails here rather than as an empty panel. The fast-burn
panel's window matcher is checked against the windows recorded for SLOs of any length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import promql_parser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.slo.windows import burn_rate_windows, ratio_windows

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
CHART_DASHBOARDS = ROOT / "helm" / "budgetwarden" / "dashboards"
# what Prometheus adds to every scraped series (the operator's own `namespace` wins: honorLabels)
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "service", "endpoint"})
RANGE_VARIABLES = frozenset({"__rate_interval", "__interval", "__range"})
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)$")


def recorded_series() -> dict[str, frozenset[str]]:
    """Every series the generated rules record, with the labels on it."""
    names = [value for key, value in vars(c).items() if key.startswith("METRIC_")]
    slo = frozenset({c.PROM_LABEL_SLO, c.PROM_LABEL_NAMESPACE, c.PROM_LABEL_SERVICE})
    return {n: slo | ({c.PROM_LABEL_WINDOW} if n == c.METRIC_BURN_RATE else set()) for n in names}


def operator_series() -> dict[str, frozenset[str]]:
    """Every series in a real exposition of the operator's /metrics, with every metric used."""
    metrics = OperatorMetrics()
    metrics.poll_done(0.05, queries=1)
    metrics.error("prometheus")
    metrics.notified("email", delivered=False)
    metrics.set_budgets({("shop", "checkout"): Decimal("42")})
    metrics.set_policies({("shop", "payments"): (Level.WARNING, 1)})
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return {name: frozenset(labels) | TARGET_LABELS for name, labels in found.items()}


def known_series() -> dict[str, frozenset[str]]:
    """Recorded series, operator series, and the two Prometheus makes itself."""
    alerts = (
        frozenset({"alertname", "alertstate", "severity"}) | recorded_series()[c.METRIC_OBJECTIVE]
    )
    prometheus = {"up": TARGET_LABELS, "ALERTS": alerts}
    return {**recorded_series(), **operator_series(), **prometheus}


def substituted(text: str) -> str:
    """The query with Grafana's variables replaced by values PromQL accepts."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return "5m" if name in RANGE_VARIABLES else "x"

    return VARIABLE.sub(value, text)


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside rows."""
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries() -> Iterator[Any]:
    """(dashboard, where, PromQL) for every panel target and every query variable."""
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in panels(board["panels"]):
            for target in panel.get("targets", []):
                where = f"{panel['title']} {target['refId']}"
                yield pytest.param(
                    target["expr"], id=f"{path.stem}: panel '{where}' parses and reads known series"
                )
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                match = LABEL_VALUES.match(variable["definition"])
                assert match, f"{path.name}: variable {variable['name']} is not label_values(...)"
                yield pytest.param(
                    match.group(1),
                    id=f"{path.stem}: variable '{variable['name']}' reads a known series",
                )


def selectors(node: Any) -> Iterator[Any]:
    """Every VectorSelector in a parsed expression."""
    kind = type(node).__name__
    if kind == "VectorSelector":
        yield node
    elif kind == "MatrixSelector":
        yield node.vector_selector
    elif kind == "BinaryExpr":
        yield from selectors(node.lhs)
        yield from selectors(node.rhs)
    elif kind == "Call":
        for argument in node.args:
            yield from selectors(argument)
    elif kind in ("AggregateExpr", "ParenExpr", "UnaryExpr", "SubqueryExpr"):
        yield from selectors(node.expr)


def problems(query: str) -> list[str]:
    """Unknown series and unknown label names in a parsed query."""
    known, found = known_series(), []
    for selector in selectors(promql_parser.parse(substituted(query))):
        matchers = selector.matchers.matchers
        name = selector.name or next(m.value for m in matchers if m.name == "__name__")
        if name not in known:
            found.append(f"unknown series {name}")
            continue
        found += [
            f"{name} has no label {m.name}"
            for m in matchers
            if m.name != "__name__" and m.name not in known[name]
        ]
    return found


@pytest.mark.parametrize("query", list(queries()))
def test_query(query: str) -> None:
    assert problems(query) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            'budgetwarden_slo:burn_rate{slo="checkout", slo_window="1h"}',
            ["budgetwarden_slo:burn_rate has no label slo"],
            id="a matcher on a label the recorded series lacks is reported",
        ),
        pytest.param(
            "rate(budgetwarden_polls_total[$__rate_interval])",
            ["unknown series budgetwarden_polls_total"],
            id="a series nobody exports is reported",
        ),
        pytest.param(
            'sum by (le) (rate(budgetwarden_poll_duration_seconds_bucket{job=~"$job"}[5m]))',
            [],
            id="a histogram bucket of the operator's metrics is known",
        ),
    ],
)
def test_the_check_itself(query: str, expected: list[str]) -> None:
    assert problems(query) == expected


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=f"the chart carries {p.name} unchanged") for p in DASHBOARDS]
)
def test_chart_copy(path: Path) -> None:
    assert (CHART_DASHBOARDS / path.name).read_text() == path.read_text()


def test_the_chart_has_no_dashboard_the_repository_lacks() -> None:
    assert sorted(p.name for p in CHART_DASHBOARDS.glob("*.json")) == [p.name for p in DASHBOARDS]


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=f"{p.stem} has unique panel ids and a uid") for p in DASHBOARDS]
)
def test_dashboard_identity(path: Path) -> None:
    board = json.loads(path.read_text())
    ids = [panel["id"] for panel in panels(board["panels"])]
    assert (board["uid"], len(ids)) == (path.stem, len(set(ids)))


@pytest.mark.parametrize("window", ["6h", "1d", "7d", "28d", "30d", "90d"])
def test_fast_burn_shows_every_window_of_an_hour_or_less_whatever_the_slo_window(
    window: str,
) -> None:
    board = json.loads((ROOT / "dashboards" / "budgetwarden-slos.json").read_text())
    (fast,) = [p for p in panels(board["panels"]) if p["title"] == "Fast burn now"]
    (selector,) = selectors(promql_parser.parse(substituted(fast["targets"][0]["expr"])))
    (matcher,) = [m for m in selector.matchers.matchers if m.name == c.PROM_LABEL_WINDOW]
    recorded = ratio_windows(burn_rate_windows(parse_duration(window)))
    shown = [w for w in recorded if re.fullmatch(matcher.value, format_duration(w))]
    assert shown == [w for w in recorded if w <= timedelta(hours=1)]
    assert shown  # never empty: the 5m base window is recorded for every SLO
