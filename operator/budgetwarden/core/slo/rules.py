"""SLO → PrometheusRule: the rule generator's entry points.

The SLO handler, `budgetwarden generate` and `rules-sync` call `build_prometheus_rule` (the whole
object, applied as is) or `build_rule_groups` (the `groups:` of a plain Prometheus rule file);
`rule_warnings` lists what is legal but probably not meant. Both builders validate the SLO's
PromQL first and raise only SpecError on bad input. Output is deterministic, so a generated
object can be compared whole (the golden files in tests/golden/).

The object's labels and annotations are the operator's (`RuleOptions.rule_labels`), then the
SLO's `spec.prometheusRule` (`rule_object`), then budgetwarden's own, which neither may set.

Three groups per SLO, named `<namespace>-<name>-sli|budget|alerts`: recording rules in
`rules_recording`, alerts in `rules_alerts` and `rules_outage` (the outage pages), burn-rate
windows in `windows`. The pages are in the alerts group, evaluated as often as the burn rates
they read. The ticket-tier alerts (budget low, slow burn, absent data) are in the budget group,
after the budget the first of them compares: a ticket is read in hours, so evaluating it five
times less often delays it by at most one budget interval and saves Prometheus four of its five
evaluations.

Choices, and why:
- Every series costs Prometheus head memory and every rule an evaluation, per SLO, forever. So
  only what an alert, the poller or a dashboard reads is recorded: 14 series per SLO with the
  default windows, against 15 for Sloth's rules for the same SLO. Burn rates are recorded and
  error ratios are not, since an error ratio is the burn rate times `error_budget:ratio`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.slo.priorities import DEFAULT_PRIORITIES, AlertPriorities
from budgetwarden.core.slo.promql import format_decimal, parse_selector, validate_slo_queries
from budgetwarden.core.slo.rule_object import generated_note
from budgetwarden.core.slo.rules_alerts import RESERVED_LABELS, alert_rules, budget_low_rules
from budgetwarden.core.slo.rules_outage import outage_rules, outage_warnings
from budgetwarden.core.slo.rules_recording import budget_rules, error_budget, sli_rules
from budgetwarden.core.slo.runbook_links import link_runbooks, unknown_alerts
from budgetwarden.core.slo.spec import SLO, BurnRateWindow
from budgetwarden.core.slo.windows import (
    BASE_RATE_WINDOW,
    MIN_SCRAPES_PER_WINDOW,
    burn_rate_windows,
    check_scrape_interval,
    ratio_windows,
)

# The budget group sums the whole SLO window at every evaluation, the costliest rule of an SLO,
# yet one evaluation moves a 30-day budget by a few millionths of it: it evaluates 5 times less
# often than the burn rates the pages need (2m30s beside 30s, as Pyrra's long-window group), and
# at most every 2m30s, so that Prometheus' default 5m lookback always holds two evaluations and a
# ticket-tier alert, evaluated with it, is never more than 2m30s late.
BUDGET_SLOWDOWN = 5
BUDGET_INTERVAL_CAP = timedelta(minutes=2, seconds=30)


@dataclass(frozen=True)
class RuleOptions:
    """How the Prometheus that evaluates the rules is set up."""

    # Every burn-rate window must span at least two scrape intervals, else SpecError.
    scrape_interval: timedelta = timedelta(seconds=30)
    # The interval of the SLI and alert groups; the budget group's is `budget_interval`.
    evaluation_interval: timedelta = timedelta(seconds=30)
    # Budget-low alerts fire below each of these thresholds.
    budget_levels: Levels = field(default_factory=Levels)
    # The `priority` label each kind of alert starts with; an SLO's labels may replace it.
    alert_priorities: AlertPriorities = DEFAULT_PRIORITIES
    # Where each alert's runbook_url points unless the SLO names its own (runbook_links).
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS
    # Labels and annotations of every PrometheusRule object (rule_object.parse_pairs); an SLO's
    # spec.prometheusRule wins over them, key by key.
    rule_labels: tuple[tuple[str, str], ...] = ()
    rule_annotations: tuple[tuple[str, str], ...] = ()
    # Whether a rule may read what a rule before it in its group recorded at the same
    # evaluation: Prometheus and Thanos Ruler evaluate a group's rules in order on their own
    # storage; vmalert persists records asynchronously (its documented limitation), so VMRules
    # are generated with False.
    chained_records: bool = True

    @property
    def budget_interval(self) -> timedelta:
        """The interval of the budget group: the evaluation interval times BUDGET_SLOWDOWN, at
        most BUDGET_INTERVAL_CAP, and never shorter than the evaluation interval."""
        slower = min(self.evaluation_interval * BUDGET_SLOWDOWN, BUDGET_INTERVAL_CAP)
        return max(self.evaluation_interval, slower)

    def __post_init__(self) -> None:
        if self.scrape_interval <= timedelta() or self.evaluation_interval <= timedelta():
            raise ValueError("scrape and evaluation intervals must be positive")
        if self.scrape_interval * MIN_SCRAPES_PER_WINDOW > BASE_RATE_WINDOW:
            raise ValueError(
                f"scrape interval {format_duration(self.scrape_interval)} is too long: the "
                f"{format_duration(BASE_RATE_WINDOW)} rates need two samples per window"
            )


DEFAULT_OPTIONS = RuleOptions()


def build_rule_groups(slo: SLO, options: RuleOptions = DEFAULT_OPTIONS) -> list[dict[str, Any]]:
    """The Prometheus `groups:` list for one SLO; raise SpecError on bad input."""
    validate_slo_queries(slo)
    overrides = slo.spec.alerting.burn_rate_windows
    check_scrape_interval(slo.spec.window, overrides, options.scrape_interval)
    windows = burn_rate_windows(slo.spec.window, overrides)
    prefix = f"{slo.metadata.namespace}-{slo.metadata.name}"
    every, budget_every = options.evaluation_interval, options.budget_interval
    sli = sli_rules(slo, ratio_windows(windows), options.chained_records)
    tickets: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    for rule in _alerts(slo, windows, options):
        is_ticket = rule["labels"][names.PROM_LABEL_TIER] == names.TIER_TICKET
        (tickets if is_ticket else pages).append(rule)
    return [
        {"name": f"{prefix}-{suffix}", "interval": format_duration(interval), "rules": rules}
        for suffix, interval, rules in (
            (names.GROUP_SUFFIX_SLI, every, sli),
            (names.GROUP_SUFFIX_BUDGET, budget_every, budget_rules(slo) + tickets),
            (names.GROUP_SUFFIX_ALERTS, every, pages),
        )
    ]


def _alerts(
    slo: SLO, windows: tuple[BurnRateWindow, ...], options: RuleOptions
) -> list[dict[str, Any]]:
    """Budget low, burn rates and absent data (rules_alerts), then the outage pages."""
    low = budget_low_rules(slo, options.budget_levels, options.alert_priorities)
    budget_alerts = alert_rules(slo, windows, options.alert_priorities)
    outages = outage_rules(slo, options.scrape_interval, options.alert_priorities)
    return link_runbooks(slo, low + budget_alerts + outages, options.runbooks)


def build_prometheus_rule(slo: SLO, options: RuleOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """The whole PrometheusRule object for one SLO, owned by it when its uid is known."""
    wanted = slo.spec.prometheus_rule
    metadata: dict[str, Any] = {
        "name": names.prometheus_rule_name(slo.metadata.name),
        "namespace": slo.metadata.namespace,
        # Keys budgetwarden manages are refused on both sides, so the last two always hold.
        "labels": dict(options.rule_labels)
        | wanted.labels
        | {
            names.LABEL_MANAGED_BY: names.MANAGED_BY_VALUE,
            names.LABEL_SLO_NAME: slo.metadata.name,
        },
    }
    note = generated_note(slo.metadata.namespace, slo.metadata.name)
    annotations = dict(options.rule_annotations) | wanted.annotations
    metadata["annotations"] = annotations | {names.ANNOTATION_GENERATED_FROM: note}
    if slo.metadata.uid:
        metadata["ownerReferences"] = [
            {
                "apiVersion": names.API_VERSION,
                "kind": names.KIND_SLO,
                "name": slo.metadata.name,
                "uid": slo.metadata.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return {
        "apiVersion": names.PROMETHEUS_RULE_API_VERSION,
        "kind": names.PROMETHEUS_RULE_KIND,
        "metadata": metadata,
        "spec": {"groups": build_rule_groups(slo, options)},
    }


def rule_warnings(slo: SLO) -> list[Problem]:
    """What is valid but probably not meant: unreachable factors, odd units, ignored labels,
    runbooks for alerts the SLO does not have, labels to copy that the SLO does not carry."""
    return (
        _unreachable_factors(slo)
        + _histogram_unit(slo)
        + _reserved_labels(slo)
        + _unknown_runbook_alerts(slo)
        + _uncopied_labels(slo)
        + outage_warnings(slo)
    )


def _uncopied_labels(slo: SLO) -> list[Problem]:
    # Probably a typo, or labels set by a tool the SLO's manifest does not show.
    return [
        Problem(
            f"spec.alerting.copyLabels[{index}]", f'the SLO has no label "{key}"; nothing copied'
        )
        for index, key in enumerate(slo.spec.alerting.copy_labels)
        if key not in slo.metadata.labels
    ]


def _unreachable_factors(slo: SLO) -> list[Problem]:
    budget = error_budget(slo)
    overrides = slo.spec.alerting.burn_rate_windows
    problems = []
    for index, row in enumerate(overrides or burn_rate_windows(slo.spec.window)):
        if row.factor * budget < 1:
            continue
        where = f"spec.alerting.burnRateWindows[{index}].factor" if overrides else "spec.objective"
        ceiling = (1 / budget).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        problems.append(
            Problem(
                where,
                f"objective {format_decimal(slo.spec.objective)}% leaves an error budget of "
                f"{format_decimal(budget * 100)}%, so the {row.tier} alert over "
                f"{format_duration(row.long_window)}/{format_duration(row.short_window)} "
                f"(burn rate above {format_decimal(row.factor)}) would need more than every "
                f"request to fail and can never fire; set spec.alerting.burnRateWindows with "
                f"factors below {format_decimal(ceiling)}",
            )
        )
    return problems


def _histogram_unit(slo: SLO) -> list[Problem]:
    latency = slo.spec.indicator.latency
    if latency is None:
        return []
    try:
        name = parse_selector(latency.histogram).name or ""
    except ValueError:  # validate_slo_queries reports it as an error
        return []
    if name.endswith("_seconds_bucket"):
        return []
    return [
        Problem(
            "spec.indicator.latency.histogram",
            f"the threshold is compared with the le label in seconds, and {name or 'the metric'} "
            f"does not end in _seconds_bucket; check that its buckets are in seconds",
        )
    ]


def _reserved_labels(slo: SLO) -> list[Problem]:
    alerting = slo.spec.alerting
    sources = (
        ("labels", alerting.labels),
        ("page.labels", alerting.page.labels),
        ("ticket.labels", alerting.ticket.labels),
    )
    return [
        Problem(f"spec.alerting.{where}.{key}", "is set by budgetwarden; this value is ignored")
        for where, labels in sources
        for key in sorted(labels)
        if key in RESERVED_LABELS
    ]


def _unknown_runbook_alerts(slo: SLO) -> list[Problem]:
    if not slo.spec.alerting.runbooks:
        return []
    # Which alerts an SLO gets depends on disabled tiers and opt-in alerts: build them to know.
    try:
        groups = build_rule_groups(slo)
    except SpecError:  # the builders report it as an error
        return []
    generated = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    return unknown_alerts(slo, generated)
