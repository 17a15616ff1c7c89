"""A reproducible set of varied SLOs, written both as budgetwarden SLOs and as Sloth specs.

Used by the generation benchmark (and by anything else that needs many realistic SLOs): request
ratios counted from errors or from good events, histogram latency, up-style availability;
windows of 30d, 28d and 7d; objectives from 95 % to 99.99 %. Each SLO is one file on both sides,
with the same queries, so both generators do the same work.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

WINDOWS = ("30d", "28d", "7d")
OBJECTIVES = ("95", "98", "99", "99.5", "99.9", "99.95", "99.99")
KINDS = ("errors", "good", "latency", "availability")
THRESHOLDS = {"100ms": "0.1", "250ms": "0.25", "300ms": "0.3", "500ms": "0.5", "1s": "1"}

# Sloth's own burn-rate tables (Google's 2/5/10/10 % for 30d and 28d, its 7d example), written
# out because a custom catalogue replaces Sloth's defaults instead of adding to them.
SLOTH_WINDOWS = {
    "30d": ("2", "5", "10", "10"),
    "28d": ("2", "5", "10", "10"),
    "7d": ("8", "12.5", "20", "42"),
}


SIZES_VARIABLE = "BUDGETWARDEN_BENCH_SLOS"


def sizes(default: tuple[int, ...]) -> tuple[int, ...]:
    """The SLO counts a benchmark runs, ascending: $BUDGETWARDEN_BENCH_SLOS (e.g. "50,200") if
    set, so a change can be tried at a small size first, else `default`."""
    text = os.environ.get(SIZES_VARIABLE, "").strip()
    if not text:
        return default
    try:
        chosen = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError as error:
        raise SystemExit(f"{SIZES_VARIABLE}: SLO counts such as 50,200; got {text!r}") from error
    if not chosen or chosen[0] < 1:
        raise SystemExit(f"{SIZES_VARIABLE}: counts must be positive; got {text!r}")
    return chosen


@dataclass(frozen=True)
class SLOCase:
    """One SLO, described once and written in both formats."""

    index: int
    kind: str
    window: str
    objective: str
    service: str
    job: str
    threshold: str
    labelled: bool

    @property
    def name(self) -> str:
        """The SLO's name (unique within the set)."""
        return f"{self.service}-{self.kind}-{self.index:04d}"


