"""Generated rules behave as the burn-rate math says, proven with `promtool test rules`.

Series are synthetic counters with one sample a minute, and the expected values are computed
here from the counts. Prometheus 2.x range selectors include both ends, so a window of N
minutes holds N+1 samples spanning exactly N minutes and `rate` needs no extrapolation; the
scenarios keep their windows full (or their traffic flat at the edges) so the answers are exact.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from promtool_support import RuleTest, fixture_slo
from rules_support import for_level

# The synthetic series have one sample a minute, so the rules assume a 1m scrape.
OPTIONS = RuleOptions(
    scrape_interval=timedelta(minutes=1), evaluation_interval=timedelta(minutes=1)
)
OK = 'http_requests_total{job="checkout",code="200"}'
FAILED = 'http_requests_total{job="checkout",code="500"}'


def labels(slo_name: str, **extra: str) -> dict[str, str]:
    return {"slo_name": slo_name, "slo_namespace": "shop", "slo_service": "checkout", **extra}


def close_to(metric: str, value: Decimal, at: str, series: dict[str, str]) -> dict[str, Any]:
    """A promql test that `metric{series}` is `value` to within 1e-9 (1 when it is)."""
    matchers = ",".join(f'{k}="{v}"' for k, v in series.items())
    return {
        "expr": f"abs({metric}{{{matchers}}} - {value}) < bool 1e-9",
        "eval_time": at,
        "exp_samples": [{"labels": "{" + matchers + "}", "value": 1}],
    }


def error_ratio_is(value: Decimal, at: str, series: dict[str, str]) -> dict[str, Any]:
    """A promql test that the 5m burn rate times the error budget, as the dashboards show the
    error ratio, is `value` to within 1e-9."""
    matchers = ",".join(f'{k}="{v}"' for k, v in series.items())
    burn = f'{names.METRIC_BURN_RATE}{{{matchers},{names.PROM_LABEL_WINDOW}="5m"}}'
    budget = f"{names.METRIC_ERROR_BUDGET}{{{matchers}}}"
    return {
        "expr": f"abs({burn} * ignoring ({names.PROM_LABEL_WINDOW}) {budget} - {value})"
        " < bool 1e-9",
        "eval_time": at,
        "exp_samples": [{"labels": "{" + matchers + "}", "value": 1}],
    }


def no_alerts(at: str, *alertnames: str) -> list[dict[str, Any]]:
    return [{"eval_time": at, "alertname": name, "exp_alerts": []} for name in alertnames]


def annotations_with(rule: dict[str, Any], template: str, value: str) -> dict[str, str]:
    """The rule's annotations as Prometheus renders them when `template` evaluates to `value`."""
    return {k: v.replace(template, value) for k, v in rule["annotations"].items()}


def alert_rule(groups: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for g in groups for r in g["rules"] if r.get("alert") == name]


def firing(
    at: str, alertname: str, rules: list[dict[str, Any]], template: str, value: str
) -> dict[str, Any]:
    """An alert test that each of `rules` fires at `at`, `template` rendering as `value`."""
    return {
        "eval_time": at,
        "alertname": alertname,
        "exp_alerts": [
            {
                "exp_labels": rule["labels"],
                "exp_annotations": annotations_with(rule, template, value),
            }
            for rule in rules
        ],
    }


