"""The thresholds of an SLO's budget-low alerts: those of the ErrorBudgetPolicies that select it.

The SLO handler, the policy handler (when a policy's levels or selector change) and `budgetwarden
generate` call `rule_options_for` before they build an SLO's rules, so its SLOErrorBudgetLow
alerts fire where its team's policy changes level, not at numbers of the operator's. Pure.

- A policy counts when it is in the SLO's namespace and its sloSelector matches the SLO's labels,
  the same selection the freeze decisions use (`core/policy/selectors.py`).
- No policy selects the SLO: the operator-wide levels (`--budget-levels`, 50/30/10 by default).
- Several do: each level at the highest threshold any of them sets, so each alert fires as soon
  as the first of those policies reaches that level; nobody learns of a freeze from the freeze.
  Per-level maxima of ordered thresholds are ordered, so the result is a valid `Levels`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.core.slo.spec import SLO


def selects(policy: ErrorBudgetPolicy, slo: SLO) -> bool:
    """Whether `policy` acts on `slo`: same namespace, and its sloSelector matches the labels."""
    same_namespace = policy.metadata.namespace == slo.metadata.namespace
    return same_namespace and selector_matches(policy.spec.slo_selector, slo.metadata.labels)


def budget_alert_levels(
    slo: SLO, policies: Iterable[ErrorBudgetPolicy], fallback: Levels
) -> Levels:
    """The levels of the policies that select `slo`, highest per level; `fallback` if none do."""
    chosen = [policy.spec.levels for policy in policies if selects(policy, slo)]
    if not chosen:
        return fallback
    return Levels(
        warning_below=max(levels.warning_below for levels in chosen),
        partial_freeze_below=max(levels.partial_freeze_below for levels in chosen),
        full_freeze_below=max(levels.full_freeze_below for levels in chosen),
    )


def rule_options_for(
    slo: SLO, policies: Iterable[ErrorBudgetPolicy], options: RuleOptions
) -> RuleOptions:
    """`options` with the budget-low levels of the policies that select `slo`; the options'
    own levels (the operator-wide ones) when none does."""
    levels = budget_alert_levels(slo, policies, options.budget_levels)
    return replace(options, budget_levels=levels)
