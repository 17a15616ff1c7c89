"""From Prometheus' answers to snapshots: the stale series dropped, which series are the
operator's own, duplicates, and whose clock judges a sample's age. (That the stale query names
exactly the series older than max_age is shown on a real Prometheus:
tests/integration/test_budget_freshness.py.)

The recorded series of an SLO carry exactly the labels its rules set (slo_name, slo_namespace,
slo_service, and slo_window on burn rates); a series with any other label (a scrape target's
job and instance, a grouping label) is not the rules' output and is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import yaml

from budget_status_support import CHECKOUT, MAX_AGE, NOW, snapshot
from budgetwarden.core.budget.reading import BUDGET_QUERY, fresh, lookback_queries, poll_result
from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from operator_support import EXAMPLES

REMAINING = "budgetwarden_slo:error_budget_remaining:ratio"
BURN = "budgetwarden_slo:burn_rate"
OWN = {"slo_name": "checkout-availability", "slo_namespace": "shop", "slo_service": "checkout"}
TARGET_LABELS = ("instance", "job", "namespace", "pod")
OTHER = SLORef("shop", "other")
TARGET = {"job": "metrics", "instance": "10.1.2.3:8080", "namespace": "other", "pod": "p-1"}


@dataclass(frozen=True)
class Sample:
    """A sample as the Prometheus adapter returns one."""

    labels: dict[str, str]
    value: Decimal | None
    timestamp: datetime = NOW


def remaining(value: str | None, at: datetime = NOW, **labels: str) -> Sample:
    """CHECKOUT's budget ratio, with `labels` added to (or replacing) the rules' labels."""
    number = None if value is None else Decimal(value)
    return Sample({"__name__": REMAINING, **OWN, **labels}, number, at)


def burn(window: str, value: str, at: datetime = NOW, **labels: str) -> Sample:
    series = {"__name__": BURN, **OWN, "slo_window": window, **labels}
    return Sample(series, Decimal(value), at)


def duplicated(*what: str) -> BudgetSnapshot:
    """CHECKOUT, unknown this poll because these series came more than once."""
    return replace(snapshot(None), duplicates=what)


def test_only_the_series_the_stale_answer_names_on_every_label_are_dropped() -> None:
    samples = [remaining("0.5"), burn("1h", "2"), burn("5m", "3"), remaining("0.4", job="x")]
    # the stale query's answer: one burn rate, and a look-alike of the budget with a label more
    stale = [burn("5m", "600"), remaining("600", slo_window="5m")]
    assert fresh(samples, stale) == samples[:2] + samples[3:]


def test_with_nothing_stale_the_samples_are_kept_as_they_are() -> None:
    samples = [remaining("0.5"), burn("1h", "2")]
    assert fresh(samples, []) is samples


def test_with_a_lookback_both_metrics_are_one_query_when_they_share_an_age() -> None:
    hour = timedelta(hours=1)
    assert lookback_queries(MAX_AGE) == [(BUDGET_QUERY, MAX_AGE)]
    assert lookback_queries(MAX_AGE, MAX_AGE) == [(BUDGET_QUERY, MAX_AGE)]
    assert lookback_queries(MAX_AGE, hour) == [
        (c.METRIC_BUDGET_REMAINING, hour),
        (c.METRIC_BURN_RATE, MAX_AGE),
    ]


def test_the_reader_accepts_exactly_the_labels_the_generated_rules_set() -> None:
    slo = parse_slo(yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text()))
    rules = [rule for group in build_rule_groups(slo) for rule in group["rules"]]
    labels: dict[str, set[str]] = {}
    for rule in rules:
        if "record" in rule:
            labels.setdefault(rule["record"], set()).update(rule["labels"])
    burn_labels = labels[BURN]  # one burn-rate rule per window, each with its slo_window
    samples = [
        Sample({"__name__": REMAINING, **{k: OWN[k] for k in labels[REMAINING]}}, Decimal("0.5")),
        Sample({"__name__": BURN, **{k: OWN.get(k, "1h") for k in burn_labels}}, Decimal(2)),
    ]
    assert poll_result(samples, NOW).snapshots == {CHECKOUT: snapshot("50.0", w1h="2")}


SAMPLE_CASES = [
    pytest.param(
        [remaining("0.632"), burn("5m", "0.4"), burn("1h", "1.2")],
        {CHECKOUT: snapshot("63.200", w5m="0.4", w1h="1.2")},
        id="a budget ratio becomes a percent and burn rates are keyed by window",
    ),
    pytest.param(
        [remaining("0.5", at=NOW - MAX_AGE - timedelta(minutes=10)), burn("5m", "2")],
        {CHECKOUT: snapshot("50.0", w5m="2")},
        id="a sample's time is Prometheus' own: the operator's clock does not judge its age",
    ),
    pytest.param([remaining(None)], {}, id="NaN (no traffic in the window) counts as missing"),
    pytest.param([remaining("-0.25")], {CHECKOUT: snapshot("-25.00")}, id="overspent is negative"),
    pytest.param(
        [
            remaining("0.05"),
            burn("1h", "30"),
            remaining("0.99", **TARGET),
            burn("1h", "0", **TARGET),
        ],
        {CHECKOUT: replace(snapshot("5.00", w1h="30"), ignored_labels=TARGET_LABELS)},
        id="a scraped series with the SLO's labels and a target's cannot move the budget",
    ),
    pytest.param(
        [remaining("0.99", **TARGET), burn("1h", "0", **TARGET)],
        {CHECKOUT: replace(snapshot(None), ignored_labels=TARGET_LABELS)},
        id="series that are not the rules' leave the SLO without data, and say which labels",
    ),
    pytest.param(
        [remaining("0.9", instance="a:1"), remaining("0.1", instance="b:1")],
        {CHECKOUT: replace(snapshot(None), ignored_labels=("instance",))},
        id="a rule over an un-aggregated query (one series per instance) is not read",
    ),
    pytest.param(
        [Sample({"__name__": REMAINING, "slo_name": "x", "slo_namespace": "y"}, Decimal(1))],
        {},
        id="a series without slo_service is not the rules'",
    ),
    pytest.param(
        [Sample({"__name__": REMAINING, "slo_name": "x"}, Decimal("0.5"))],
        {},
        id="a sample without slo_namespace belongs to no SLO",
    ),
    pytest.param(
        [Sample({**burn("5m", "1").labels, "slo_window": ""}, Decimal(1))],
        {},
        id="a burn rate without its window is ignored",
    ),
    pytest.param(
        [remaining("0.9"), remaining("0.1", slo_service="impostor"), burn("1h", "1")],
        {CHECKOUT: duplicated(REMAINING)},
        id="two budget series for one SLO: unknown, and none of its numbers is read",
    ),
    pytest.param(
        [remaining("0.5"), burn("1h", "1"), burn("1h", "30", slo_service="x"), burn("5m", "1")],
        {CHECKOUT: duplicated(f'{BURN}{{slo_window="1h"}}')},
        id="two burn-rate series for one window make the whole SLO unknown",
    ),
    pytest.param(
        [
            remaining("0.5", slo_name="other"),
            remaining("0.9"),
            remaining("0.9", at=NOW - timedelta(seconds=30), slo_service="old"),
        ],
        {CHECKOUT: duplicated(REMAINING), OTHER: replace(snapshot("50.0"), slo=OTHER)},
        id="a duplicate is one whatever the timestamps, and leaves other SLOs alone",
    ),
]


@pytest.mark.parametrize(("samples", "expected"), SAMPLE_CASES)
def test_samples_become_snapshots(
    samples: list[Sample], expected: dict[SLORef, BudgetSnapshot]
) -> None:
    assert poll_result(samples, NOW) == PollResult(NOW, expected)


def every_label_mix() -> list[Sample]:
    """A budget sample for every subset of the rules' labels plus a target's job, each label
    set or empty: what poll_result must sort into read, ignored and dropped."""
    names = ["slo_name", "slo_namespace", "slo_service", "job"]
    samples = []
    for mask in range(3 ** len(names)):  # per label: absent, empty or set
        labels = {"__name__": REMAINING}
        for i, label in enumerate(names):
            if (mask // 3**i) % 3:
                labels[label] = OWN.get(label, "metrics") if (mask // 3**i) % 3 == 2 else ""
        samples.append(Sample(labels, Decimal("0.5")))
    return samples


def test_each_sample_is_read_ignored_or_dropped_by_its_label_names_alone() -> None:
    own = {"__name__", "slo_name", "slo_namespace", "slo_service"}
    for sample in every_label_mix():
        labels = sample.labels
        got = poll_result([sample], NOW).snapshots
        ref = SLORef(labels.get("slo_namespace", ""), labels.get("slo_name", ""))
        if not (ref.namespace and ref.name):
            expected = {}
        elif set(labels) == own and all(labels.values()):
            expected = {CHECKOUT: snapshot("50.0")}
        elif extra := set(labels) - own:
            expected = {CHECKOUT: replace(snapshot(None), ignored_labels=tuple(sorted(extra)))}
        else:
            expected = {}
        assert got == expected, labels
