"""The drill's arithmetic and text: its plan, the backfilled history, the change it applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from budgetwarden.core.policy.spec import ErrorBudgetPolicySpec, LabelSelector, parse_policy
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.demo.drill_admission import next_image
from budgetwarden_dev.demo.drill_report import alert_due
from budgetwarden_dev.demo.history import History, openmetrics
from budgetwarden_dev.demo.observe import label_selector
from budgetwarden_dev.demo.plan import Plan

DEMO = Path(__file__).resolve().parents[2] / "demo" / "manifests"
LADDER = parse_policy(yaml.safe_load((DEMO / "03-policy.yaml").read_text())).spec
THRESHOLDS_ONLY = ErrorBudgetPolicySpec()
DAY = timedelta(days=1)
FULL = "history: Prometheus holds 1d of this SLO's recorded 5m rates: its whole 1d window, so "
LAG = "(the budget sums 5m rates, which take 5 minutes to catch up; the times include that lag)"


DRILL_PLANS = [
    pytest.param(
        DAY, "0.1", "100.0", LADDER,
        [
            FULL + "the budget is computed over a full window",
            "budget: 0.1% of the requests in that time: 86.4s of total outage; 100.0% left now",
            "math: at 10% errors (burn rate 100x) the budget falls 1% every 8.6s: below 50% "
            f"after 9m42s, below 30% after 12m35s, below 10% after 15m28s {LAG}",
            "expect: Warning after ~17s (trigger 2m/10s above 14.4x)",
            "expect: PartialFreeze after ~35s (trigger 2m/10s above 28.8x)",
            "expect: FullFreeze after ~1m9s (trigger 2m/10s above 57.6x)",
        ],
        id="a full day of history: the burn-rate ladder freezes long before the budget",
    ),
    pytest.param(
        timedelta(minutes=20), "0.1", "100.0", LADDER,
        [
            "history: Prometheus holds only 20m of this SLO's 1d window, so the budget is "
            "computed over that: small and jumpy (see docs/demo.md, History)",
            "budget: 0.1% of the requests in that time: 1.2s of total outage; 100.0% left now",
            "math: at 10% errors (burn rate 100x) the budget falls 1% every 0.1s: below 50% "
            f"after 1m, below 30% after 1m11s, below 10% after 1m20s {LAG}",
            "expect: Warning after ~17s (trigger 2m/10s above 14.4x)",
            "expect: PartialFreeze after ~35s (trigger 2m/10s above 28.8x)",
            "expect: FullFreeze after ~1m9s (trigger 2m/10s above 57.6x)",
        ],
        id="twenty minutes of history make the same budget tiny",
    ),
    pytest.param(
        DAY, "0.5", "80.0", THRESHOLDS_ONLY,
        [
            FULL + "the budget is computed over a full window",
            "budget: 0.1% of the requests in that time: 86.4s of total outage; 80.0% left now",
            "math: at 50% errors (burn rate 500x) the budget falls 1% every 1.7s: below 50% "
            f"after 2m56s, below 30% after 3m48s, below 10% after 4m29s {LAG}",
            "expect: Warning after ~2m56s (budget threshold)",
            "expect: PartialFreeze after ~3m48s (budget threshold)",
            "expect: FullFreeze after ~4m29s (budget threshold)",
        ],
        id="without triggers the thresholds decide, from the budget left now",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("covered", "error_rate", "remaining", "policy", "expected"), DRILL_PLANS)
def test_plan(
    covered: timedelta,
    error_rate: str,
    remaining: str,
    policy: ErrorBudgetPolicySpec,
    expected: list[str],
) -> None:
    plan = Plan(Decimal("99.9"), DAY, covered, Decimal(error_rate), Decimal(remaining), policy)
    assert plan.lines() == expected


@pytest.mark.parametrize(
    ("burn", "expected"),
    [
        pytest.param("100", (Decimal("17.28"), Decimal("56.40")),
                     id="at 100x the 2m/10s pair fires first and the 12m/1m pair resolves last"),
        pytest.param("5", (None, Decimal(0)), id="below every page factor nothing fires"),
    ],
)  # fmt: skip
def test_fast_burn_alert_timing(burn: str, expected: tuple[Decimal | None, Decimal]) -> None:
    slo = parse_slo(next(yaml.safe_load_all((DEMO / "02-slo.yaml").read_text())))
    assert alert_due(slo, Decimal(burn)) == expected


def test_history_is_the_demo_services_series_in_exact_mode() -> None:
    history = History(
        end=datetime(2026, 1, 2, tzinfo=UTC),
        length=timedelta(minutes=1),
        load_rps=10,
        error_rate=Decimal("0.003"),
        job="checkout",
        instance="127.0.0.1:8080",
    )
    labels = 'handler="/work",instance="127.0.0.1:8080",job="checkout"'
    lines = list(openmetrics(history, step=timedelta(minutes=2)))
    histogram = lines.index("# HELP http_request_duration_seconds Time to answer traffic requests.")
    assert lines[:histogram] + lines[-1:] == [
        "# HELP http_requests Requests served by the demo service.",
        "# TYPE http_requests counter",
        f'http_requests_total{{code="200",{labels}}} 0 1767311640',
        f'http_requests_total{{code="200",{labels}}} 1197 1767311760',
        f'http_requests_total{{code="200",{labels}}} 2393 1767311880',
        f'http_requests_total{{code="200",{labels}}} 3590 1767312000',
        f'http_requests_total{{code="500",{labels}}} 0 1767311640',
        f'http_requests_total{{code="500",{labels}}} 3 1767311760',
        f'http_requests_total{{code="500",{labels}}} 7 1767311880',
        f'http_requests_total{{code="500",{labels}}} 10 1767312000',
        "# EOF",
    ]
    # every past request within 25ms: under each bucket from 0.025 up, in none below
    last = {line.rsplit(" ", 2)[0]: line.split()[-2] for line in lines if "1767312000" in line}
    bucket = 'http_request_duration_seconds_bucket{{code="200",{},le="{}"}}'
    bounds = ("0.005", "0.01", "0.025", "0.3", "+Inf")
    assert [last[bucket.format(labels, le)] for le in bounds] == ["0", "0", "3590", "3590", "3590"]
    count = f'http_request_duration_seconds_count{{code="500",{labels}}}'
    assert last[count] == "10"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("registry.example/shop/checkout:1.4.0", "registry.example/shop/checkout:1.4.1",
                     id="a version tag gets its last number bumped"),
        pytest.param("registry.example:5000/checkout", "registry.example:5000/checkout:next",
                     id="no tag behind a registry port gets one"),
        pytest.param("checkout:stable", "checkout:stable-next", id="a word tag gets a suffix"),
    ],
)  # fmt: skip
def test_next_image(image: str, expected: str) -> None:
    assert next_image(image) == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param({"matchLabels": {"tier": "web", "app": "checkout"}}, "app=checkout,tier=web",
                     id="labels in a stable order"),
        pytest.param(
            {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]},
                                  {"key": "canary", "operator": "DoesNotExist"}]},
            "app in (a,b),!canary",
            id="expressions in kubectl's set syntax",
        ),
    ],
)  # fmt: skip
def test_label_selector(selector: dict[str, object], expected: str) -> None:
    assert label_selector(LabelSelector.model_validate(selector)) == expected
