"""PromQL text: the `{{.window}}` template, validation with a column, and selector rendering.

`validate_slo_queries` checks an SLO's queries before any rule is built (rule generation, the
`validate` command and the SLO handler call it). Each ratio query must add up to one series
without labels (`promql_series.label_free`), because the recorded series must carry only the
rules' labels; latency and availability name a selector, which the generated rules sum
themselves. It parses with the promql-parser package, whose
errors carry no position, so `error_column` works one out: bracket and quote balance first, then
the token the message names, then label-matcher syntax, and last the point from which every
longer prefix of the query fails the same way. Columns count characters of the query as the user
wrote it, `{{.window}}` included.

Rule generation uses `render_window`, `parse_selector` and `render_selector` to write its
expressions; it renders selectors itself because promql-parser prints escaped label values back
unescaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import promql_parser

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.slo.promql_position import error_column
from budgetwarden.core.slo.promql_series import label_free
from budgetwarden.core.slo.spec import SLO, RatioIndicator

# Sloth's template, so Sloth users can paste their queries; spaces inside the braces are allowed.
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")
# Any valid range works for checking syntax; 5m is the one every SLO records.
VALIDATION_WINDOW = timedelta(minutes=5)
# promql-parser's MatchOp is not hashable; compare members in order instead.
_OPS = (
    (promql_parser.MatchOp.Equal, "="),
    (promql_parser.MatchOp.NotEqual, "!="),
    (promql_parser.MatchOp.Re, "=~"),
    (promql_parser.MatchOp.NotRe, "!~"),
)
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KINDS = {
    "MatrixSelector": "a range selector",
    "SubqueryExpr": "a subquery",
    "AggregateExpr": "an aggregation",
    "Call": "a function call",
    "BinaryExpr": "an expression with an operator",
    "UnaryExpr": "a negated expression",
    "ParenExpr": "an expression in parentheses",
    "NumberLiteral": "a number",
    "StringLiteral": "a string",
}
_RANGE_RESULTS = ("MatrixSelector", "SubqueryExpr", "StringLiteral")
# A ratio query's labels would pass into the recorded series, which must carry only the rules'
# labels (core/slo/promql_series.py says which queries pass and why).
NOT_ONE_SERIES = (
    "must add up to one series without labels: wrap it in sum(...) with no by or without, as in "
    "sum(rate(x[{{.window}}])); the operator reads only series that carry exactly the labels of "
    "its recording rules"
)


class QueryError(ValueError):
    """A query promql-parser rejects: the reason and the 1-based column in the user's text."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"is not valid PromQL at column {column}: {reason}")
        self.reason = reason
        self.column = column


@dataclass(frozen=True)
class Selector:
    """A parsed series selector: metric name (may be None) and (label, op, value) matchers."""

    name: str | None
    matchers: tuple[tuple[str, str, str], ...]

    def has_label(self, label: str) -> bool:
        """Whether any matcher is on `label`."""
        return any(name == label for name, _, _ in self.matchers)


def render_window(query: str, window: timedelta) -> str:
    """Replace every `{{.window}}` with the window written as Prometheus reads it."""
    return WINDOW_TEMPLATE.sub(format_duration(window), query)


def format_decimal(value: Decimal) -> str:
    """A Decimal in plain notation, no exponent and no trailing zeros: 0.999, 60, 0.3."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse(query: str) -> Any:
    """Parse a query with `{{.window}}` templates; raise QueryError with the user's column."""
    rendered, spans = _substitute(query, VALIDATION_WINDOW)
    try:
        return promql_parser.parse(rendered)
    except ValueError as error:
        reason, index = error_column(rendered, str(error))
        raise QueryError(reason, _original_index(index, spans) + 1) from error


def needs_parentheses(query: str) -> bool:
    """Whether embedding `query` as an operand needs parentheses (it has a top-level operator)."""
    return type(parse(query)).__name__ in ("BinaryExpr", "UnaryExpr")


def parse_selector(text: str) -> Selector:
    """Parse a series selector such as `up{job="api"}`; raise ValueError naming what is wrong."""
    if WINDOW_TEMPLATE.search(text):
        raise ValueError("takes a series selector, not a range: remove [{{.window}}]")
    expr = parse(text)
    kind = type(expr).__name__
    if kind != "VectorSelector":
        raise ValueError(
            'must be a series selector such as up{job="api"}; got ' + _KINDS.get(kind, kind)
        )
    if expr.offset is not None or expr.at is not None:
        raise ValueError("must be a plain series selector: offset and @ are not supported")
    if expr.matchers.or_matchers:
        raise ValueError("must be a plain series selector: `or` between matchers is not supported")
    matchers = tuple((m.name, _op(m.op), m.value) for m in expr.matchers.matchers)
    return Selector(name=expr.name, matchers=matchers)


