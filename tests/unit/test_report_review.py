"""The review of a period (core/report/review.py): which rule a series belongs to, pages per
SLO, runbook problems (core/report/runbooks.py), and the text the report prints for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.kernel.conventions import alert_runbook_url
from budgetwarden.core.report.model import LoadedRule, Period, Series
from budgetwarden.core.report.render import as_markdown, as_table, duration_text, share_text
from budgetwarden.core.report.review import SloPages, is_page, review
from budgetwarden.core.report.runbooks import runbook_problem

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
WEEK = Period(T0, T0 + timedelta(days=7), MIN)
SLO_A = {"slo_name": "a", "slo_namespace": "shop"}
SLO_B = {"slo_name": "b", "slo_namespace": "shop"}
FAST = "SLOErrorBudgetFastBurn"
GOOD = {"runbook_url": alert_runbook_url(FAST)}


def rule(name: str, labels: dict[str, str], **annotations: str) -> LoadedRule:
    return LoadedRule(name, labels, annotations or GOOD)


def series(name: str, labels: dict[str, str], *minutes: int) -> Series:
    return Series({"alertname": name, **labels}, tuple(T0 + m * MIN for m in minutes))


@pytest.mark.parametrize(
    ("labels", "page"),
    [
        pytest.param({"priority": "P0"}, True, id="P0 pages"),
        pytest.param({"priority": "P1", "severity": "warning"}, True, id="P1 pages, any severity"),
        pytest.param({"priority": "P2", "severity": "critical"}, False, id="P2 critical does not"),
        pytest.param({"severity": "critical"}, True, id="without a priority, critical pages"),
        pytest.param({"severity": "page"}, True, id="without a priority, severity page pages"),
        pytest.param({"severity": "warning"}, False, id="without a priority, warning does not"),
        pytest.param({}, False, id="no label, no page"),
    ],
)  # fmt: skip
def test_a_page_is_p0_or_p1_or_else_a_paging_severity(labels: dict[str, str], page: bool) -> None:
    assert is_page(labels) is page


@pytest.mark.parametrize(
    ("annotations", "problem"),
    [
        pytest.param(GOOD, None, id="the shipped page is fine"),
        pytest.param({"runbook_url": "https://wiki.acme.io/sre/x"}, None, id="an own wiki is fine"),
        pytest.param({}, "no runbook_url annotation", id="no annotation"),
        pytest.param({"runbook_url": " "}, "empty runbook_url", id="an empty one"),
        pytest.param(
            {"runbook_url": "https://example.com/runbook"},
            "placeholder address: https://example.com/runbook",
            id="example.com",
        ),
        pytest.param(
            {"runbook_url": "https://runbooks.example.org/x"},
            "placeholder address: https://runbooks.example.org/x",
            id="a subdomain of example.org",
        ),
        pytest.param(
            {"runbook_url": "http://runbooks.invalid/x"},
            "placeholder address: http://runbooks.invalid/x",
            id="the .invalid top-level name",
        ),
        pytest.param(
            {"runbook_url": "https://wiki.acme.io/{page}"},
            "unfilled {page} in https://wiki.acme.io/{page}",
            id="a runbook base whose page was never filled in",
        ),
        pytest.param({"runbook_url": "TODO"}, "not an http(s) address: TODO", id="TODO"),
        pytest.param(
            {"runbook_url": "{{ $labels.runbook }}"}, None, id="a template cannot be judged"
        ),
    ],
)
def test_runbook_problems(annotations: dict[str, str], problem: str | None) -> None:
    assert runbook_problem(annotations) == problem


def test_a_series_belongs_to_the_most_specific_rule_with_its_labels() -> None:
    rules = [
        rule(FAST, SLO_A),
        rule(FAST, {**SLO_A, "slo_budget_level": "Warning"}),
        rule(FAST, SLO_B),
    ]
    found = review(WEEK, [series(FAST, {**SLO_A, "slo_budget_level": "Warning"}, 5)], rules)
    fired = [(a.alertname, a.slo, a.detail) for a in found.fired]
    never = [(a.slo, a.detail) for a in found.never_fired]
    assert fired == [(FAST, "shop/a", "Warning")]
    assert never == [("shop/a", ""), ("shop/b", "")]


def test_one_rule_that_raises_every_budget_level_is_reviewed_per_level() -> None:
    low = "SLOErrorBudgetLow"
    warning, full = ({**SLO_A, "slo_budget_level": level} for level in ("Warning", "FullFreeze"))
    history = [series(low, warning, 5, 6), series(low, full, 50), series(low, warning, 90)]
    found = review(WEEK, history, [rule(low, SLO_A), rule(low, SLO_B)])
    assert [(a.name, a.slo, len(a.starts)) for a in found.fired] == [
        ("SLOErrorBudgetLow[FullFreeze]", "shop/a", 1),
        ("SLOErrorBudgetLow[Warning]", "shop/a", 2),
    ]
    assert [(a.slo, a.detail) for a in found.never_fired] == [("shop/b", "")]


def test_series_of_no_loaded_rule_are_kept_and_marked_not_loaded() -> None:
    found = review(WEEK, [series("OldAlert", SLO_A, 5, 6), series("OldAlert", SLO_A, 50)], [])
    assert [(a.name, a.slo, len(a.starts)) for a in found.fired] == [
        ("OldAlert (not loaded)", "shop/a", 2)
    ]


def test_pages_per_week_count_page_starts_per_slo_against_the_limit() -> None:
    page = {"priority": "P1"}
    rules = [rule(FAST, {**SLO_A, **page}), rule(FAST, {**SLO_B, **page}), rule("T", SLO_B)]
    history = [
        series(FAST, {**SLO_A, **page}, 10, 11, 12),  # one fire
        series(FAST, {**SLO_B, **page}, 100, 200, 300),  # three fires
        series("T", {**SLO_B, "priority": "P3"}, 400),  # a ticket: not a page
    ]
    found = review(WEEK, history, rules)
    assert found.slos == (
        SloPages("shop/a", 1, Decimal("1.0")),
        SloPages("shop/b", 3, Decimal("3.0")),
    )
    assert [s.over for s in found.slos] == [False, True]
    assert found.busiest_shift == 4


def test_an_alert_firing_before_the_period_is_no_page_and_no_time_to_resolve() -> None:
    rules = [rule(FAST, {**SLO_A, "priority": "P0"})]
    found = review(WEEK, [series(FAST, {**SLO_A, "priority": "P0"}, 0, 1, 2)], rules)
    (alert,) = found.fired
    assert (alert.starts, alert.pages, alert.firing, alert.median) == ([], 0, 3 * MIN, None)
    assert found.slos == (SloPages("shop/a", 0, Decimal("0.0")),)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (timedelta(), "0s"), (timedelta(seconds=29.6), "30s"), (95 * MIN, "1h35m")],
)
def test_durations_print_to_the_second(value: timedelta | None, text: str) -> None:
    assert duration_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(None, "-"), (Decimal(1) / 3, "33%"), (Decimal(1), "100%")]
)
def test_shares_print_as_whole_percents(value: Decimal | None, text: str) -> None:
    assert share_text(value) == text


def test_a_quiet_review_prints_none_in_each_section() -> None:
    found = review(WEEK, [], [rule(FAST, SLO_A)])
    assert as_table(found) == (
        "Alert review from 2026-11-01T00:00:00Z to 2026-11-08T00:00:00Z (7d)\n"
        "Step 1m: ALERTS read once a step, so times are accurate to one step.\n"
        "\n"
        "Alerts that fired\n"
        "no alert fired\n"
        "FIRES: transitions to firing; FIRING: total time firing; TTR: time to resolve; "
        "FLAPPING: at least 3 fires within 1h.\n"
        "\n"
        "Loaded alerts that never fired\n"
        "ALERT                   SLO\n"
        "SLOErrorBudgetFastBurn  shop/a\n"
        "\n"
        "Pages per SLO (P0 and P1; limit 2 a week)\n"
        "SLO     PAGES  PER WEEK  OVER LIMIT\n"
        "shop/a  0      0.0       no\n"
        "Busiest 12h shift: 0 pages (limit 2).\n"
        "\n"
        "Alerts without a usable runbook\n"
        "none\n"
    )
    assert "## Alerts that fired\n\nNo alert fired.\n" in as_markdown(found)
