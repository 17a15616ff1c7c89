"""An SLO becomes one PrometheusRule: reviewed golden output, valid PromQL, labels and alerts."""

from __future__ import annotations

import copy
import importlib.util
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import promql_parser
import pytest
import yaml

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.slo.rules import (
    RuleOptions,
    build_prometheus_rule,
    build_rule_groups,
    rule_warnings,
)
from budgetwarden.core.slo.spec import SLO, parse_slo

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"


def _load_regenerate() -> ModuleType:
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
    resource = copy.deepcopy(BASE)
    resource["spec"].update(spec)
    return parse_slo(resource)


def rules_of(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"]]


DEFAULT = RuleOptions()


def alerts(slo: SLO, options: RuleOptions = DEFAULT) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for rule in rules_of(build_rule_groups(slo, options)):
        if "alert" in rule:
            found.setdefault(rule["alert"], []).append(rule)
    return found


# --- golden files ---------------------------------------------------------------------------
@pytest.mark.parametrize("example", golden.SLO_EXAMPLES)
def test_examples_match_their_reviewed_golden_files(example: str) -> None:
    expected = yaml.safe_load(golden.golden_path(example).read_text())
    assert golden.generated(example) == expected, (
        f"rules for examples/{example}.yaml changed; if on purpose, run "
        "`.venv/bin/python tests/golden/regenerate.py` and review the diff"
    )


@pytest.mark.parametrize("example", golden.SLO_EXAMPLES)
def test_golden_files_are_written_exactly_as_regenerate_writes_them(example: str) -> None:
    assert golden.golden_path(example).read_text() == golden.render(golden.generated(example))


# --- every expression is PromQL -----------------------------------------------------------------
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


@pytest.mark.parametrize(
    "slo",
    [pytest.param(parse_slo(yaml.safe_load((golden.EXAMPLES / f"{e}.yaml").read_text())), id=e)
     for e in golden.SLO_EXAMPLES]
    + [pytest.param(make_slo(**spec), id=name) for name, spec in VARIANTS.items()],
)  # fmt: skip
def test_every_generated_expression_parses(slo: SLO) -> None:
    for rule in rules_of(build_rule_groups(slo)):
        promql_parser.parse(rule["expr"])


# --- the object -------------------------------------------------------------------------------
def test_the_rule_is_owned_by_its_slo_when_the_uid_is_known() -> None:
    resource = copy.deepcopy(BASE)
    resource["metadata"]["uid"] = "0b6e-42"
    rule = build_prometheus_rule(parse_slo(resource))
    assert rule["metadata"] == {
        "name": "checkout-slo",
        "namespace": "shop",
        "labels": {
            "app.kubernetes.io/managed-by": "budgetwarden",
            "budgetwarden.io/slo": "checkout",
        },
        "ownerReferences": [
            {
                "apiVersion": "budgetwarden.io/v1alpha1",
                "kind": "SLO",
                "name": "checkout",
                "uid": "0b6e-42",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }


def test_groups_are_named_by_slo_and_use_the_evaluation_interval() -> None:
    groups = build_rule_groups(make_slo(), RuleOptions(evaluation_interval=timedelta(minutes=1)))
    assert [(g["name"], g["interval"]) for g in groups] == [
        ("shop-checkout-sli", "1m"),
        ("shop-checkout-budget", "1m"),
        ("shop-checkout-alerts", "1m"),
    ]


def test_every_series_and_alert_carries_the_slo_labels() -> None:
    for rule in rules_of(build_rule_groups(make_slo())):
        assert {k: rule["labels"][k] for k in ("slo_name", "slo_namespace", "slo_service")} == {
            "slo_name": "checkout",
            "slo_namespace": "shop",
            "slo_service": "checkout",
        }


def test_one_metric_name_per_quantity_with_the_window_as_a_label() -> None:
    recorded = [
        (rule["record"], rule["labels"].get("slo_window"))
        for rule in rules_of(build_rule_groups(make_slo()))
        if "record" in rule
    ]
    ratios = [(names.METRIC_ERROR_RATIO, w) for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")]
    assert recorded == [
        (names.METRIC_ERRORS_RATE, None),
        (names.METRIC_TOTAL_RATE, None),
        *ratios,
        (names.METRIC_BURN_RATE, None),
        (names.METRIC_PERIOD_ERROR_RATIO, None),
        (names.METRIC_PERIOD_BURN_RATE, None),
        (names.METRIC_BUDGET_REMAINING, None),
        (names.METRIC_OBJECTIVE, None),
        (names.METRIC_ERROR_BUDGET, None),
        (names.METRIC_WINDOW_SECONDS, None),
    ]


@pytest.mark.parametrize(
    ("spec", "errors_rate"),
    [
        pytest.param(
            VARIANTS["ratio whose queries have top-level operators"],
            "(sum(rate(a_errors[5m])) + sum(rate(b_errors[5m]))) or 0 * "
            "(sum(rate(a_total[5m])) or sum(rate(b_total[5m])))",
            id="queries with operators are parenthesised before they are combined",
        ),
        pytest.param(
            VARIANTS["latency with a whole-second threshold"],
            'sum(rate(h_seconds_bucket{job="a",le="+Inf"}[5m])) - '
            'sum(rate(h_seconds_bucket{job="a",le=~"1|1\\\\.0"}[5m]))',
            id="a whole-second threshold matches le 1 and le 1.0",
        ),
        pytest.param(
            VARIANTS["availability over 7d"],
            "sum(count_over_time(up{}[5m])) - sum(sum_over_time(up{}[5m]))",
            id="an up gauge counts its zero samples",
        ),
    ],
)
def test_indicator_errors(spec: dict[str, Any], errors_rate: str) -> None:
    first = rules_of(build_rule_groups(make_slo(**spec)))[0]
    assert (first["record"], first["expr"]) == (names.METRIC_ERRORS_RATE, errors_rate)


# --- alerts -----------------------------------------------------------------------------------
def test_alert_labels_layer_defaults_user_labels_and_ours() -> None:
    slo = make_slo(
        alerting={
            "labels": {"team": "payments", "severity": "S2", "slo_name": "mine"},
            "page": {"labels": {"severity": "P1"}, "annotations": {"dashboard": "https://d/1"}},
        }
    )
    found = alerts(slo)
    page, ticket = found[names.ALERT_PAGE][0], found[names.ALERT_TICKET][0]
    assert page["labels"] == {
        "severity": "P1",
        "slo_name": "checkout",
        "slo_namespace": "shop",
        "slo_service": "checkout",
        "slo_tier": "page",
        "team": "payments",
    }
    assert ticket["labels"]["severity"] == "S2"
    assert page["annotations"]["dashboard"] == "https://d/1"
    assert "dashboard" not in ticket["annotations"]


def test_default_severities_and_runbooks() -> None:
    found = alerts(make_slo())
    assert {name: [r["labels"]["severity"] for r in rules] for name, rules in found.items()} == {
        names.ALERT_PAGE: ["critical"],
        names.ALERT_TICKET: ["warning"],
        names.ALERT_BUDGET_LOW: ["warning", "warning", "warning"],
        names.ALERT_ABSENT: ["warning"],
    }
    assert found[names.ALERT_PAGE][0]["annotations"]["runbook_url"] == (
        "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/alerts/"
        "SLOErrorBudgetFastBurn.md"
    )


def test_a_disabled_tier_drops_only_its_burn_alert() -> None:
    found = alerts(make_slo(alerting={"ticket": {"disabled": True, "labels": {"severity": "P4"}}}))
    assert sorted(found) == [names.ALERT_PAGE, names.ALERT_BUDGET_LOW, names.ALERT_ABSENT]
    assert found[names.ALERT_ABSENT][0]["labels"]["severity"] == "P4"


def test_budget_low_alerts_follow_the_levels() -> None:
    levels = Levels(
        warning_below=Decimal("60"),
        partial_freeze_below=Decimal("25"),
        full_freeze_below=Decimal("5"),
    )
    found = alerts(make_slo(), RuleOptions(budget_levels=levels))[names.ALERT_BUDGET_LOW]
    selector = f'{names.METRIC_BUDGET_REMAINING}{{slo_name="checkout",slo_namespace="shop"}}'
    assert [(r["labels"]["slo_budget_level"], r["expr"]) for r in found] == [
        ("Warning", f"{selector} < 0.6"),
        ("PartialFreeze", f"{selector} < 0.25"),
        ("FullFreeze", f"{selector} < 0.05"),
    ]


def test_overridden_windows_replace_the_tiers() -> None:
    slo = make_slo(**VARIANTS["overridden windows"])
    found = alerts(slo)
    burn = f'{names.METRIC_BURN_RATE}{{slo_name="checkout",slo_namespace="shop",slo_window='
    assert found[names.ALERT_PAGE][0]["expr"] == (
        f'(\n  max without (slo_window) ({burn}"2h"}} > 10)\n'
        f'  and\n  max without (slo_window) ({burn}"10m"}} > 10)\n)'
    )
    assert names.ALERT_TICKET not in found


def test_the_absent_alert_waits_ten_minutes() -> None:
    absent = alerts(make_slo())[names.ALERT_ABSENT][0]
    assert (absent["for"], absent["expr"]) == (
        "10m",
        f'absent({names.METRIC_ERRORS_RATE}{{slo_name="checkout",slo_namespace="shop"}}) or '
        f'absent({names.METRIC_TOTAL_RATE}{{slo_name="checkout",slo_namespace="shop"}})',
    )


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "options", "problems"),
    [
        pytest.param(
            {"indicator": {"ratio": {"errors": "sum(rate(x[{{.window}}])", "total": "up"}}},
            RuleOptions(),
            [
                (
                    "spec.indicator.ratio.errors",
                    "is not valid PromQL at column 4: '(' is never closed",
                ),
                (
                    "spec.indicator.ratio.total",
                    "must contain {{.window}} where the range goes, as in "
                    "rate(http_requests_total[{{.window}}]): the query is evaluated over every "
                    "burn-rate window (5m up to days), which a fixed range cannot express",
                ),
            ],
            id="bad queries are SpecErrors naming each field",
        ),
        pytest.param(
            {"window": "1d"},
            RuleOptions(),
            [
                (
                    "spec.window",
                    "1d scales the page burn-rate windows of the 30d table down to 2m/10s, and "
                    "10s is shorter than two scrape intervals (2 × 30s = 1m), so its rate has too "
                    "few samples; use a window of at least 6d, set "
                    "spec.alerting.burnRateWindows, or scrape at least every 5s",
                )
            ],
            id="a window too short for the scrape interval is a SpecError on spec.window",
        ),
    ],
)  # fmt: skip
def test_bad_input_raises_spec_error(
    spec: dict[str, Any], options: RuleOptions, problems: list[tuple[str, str]]
) -> None:
    with pytest.raises(SpecError) as raised:
        build_prometheus_rule(make_slo(**spec), options)
    assert [(p.field, p.message) for p in raised.value.problems] == problems


def test_a_1d_window_works_with_a_fast_scrape() -> None:
    options = RuleOptions(scrape_interval=timedelta(seconds=5))
    assert len(build_rule_groups(make_slo(window="1d"), options)) == 3


def test_a_scrape_interval_too_long_for_5m_rates_is_refused() -> None:
    with pytest.raises(ValueError, match="scrape interval 3m is too long"):
        RuleOptions(scrape_interval=timedelta(minutes=3))


# --- warnings -----------------------------------------------------------------------------------
IGNORED = "is set by budgetwarden; this value is ignored"


@pytest.mark.parametrize(
    ("spec", "warnings"),
    [
        pytest.param({}, [], id="a 99.9% ratio SLO has nothing to warn about"),
        pytest.param(
            {"objective": "90"},
            [
                Problem(
                    "spec.objective",
                    "objective 90% leaves an error budget of 10%, so the page alert over 1h/5m "
                    "(burn rate above 14.4) would need more than every request to fail and can "
                    "never fire; set spec.alerting.burnRateWindows with factors below 10",
                )
            ],
            id="a 90% objective makes the 14.4 page unreachable",
        ),
        pytest.param({"objective": "93.1"}, [], id="93.1% still reaches 14.4"),
        pytest.param(
            {
                "objective": "95",
                "alerting": {
                    "burnRateWindows": [
                        {"tier": "page", "longWindow": "1h", "shortWindow": "5m", "factor": "25"},
                        {"tier": "ticket", "longWindow": "1d", "shortWindow": "2h", "factor": "2"},
                    ]
                },
            },
            [
                Problem(
                    "spec.alerting.burnRateWindows[0].factor",
                    "objective 95% leaves an error budget of 5%, so the page alert over 1h/5m "
                    "(burn rate above 25) would need more than every request to fail and can "
                    "never fire; set spec.alerting.burnRateWindows with factors below 20",
                )
            ],
            id="an unreachable override is named by its index",
        ),
        pytest.param(
            {"indicator": {"latency": {"histogram": "rpc_ms_bucket", "threshold": "300ms"}}},
            [
                Problem(
                    "spec.indicator.latency.histogram",
                    "the threshold is compared with the le label in seconds, and "
                    "rpc_ms_bucket does not end in _seconds_bucket; check that its "
                    "buckets are in seconds",
                )
            ],
            id="a histogram that may not be in seconds",
        ),
        pytest.param(
            {"alerting": {"labels": {"slo_tier": "x"}, "page": {"labels": {"slo_window": "1h"}}}},
            [
                Problem("spec.alerting.labels.slo_tier", IGNORED),
                Problem("spec.alerting.page.labels.slo_window", IGNORED),
            ],
            id="labels budgetwarden owns are ignored with a warning",
        ),
    ],
)  # fmt: skip
def test_rule_warnings(spec: dict[str, Any], warnings: list[Problem]) -> None:
    assert rule_warnings(make_slo(**spec)) == warnings