def _op(op: Any) -> str:
    return next(text for member, text in _OPS if member == op)


def render_selector(selector: Selector, extra: tuple[tuple[str, str, str], ...] = ()) -> str:
    """Write a selector back as PromQL, with `extra` matchers after the parsed ones."""
    parts = [f"{_label(name)}{op}{quote(value)}" for name, op, value in selector.matchers + extra]
    return f"{selector.name or ''}{{{','.join(parts)}}}"


def quote(text: str) -> str:
    """`text` as a PromQL string literal (a JSON string is one: the same escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _label(name: str) -> str:
    return name if _LABEL_NAME.match(name) else quote(name)


def validate_slo_queries(slo: SLO) -> None:
    """Raise SpecError naming each query of the SLO's indicator (and its serviceDown alert's
    upSelector) that is not usable PromQL."""
    indicator = slo.spec.indicator
    problems: list[Problem] = []
    if indicator.ratio is not None:
        problems += _ratio_problems(indicator.ratio)
    if indicator.latency is not None:
        field = "spec.indicator.latency.histogram"
        problems += _selector_problems(field, indicator.latency.histogram, forbid=("le",))
    if indicator.availability is not None:
        field = "spec.indicator.availability.up"
        problems += _selector_problems(field, indicator.availability.up, forbid=())
    if (up := slo.spec.alerting.service_down.up_selector) is not None:
        problems += _selector_problems("spec.alerting.serviceDown.upSelector", up, forbid=())
    if problems:
        raise SpecError(problems)


def _ratio_problems(ratio: RatioIndicator) -> list[Problem]:
    problems = []
    for key in ("errors", "good", "total"):
        query = getattr(ratio, key)
        if query is None:
            continue
        field = f"spec.indicator.ratio.{key}"
        problems += _window_query_problems(field, query)
        if key != "total" and _same(query, ratio.total):
            problems.append(
                Problem(field, f"is the same query as total, so the ratio would always be {key}")
            )
    return problems


def _same(left: str, right: str) -> bool:
    return "".join(left.split()) == "".join(right.split())


def _window_query_problems(field: str, query: str) -> list[Problem]:
    if not WINDOW_TEMPLATE.search(query):
        return [
            Problem(
                field,
                "must contain {{.window}} where the range goes, as in "
                "rate(http_requests_total[{{.window}}]): the query is evaluated over every "
                "burn-rate window (5m up to days), which a fixed range cannot express",
            )
        ]
    try:
        expr = parse(query)
    except QueryError as error:
        return [Problem(field, str(error))]
    kind = type(expr).__name__
    if kind in _RANGE_RESULTS:
        return [
            Problem(
                field,
                f"must return an instant vector, such as sum(rate(x[{{{{.window}}}}])); "
                f"got {_KINDS[kind]}",
            )
        ]
    if not label_free(expr):
        return [Problem(field, NOT_ONE_SERIES)]
    return []


def _selector_problems(field: str, text: str, forbid: tuple[str, ...]) -> list[Problem]:
    try:
        selector = parse_selector(text)
    except ValueError as error:  # QueryError included: both messages read after the field
        return [Problem(field, str(error))]
    return [
        Problem(field, f"must not match on {label}: budgetwarden adds the {label} matchers itself")
        for label in forbid
        if selector.has_label(label)
    ]


Span = tuple[int, int, int, int]  # original start, original end, rendered start, rendered end


def _substitute(query: str, window: timedelta) -> tuple[str, list[Span]]:
    duration = format_duration(window)
    parts, spans, cursor, shift = [], [], 0, 0
    for match in WINDOW_TEMPLATE.finditer(query):
        parts += [query[cursor : match.start()], duration]
        start = match.start() + shift
        spans.append((match.start(), match.end(), start, start + len(duration)))
        shift += len(duration) - (match.end() - match.start())
        cursor = match.end()
    parts.append(query[cursor:])
    return "".join(parts), spans


def _original_index(index: int, spans: list[Span]) -> int:
    """Map an index in the rendered query back to the query as written."""
    shift = 0
    for original_start, original_end, start, end in spans:
        if index < start:
            break
        if index < end:
            return original_start
        shift = original_end - end
    return index + shift
