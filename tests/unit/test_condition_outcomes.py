"""Status patches and the conditions each outcome sets.

Conditions follow the Kubernetes rules: the transition time moves only when status flips.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.core.kernel.conditions import Condition, set_conditions
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.status import spec_invalid, spec_valid, status_patch
from budgetwarden.core.slo.conditions import slo_apply_failed, slo_invalid, slo_rules_applied

EARLIER = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 10, 14, 30, 123456, tzinfo=UTC)


BAD_OBJECTIVE = SpecError([Problem("spec.objective", 'must be below 100; got "100"')])
APPLIED_PAIR = set_conditions([], slo_rules_applied("shop/x-slo"), generation=1, now=EARLIER)


PATCH_CASES = [
    pytest.param(
        None,
        slo_rules_applied("shop/x-slo"),
        1,
        {"prometheusRule": "shop/x-slo"},
        {
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "RulesApplied",
                    "status": "True",
                    "reason": "RulesApplied",
                    "message": "Rules are applied as PrometheusRule shop/x-slo.",
                    "lastTransitionTime": "2026-11-29T10:14:30Z",
                    "observedGeneration": 1,
                },
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "RulesApplied",
                    "message": "Rules are applied as PrometheusRule shop/x-slo.",
                    "lastTransitionTime": "2026-11-29T10:14:30Z",
                    "observedGeneration": 1,
                },
            ],
            "prometheusRule": "shop/x-slo",
        },
        id="a first reconcile writes everything",
    ),
    pytest.param(
        {"observedGeneration": 1, "conditions": APPLIED_PAIR, "prometheusRule": "shop/x-slo"},
        slo_rules_applied("shop/x-slo"),
        1,
        {"prometheusRule": "shop/x-slo"},
        None,
        id="a resume that finds everything in place writes nothing",
    ),
    pytest.param(
        {
            "observedGeneration": 1,
            "conditions": APPLIED_PAIR,
            "prometheusRule": "shop/x-slo",
            "errorBudget": {"remainingPercent": "63.2"},
        },
        slo_invalid(BAD_OBJECTIVE, {"conditions": APPLIED_PAIR}),
        2,
        None,
        {
            "observedGeneration": 2,
            "conditions": [
                APPLIED_PAIR[0],
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "InvalidSpec",
                    "message": 'Invalid spec: spec.objective: must be below 100; got "100".',
                    "lastTransitionTime": "2026-11-29T10:14:30Z",
                    "observedGeneration": 2,
                },
            ],
        },
        id="an invalid update keeps RulesApplied about the rules still in place",
    ),
]


@pytest.mark.parametrize(("current", "conditions", "generation", "fields", "expected"), PATCH_CASES)
def test_status_patch(
    current: dict[str, Any] | None,
    conditions: list[Condition],
    generation: int,
    fields: dict[str, Any] | None,
    expected: dict[str, Any] | None,
) -> None:
    patch = status_patch(
        current, generation=generation, conditions=conditions, fields=fields, now=NOW
    )
    assert patch == expected


OUTCOME_CASES = [
    pytest.param(
        slo_invalid(BAD_OBJECTIVE, None),
        [
            (
                "RulesApplied",
                "False",
                "InvalidSpec",
                "No rules were generated because the spec is invalid.",
            ),
            (
                "Ready",
                "False",
                "InvalidSpec",
                'Invalid spec: spec.objective: must be below 100; got "100".',
            ),
        ],
        id="an SLO that was never valid says no rules were generated",
    ),
    pytest.param(
        slo_apply_failed("shop/x-slo", "HTTP 503 unavailable"),
        [
            (
                "RulesApplied",
                "False",
                "ApplyFailed",
                "Could not apply PrometheusRule shop/x-slo: HTTP 503 unavailable. "
                "Retrying with backoff.",
            ),
            (
                "Ready",
                "False",
                "ApplyFailed",
                "Could not apply PrometheusRule shop/x-slo: HTTP 503 unavailable. "
                "Retrying with backoff.",
            ),
        ],
        id="a failed apply is not ready and says it retries",
    ),
    pytest.param(
        spec_valid("ErrorBudgetPolicy"),
        [
            ("Valid", "True", "SpecValid", "The ErrorBudgetPolicy spec is valid."),
            ("Ready", "True", "SpecValid", "The ErrorBudgetPolicy spec is valid."),
        ],
        id="a valid policy is valid and ready",
    ),
    pytest.param(
        spec_invalid(
            SpecError(
                [
                    Problem("spec.levels", "thresholds must be ordered"),
                    Problem("spec.targets[0].kind", "unknown kind"),
                ]
            )
        ),
        [
            (
                "Valid",
                "False",
                "InvalidSpec",
                "Invalid spec: spec.levels: thresholds must be ordered; "
                "spec.targets[0].kind: unknown kind.",
            ),
            (
                "Ready",
                "False",
                "InvalidSpec",
                "Invalid spec: spec.levels: thresholds must be ordered; "
                "spec.targets[0].kind: unknown kind.",
            ),
        ],
        id="an invalid policy names every bad field",
    ),
]


@pytest.mark.parametrize(("conditions", "expected"), OUTCOME_CASES)
def test_outcomes_set_these_conditions(
    conditions: list[Condition], expected: list[tuple[str, str, str, str]]
) -> None:
    assert [(x.type, x.status, x.reason, x.message) for x in conditions] == expected
