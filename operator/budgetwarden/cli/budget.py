"""`budgetwarden budget OBJECTIVE WINDOW`: what an objective allows, and when its alerts fire.

A quick reference for choosing an objective: the error budget, the full-outage time it allows
over the window, and the burn-rate alerts that would be generated, each with the error ratio
that fires it, the budget spent by then, and how long a full budget lasts at that burn rate.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from budgetwarden.cli._documents import duration_argument, print_lines
from budgetwarden.core.budget.arithmetic import (
    BurnRateRow,
    allowed_downtime,
    budget_fraction,
    burn_rate_table,
)
from budgetwarden.core.kernel.durations import format_duration, human_duration, parse_duration
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.quantities import PERCENT_PATTERN
from budgetwarden.core.slo.spec import MAX_WINDOW, MIN_OBJECTIVE, MIN_WINDOW
from budgetwarden.core.slo.windows import check_scrape_interval

HEADERS = ("TIER", "LONG", "SHORT", "FACTOR", "ERROR RATIO", "BUDGET SPENT", "BUDGET LASTS")
LEGEND = (
    "ERROR RATIO   the alert fires when both windows see more errors than this",
    "BUDGET SPENT  share of the budget gone by the time it fires",
    "BUDGET LASTS  how long a full budget lasts at this burn rate",
)


def objective_argument(text: str) -> Decimal:
    """argparse type: a percent such as 99.9 or 99.9%."""
    value = text.removesuffix("%")
    if not re.fullmatch(PERCENT_PATTERN, value) or not MIN_OBJECTIVE <= Decimal(value) < 100:
        raise argparse.ArgumentTypeError(
            f'must be a percent from {MIN_OBJECTIVE} to below 100, such as 99.9; got "{text}"'
        )
    return Decimal(value)


def window_argument(text: str) -> timedelta:
    """argparse type: a window such as 30d, between 1h and 90d."""
    try:
        window = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise argparse.ArgumentTypeError(f'must be between 1h and 90d; got "{text}"')
    return window


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden budget`."""
    parser.add_argument("objective", type=objective_argument, metavar="OBJECTIVE", help="99.9")
    parser.add_argument("window", type=window_argument, metavar="WINDOW", help="30d")
    parser.add_argument(
        "--scrape-interval",
        type=duration_argument,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="warn when a burn-rate window holds too few scrapes (30s)",
    )


def number(value: Decimal, digits: int = 4) -> str:
    """A Decimal rounded to `digits` significant digits, without exponent or trailing zeros."""
    rounded = Decimal(format(value, f".{digits}g"))
    return format(rounded.normalize(), "f")


def rounded_duration(value: timedelta) -> str:
    """A duration for people: whole minutes from an hour up, whole seconds from a minute up."""
    if value < timedelta(minutes=1):
        return human_duration(value)  # "21.6s", not Prometheus' "21s600ms"
    unit = timedelta(minutes=1) if value >= timedelta(hours=1) else timedelta(seconds=1)
    return format_duration(unit * round(value / unit))


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _cells(row: BurnRateRow) -> tuple[str, ...]:
    alert = row.window
    return (
        alert.tier,
        format_duration(alert.long_window),
        format_duration(alert.short_window),
        number(alert.factor, 8),
        f"{number(row.error_ratio * 100)}%",
        f"{number(row.consumed_percent)}%",
        rounded_duration(row.exhaustion),
    )


def report(objective: Decimal, window: timedelta, scrape_interval: timedelta) -> list[str]:
    """The whole printout for one objective and window."""
    downtime = allowed_downtime(objective, window)
    minutes = Decimal(downtime // timedelta(microseconds=1)) / Decimal(60_000_000)
    rows = burn_rate_table(objective, window)
    lines = [
        f"objective:        {number(objective, 8)}% over {format_duration(window)}",
        f"error budget:     {number(budget_fraction(objective) * 100, 8)}% of events",
        f"allowed downtime: {number(minutes, 8)} minutes ({rounded_duration(downtime)})",
        "",
        "burn-rate alerts (each fires when both its windows burn faster than its factor):",
        *table([HEADERS, *(_cells(row) for row in rows)]),
        "",
        *LEGEND,
    ]
    for row in rows:
        if not row.reachable:
            alert = row.window
            lines.append(
                f"warning: the {alert.tier} alert over {format_duration(alert.long_window)} "
                f"needs an error ratio of {number(row.error_ratio * 100)}% and can never fire "
                f"at a {number(objective, 8)}% objective"
            )
    try:
        check_scrape_interval(window, (), scrape_interval)
    except SpecError as error:
        lines.extend(f"warning: {problem.message}" for problem in error.problems)
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the budget report."""
    try:
        lines = report(args.objective, args.window, args.scrape_interval)
    except SpecError as error:
        print_lines(f"WINDOW: {problem}" for problem in error.problems)
        return 1
    print("\n".join(lines))
    return 0