def scenario(ok: str, failed: str, **tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One promtool test case: the OK and FAILED series at one sample a minute, and its tests."""
    series = [{"series": OK, "values": ok}, {"series": FAILED, "values": failed}]
    return [{"interval": "1m", "input_series": series, **tests}]


def test_a_2_percent_error_rate_pages_when_the_1h_window_crosses_14_4(rule_test: RuleTest) -> None:
    """100 requests a minute; after 6h of clean traffic 2 of them start failing (burn rate 20).

    m minutes later the 1h window holds 6000 requests of which 2m failed, so the 1h burn rate is
    (2m / 6000) / 0.001 and passes 14.4 once m > 43.2; the 5m window is at 20 from m = 5. The
    6h/30m pair would need 2m / 36000 > 0.006, m > 108. The clean 6h matter: on a shorter
    history the 6h window holds fewer requests and that pair would page first.
    """
    slo = fixture_slo("checkout-30d")
    groups = build_rule_groups(slo, OPTIONS)
    start, per_minute, failing = 360, 100, 2
    budget, factor = Decimal("0.001"), Decimal("14.4")
    first = int(factor * budget * 60 * per_minute / failing) + 1  # 44: the first whole minute
    burn = Decimal(failing * first) / (60 * per_minute) / budget  # 14.666…
    page = alert_rule(groups, names.ALERT_PAGE)[0]
    ok_after = start * per_minute + per_minute - failing
    shown = f"{float(burn):.4g}"
    rule_test(
        groups,
        scenario(
            f"0+100x{start} {ok_after}+98x60",
            f"0x{start} 2+2x60",
            alert_rule_test=[
                *no_alerts(f"{start + first - 1}m", names.ALERT_PAGE),
                firing(
                    f"{start + first}m", names.ALERT_PAGE, [page], "{{ $value | humanize }}", shown
                ),
            ],
        ),
    )


def test_a_0_05_percent_error_rate_fires_nothing(rule_test: RuleTest) -> None:
    """2000 requests a minute, clean for 10 minutes, then 1 in 2000 fails: a burn rate of 0.5.

    Half the budget per window is sustainable: no burn alert, and with the clean start the
    budget stays just above the 50% Warning level, so no budget-low alert either.
    """
    groups = build_rule_groups(fixture_slo("checkout-30d"), OPTIONS)
    every = (names.ALERT_PAGE, names.ALERT_TICKET, names.ALERT_BUDGET_LOW, names.ALERT_ABSENT)
    rule_test(
        groups,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": OK, "values": "0+2000x10 21999+1999x350"},
                    {"series": FAILED, "values": "0x10 1+1x350"},
                ],
                "alert_rule_test": [
                    *no_alerts("1h", *every),
                    *no_alerts("3h", *every),
                    *no_alerts("6h", *every),
                ],
            }
        ],
    )


def test_recorded_series_have_the_values_the_math_predicts(rule_test: RuleTest) -> None:
    """A steady 0.05% error rate: every window's burn rate is (1/2000) / 0.001 = 0.5, the 5m one
    from the recorded rates and the others from the raw counters alike; burn rate times the
    recorded error budget gives back the error ratio, as the dashboards compute it.

    The period ratio covers the 2h of history there is (a 30d SLO would need a month of series
    to fill its window), which is all at 0.05%, so half the budget is left. The SLO records
    exactly 14 series.
    """
    groups = build_rule_groups(fixture_slo("checkout-30d"), OPTIONS)
    ratio, budget, at = Decimal(1) / Decimal(2000), Decimal("0.001"), "2h"
    windows = [
        labels("checkout", slo_window=w) for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    ]
    series = labels("checkout")
    expected = [
        (names.METRIC_ERRORS_RATE, Decimal(1) / 60, series),
        (names.METRIC_TOTAL_RATE, Decimal(2000) / 60, series),
        *((names.METRIC_BURN_RATE, ratio / budget, window) for window in windows),
        (names.METRIC_PERIOD_ERROR_RATIO, ratio, series),
        (names.METRIC_BUDGET_REMAINING, 1 - ratio / budget, series),
        (names.METRIC_OBJECTIVE, Decimal("0.999"), series),
        (names.METRIC_ERROR_BUDGET, budget, series),
        (names.METRIC_WINDOW_SECONDS, Decimal(30 * 24 * 3600), series),
    ]  # fmt: skip
    rule_test(
        groups,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": OK, "values": "1000000+1999x130"},
                    {"series": FAILED, "values": "1000+1x130"},
                ],
                "promql_expr_test": [
                    *(close_to(m, v, at, s) for m, v, s in expected),
                    error_ratio_is(ratio, at, series),
                    {
                        "expr": 'count({__name__=~"budgetwarden_slo:.+",slo_name="checkout"})',
                        "eval_time": at,
                        "exp_samples": [{"labels": "{}", "value": 14}],
                    },
                ],
            }
        ],
    )


def test_the_period_ratio_is_weighted_by_traffic(rule_test: RuleTest) -> None:
    """An hour at 10% errors on 100 requests a minute, then an hour clean at 1000 a minute.

    Counted: 600 failures in 66000 requests, 1/110. Averaging the 5m ratios would give about
    (10% + 0%) / 2 = 5% and a budget spent five times over. Traffic pauses for ten minutes after
    the second hour so every 5m rate at the edges of the window is complete. Once the failing
    hour has left the 6h window the whole budget is back.
    """
    slo = fixture_slo("checkout-6h")
    groups = build_rule_groups(slo, OPTIONS)
    ratio, budget = Decimal(600) / Decimal(66000), Decimal("0.01")
    remaining = 1 - ratio / budget
    series = labels("checkout-6h")
    # 9.09% left: the FullFreeze alert alone, as each level fires only down to the next one
    (low,) = alert_rule(groups, names.ALERT_BUDGET_LOW)
    full_freeze = {"slo_budget_level": "FullFreeze", "priority": "P2"}
    budget_low = {
        "labels": low["labels"] | full_freeze,
        "annotations": {k: for_level(low, v, "FullFreeze") for k, v in low["annotations"].items()},
    }
    shown = f"{float(remaining * 100):.4g}%"
    rule_test(
        groups,
        scenario(
            "0x10 90+90x59 6400+1000x59 65400x9 66400+1000x370",
            "0x10 10+10x59 600x440",
            promql_expr_test=[
                close_to(names.METRIC_PERIOD_ERROR_RATIO, ratio, "140m", series),
                close_to(names.METRIC_BUDGET_REMAINING, remaining, "140m", series),
                close_to(names.METRIC_BUDGET_REMAINING, Decimal(1), "510m", series),
            ],
            alert_rule_test=[
                firing(
                    "140m",
                    names.ALERT_BUDGET_LOW,
                    [budget_low],
                    "{{ $value | humanizePercentage }}",
                    shown,
                ),
                *no_alerts("510m", names.ALERT_BUDGET_LOW),
            ],
        ),
    )


def test_no_error_series_reads_as_zero_errors_and_no_traffic_as_no_data(
    rule_test: RuleTest,
) -> None:
    """The 500 counter never appeared: with traffic, every burn rate and the 5m error rate are
    0 and the whole budget is left. After the traffic stops, the 5m error rate stays 0 (so
    SLOMetricsAbsent stays quiet) while the 5m burn rate has no series: 0/0 is no data; a
    window that still holds traffic keeps its burn rate at 0.
    """
    groups = build_rule_groups(fixture_slo("checkout-30d"), OPTIONS)
    series = labels("checkout")
    windows = [labels("checkout", slo_window=w) for w in ("5m", "30m", "1h", "3d")]
    burn_5m = f'{names.METRIC_BURN_RATE}{{slo_name="checkout",slo_window="5m"}}'
    rule_test(
        groups,
        [
            {
                "interval": "1m",
                # 100 requests a minute for an hour, then none
                "input_series": [{"series": OK, "values": "0+100x60 6000x60"}],
                "promql_expr_test": [
                    *(close_to(names.METRIC_BURN_RATE, Decimal(0), "1h", w) for w in windows),
                    close_to(names.METRIC_ERRORS_RATE, Decimal(0), "1h", series),
                    close_to(names.METRIC_BUDGET_REMAINING, Decimal(1), "1h", series),
                    close_to(names.METRIC_ERRORS_RATE, Decimal(0), "2h", series),
                    {"expr": burn_5m, "eval_time": "2h", "exp_samples": []},
                    # 10 minutes into the quiet: the last hour still had traffic and no errors
                    close_to(names.METRIC_BURN_RATE, Decimal(0), "70m", windows[2]),
                ],
                "alert_rule_test": no_alerts("2h", names.ALERT_ABSENT),
            }
        ],
    )
