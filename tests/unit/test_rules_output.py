"""An SLO becomes one PrometheusRule: reviewed golden output, valid PromQL, the object and its
series.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import promql_parser
import pytest
import yaml

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo
from rules_support import BASE, VARIANTS, golden, make_slo, rules_of


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


INDICATOR_ERROR_RATES = [
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
]


@pytest.mark.parametrize(("spec", "errors_rate"), INDICATOR_ERROR_RATES)
def test_indicator_errors(spec: dict[str, Any], errors_rate: str) -> None:
    first = rules_of(build_rule_groups(make_slo(**spec)))[0]
    assert (first["record"], first["expr"]) == (names.METRIC_ERRORS_RATE, errors_rate)