def cases(count: int = 1000, windows: tuple[str, ...] = WINDOWS, seed: int = 7) -> list[SLOCase]:
    """`count` SLOs, the same ones every time for a given seed."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        service = f"svc-{index // 4:03d}"
        result.append(
            SLOCase(
                index=index,
                kind=KINDS[index % len(KINDS)],
                window=windows[rng.randrange(len(windows))],
                objective=rng.choice(OBJECTIVES),
                service=service,
                job=f"{service}-{rng.choice(('api', 'web', 'grpc', 'worker'))}",
                threshold=rng.choice(tuple(THRESHOLDS)),
                labelled=rng.random() < 0.5,
            )
        )
    return result


def _ratio_queries(case: SLOCase) -> tuple[str, str, str]:
    """(errors, good, total) request queries for a case."""
    selector = f'job="{case.job}",handler="/api/{case.index}"'
    errors = f'sum(rate(http_requests_total{{{selector},code=~"5.."}}[{{{{.window}}}}]))'
    good = f'sum(rate(http_requests_total{{{selector},code!~"5.."}}[{{{{.window}}}}]))'
    total = f"sum(rate(http_requests_total{{{selector}}}[{{{{.window}}}}]))"
    return errors, good, total


# The alerts Sloth's rules have no counterpart for, turned off for a like-for-like comparison.
ONLY_BURN_ALERTS = (
    "    budgetLow: {disabled: true}\n"
    "    serviceDown: {disabled: true}\n"
    "    metricsAbsent: {disabled: true}\n"
)


def budgetwarden_yaml(case: SLOCase, only_burn_alerts: bool = False) -> str:
    """The case as a budgetwarden SLO resource; with `only_burn_alerts`, without the alerts
    beyond the page and the ticket (ONLY_BURN_ALERTS)."""
    errors, good, total = _ratio_queries(case)
    if case.kind == "errors":
        indicator = f"    ratio:\n      errors: {errors}\n      total: {total}\n"
    elif case.kind == "good":
        indicator = f"    ratio:\n      good: {good}\n      total: {total}\n"
    elif case.kind == "latency":
        histogram = f'http_request_duration_seconds_bucket{{job="{case.job}"}}'
        indicator = (
            f"    latency:\n      histogram: {histogram}\n      threshold: {case.threshold}\n"
        )
    else:
        indicator = f'    availability:\n      up: up{{job="{case.job}"}}\n'
    alerting = ""
    if case.labelled:
        alerting = (
            "    labels:\n      team: team-" + case.service[-1] + "\n"
            "    page:\n      labels:\n        severity: P1\n"
            "    ticket:\n      labels:\n        severity: P3\n"
        )
    alerting += ONLY_BURN_ALERTS if only_burn_alerts else ""
    alerting = "  alerting:\n" + alerting if alerting else ""
    return (
        "apiVersion: budgetwarden.io/v1alpha1\nkind: SLO\nmetadata:\n"
        f"  name: {case.name}\n  namespace: bench\n  labels:\n    team: team-{case.service[-1]}\n"
        f'spec:\n  service: {case.service}\n  objective: "{case.objective}"\n'
        f"  window: {case.window}\n  indicator:\n{indicator}{alerting}"
    )


def _sloth_queries(case: SLOCase) -> tuple[str, str]:
    """(error_query, total_query) doing the same work as the budgetwarden indicator."""
    errors, good, total = _ratio_queries(case)
    if case.kind == "errors":
        return errors, total
    if case.kind == "good":
        return f"({total} - {good})", total
    if case.kind == "latency":
        le = THRESHOLDS[case.threshold]
        count = (
            f'sum(rate(http_request_duration_seconds_count{{job="{case.job}"}}[{{{{.window}}}}]))'
        )
        fast = (
            f'sum(rate(http_request_duration_seconds_bucket{{job="{case.job}",le="{le}"}}'
            "[{{.window}}]))"
        )
        return f"({count} - {fast})", count
    up = f'up{{job="{case.job}"}}'
    bad = f"sum(count_over_time(({up} == 0)[{{{{.window}}}}:]))"
    return bad, f"sum(count_over_time({up}[{{{{.window}}}}]))"


def sloth_yaml(case: SLOCase, queries: tuple[str, str] | None = None) -> str:
    """The case as a Sloth prometheus/v1 spec (one SLO per file, as on the budgetwarden side);
    `queries` (error, total) replace the ones written from the case."""
    error_query, total_query = queries or _sloth_queries(case)
    alerting = "    alerting:\n      name: SLOBurn\n"
    if case.labelled:
        alerting += (
            f"      labels:\n        team: team-{case.service[-1]}\n"
            "      page_alert:\n        labels:\n          severity: P1\n"
            "      ticket_alert:\n        labels:\n          severity: P3\n"
        )
    return (
        f'version: "prometheus/v1"\nservice: "{case.service}"\n'
        f"labels:\n  team: team-{case.service[-1]}\nslos:\n"
        f'  - name: "{case.kind}-{case.index:04d}"\n    objective: {case.objective}\n'
        f"    sli:\n      events:\n        error_query: '{error_query}'\n"
        f"        total_query: '{total_query}'\n{alerting}"
    )


def sloth_windows_yaml(window: str) -> str:
    """A Sloth AlertWindows catalogue entry for one SLO period."""
    page_quick, page_slow, ticket_quick, ticket_slow = SLOTH_WINDOWS[window]
    return (
        'apiVersion: "sloth.slok.dev/v1"\nkind: "AlertWindows"\nspec:\n'
        f"  sloPeriod: {window}\n  page:\n"
        f"    quick: {{errorBudgetPercent: {page_quick}, shortWindow: 5m, longWindow: 1h}}\n"
        f"    slow: {{errorBudgetPercent: {page_slow}, shortWindow: 30m, longWindow: 6h}}\n"
        "  ticket:\n"
        f"    quick: {{errorBudgetPercent: {ticket_quick}, shortWindow: 2h, longWindow: 1d}}\n"
        f"    slow: {{errorBudgetPercent: {ticket_slow}, shortWindow: 6h, longWindow: 3d}}\n"
    )


@dataclass(frozen=True)
class Written:
    """Where `write` put the two spec trees."""

    budgetwarden: Path  # one folder, every SLO
    sloth: dict[str, Path]  # one folder per window: Sloth sets the period per run
    sloth_windows: Path  # the AlertWindows catalogue


def write(root: Path, slo_cases: list[SLOCase]) -> Written:
    """Write every case in both formats under `root`."""
    ours, catalogue = root / "budgetwarden", root / "sloth-windows"
    ours.mkdir(parents=True)
    catalogue.mkdir()
    theirs: dict[str, Path] = {}
    for window in sorted({case.window for case in slo_cases}):
        theirs[window] = root / f"sloth-{window}"
        theirs[window].mkdir()
        (catalogue / f"{window}.yaml").write_text(sloth_windows_yaml(window))
    for case in slo_cases:
        (ours / f"{case.name}.yaml").write_text(budgetwarden_yaml(case))
        (theirs[case.window] / f"{case.name}.yaml").write_text(sloth_yaml(case))
    return Written(ours, theirs, catalogue)
