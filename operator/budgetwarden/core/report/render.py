"""The alert review as text: a plain table or Markdown (for a review document).

Called by cli/report.py; `render_json` writes the same numbers as JSON. Both text formats
print the same sections, built once here as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.report import thresholds as limits
from budgetwarden.core.report.incidents import Incidents, Score
from budgetwarden.core.report.review import AlertReview

FIRED_HEADERS = (
    "ALERT", "SLO", "FIRES", "FIRING", "MEDIAN TTR", "P90 TTR", "MOST IN 60M", "FLAPPING", "PAGES",
)  # fmt: skip
SCORE_HEADERS = (
    "ALERT", "FIRES", "IN INCIDENTS", "PRECISION", "EXPECTED", "CAUGHT", "RECALL", "MISSED",
)  # fmt: skip


@dataclass(frozen=True)
class Section:
    """A titled table, with lines after it (or `empty` in its place when it has no rows)."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "none"
    notes: tuple[str, ...] = ()


def duration_text(value: timedelta | None) -> str:
    """ "1h5m" to the second, "0s" for nothing, "-" when there is no value."""
    if value is None:
        return "-"
    seconds = timedelta(seconds=round(value.total_seconds()))
    return format_duration(seconds) if seconds > timedelta() else "0s"


def share_text(value: Decimal | None) -> str:
    """A share as a whole percent ("33%"), or "-" when there is no value."""
    return "-" if value is None else f"{(value * 100).quantize(Decimal('1'))}%"


def header(review: AlertReview) -> list[str]:
    """The lines that say what was reviewed, and how finely."""
    period = review.period
    return [
        f"Alert review from {format_time(period.start)} to {format_time(period.end)} "
        f"({duration_text(period.length)})",
        f"Step {duration_text(period.step)}: ALERTS read once a step, so times are accurate to "
        f"one step.",
    ]


def sections(review: AlertReview) -> list[Section]:
    """Every section of the report, in order."""
    found = [_fired(review), _never(review), _pages(review), _runbooks(review)]
    if review.scores is not None and review.incidents is not None:
        found.append(_scores(review.scores, review.incidents, review))
    return found


def _fired(review: AlertReview) -> Section:
    rows = tuple(
        (
            a.name,
            a.slo or "-",
            str(len(a.starts)),
            duration_text(a.firing),
            duration_text(a.median),
            duration_text(a.p90),
            str(a.most_in_hour),
            "yes" if a.flapping else "no",
            str(a.pages),
        )
        for a in review.fired
    )
    window = duration_text(limits.FLAP_WINDOW)
    notes = (
        f"FIRES: transitions to firing; FIRING: total time firing; TTR: time to resolve; "
        f"FLAPPING: at least {limits.FLAP_FIRES} fires within {window}.",
    )
    return Section("Alerts that fired", FIRED_HEADERS, rows, "no alert fired", notes)


def _never(review: AlertReview) -> Section:
    rows = tuple((a.name, a.slo or "-") for a in review.never_fired)
    return Section("Loaded alerts that never fired", ("ALERT", "SLO"), rows)


def _pages(review: AlertReview) -> Section:
    limit = limits.PAGES_PER_SLO_WEEK
    rows = tuple(
        (s.slo, str(s.pages), str(s.per_week), "yes" if s.over else "no") for s in review.slos
    )
    shift = duration_text(limits.SHIFT)
    busiest = (
        f"Busiest {shift} shift: {review.busiest_shift} pages (limit {limits.PAGES_PER_SHIFT})"
        f"{': over' if review.busiest_shift > limits.PAGES_PER_SHIFT else ''}."
    )
    title = f"Pages per SLO (P0 and P1; limit {limit} a week)"
    return Section(title, ("SLO", "PAGES", "PER WEEK", "OVER LIMIT"), rows, notes=(busiest,))


def _runbooks(review: AlertReview) -> Section:
    rows = tuple(
        (f"{i.alertname}[{i.detail}]" if i.detail else i.alertname, i.slo or "-", i.problem)
        for i in review.runbooks
    )
    return Section("Alerts without a usable runbook", ("ALERT", "SLO", "PROBLEM"), rows)


def _scores(scores: Sequence[Score], incidents: Incidents, review: AlertReview) -> Section:
    rows = tuple(
        (
            s.alertname,
            str(s.fires),
            str(s.true_fires),
            share_text(s.precision),
            str(s.expected),
            str(s.caught),
            share_text(s.recall),
            ", ".join(s.missed) or "-",
        )
        for s in scores
    )
    known = len(incidents.within(review.period))
    title = (
        f"Incidents: {known} of {len(incidents.incidents)} in the period, "
        f"grace {duration_text(incidents.grace)}"
    )
    return Section(title, SCORE_HEADERS, rows)


def as_table(review: AlertReview) -> str:
    """The report as plain text: left-aligned columns two spaces apart."""
    lines = header(review)
    for section in sections(review):
        lines += ["", section.title]
        lines += _columns((section.headers, *section.rows)) if section.rows else [section.empty]
        lines += section.notes
    return "\n".join(lines) + "\n"


def as_markdown(review: AlertReview) -> str:
    """The report as Markdown, to paste into a review document."""
    lines = ["# Alert review", "", *(f"{line}  " for line in header(review))]
    for section in sections(review):
        lines += ["", f"## {section.title}", ""]
        if section.rows:
            lines += [_md_row(section.headers), _md_row(tuple("---" for _ in section.headers))]
            lines += [_md_row(row) for row in section.rows]
        else:
            lines.append(section.empty.capitalize() + ".")
        lines += ["", *section.notes] if section.notes else []
    return "\n".join(lines) + "\n"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
