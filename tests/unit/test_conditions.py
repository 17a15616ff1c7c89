"""Conditions follow the Kubernetes rules: the transition time moves only when status flips."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.core.kernel.conditions import (
    Condition,
    find_condition,
    set_condition,
    set_conditions,
)
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.status import spec_invalid, spec_valid, status_patch
from budgetwarden.core.slo.conditions import slo_apply_failed, slo_invalid, slo_rules_applied

EARLIER = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 10, 14, 30, 123456, tzinfo=UTC)


def ready(status: str, reason: str, message: str, *, at: str, generation: int) -> dict[str, Any]:
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": at,
        "observedGeneration": generation,
    }


APPLIED = ready(
    "True", "RulesApplied", "Rules are applied.", at="2026-11-29T10:00:00Z", generation=1
)
OTHER = {
    "type": "MetricsAvailable",
    "status": "True",
    "reason": "SeriesPresent",
    "message": "m",
    "lastTransitionTime": "2026-11-28T00:00:00Z",
    "observedGeneration": 1,
}


@pytest.mark.parametrize(
    ("before", "condition", "generation", "after"),
    [
        pytest.param(
            [],
            Condition("Ready", "True", "RulesApplied", "Rules are applied."),
            1,
            [
                ready(
                    "True",
                    "RulesApplied",
                    "Rules are applied.",
                    at="2026-11-29T10:14:30Z",
                    generation=1,
                )
            ],
            id="a new condition starts its transition now",
        ),
        pytest.param(
            [APPLIED],
            Condition("Ready", "True", "RulesApplied", "Rules are applied."),
            2,
            [
                ready(
                    "True",
                    "RulesApplied",
                    "Rules are applied.",
                    at="2026-11-29T10:00:00Z",
                    generation=2,
                )
            ],
            id="a new generation with the same status keeps the transition time",
        ),
        pytest.param(
            [APPLIED],
            Condition("Ready", "True", "RulesApplied", "Rules are applied as shop/x-slo."),
            1,
            [
                ready(
                    "True",
                    "RulesApplied",
                    "Rules are applied as shop/x-slo.",
                    at="2026-11-29T10:00:00Z",
                    generation=1,
                )
            ],
            id="a new message without a flip keeps the transition time",
        ),
        pytest.param(
            [APPLIED],
            Condition("Ready", "False", "InvalidSpec", "Invalid spec: spec.window: too short."),
            3,
            [
                ready(
                    "False",
                    "InvalidSpec",
                    "Invalid spec: spec.window: too short.",
                    at="2026-11-29T10:14:30Z",
                    generation=3,
                )
            ],
            id="a flip to False moves the transition time",
        ),
        pytest.param(
            [OTHER, APPLIED],
            Condition("Ready", "Unknown", "ApplyFailed", "Could not apply."),
            1,
            [
                OTHER,
                ready(
                    "Unknown",
                    "ApplyFailed",
                    "Could not apply.",
                    at="2026-11-29T10:14:30Z",
                    generation=1,
                ),
            ],
            id="other conditions keep their place and content",
        ),
    ],
)
def test_set_condition(
    before: list[dict[str, Any]], condition: Condition, generation: int, after: list[Any]
) -> None:
    assert set_condition(before, condition, generation=generation, now=NOW) == after


def test_setting_a_condition_leaves_the_input_list_alone() -> None:
    before = [dict(APPLIED)]
    set_condition(before, Condition("Ready", "False", "ApplyFailed", "x"), generation=2, now=NOW)
    assert before == [APPLIED]


@pytest.mark.parametrize(
    "reason",
    [
        pytest.param("rulesApplied", id="a lower-case start is not a reason"),
        pytest.param("Rules Applied", id="two words are not a reason"),
        pytest.param("", id="an empty reason is not a reason"),
    ],
)
def test_reasons_are_one_camel_case_word(reason: str) -> None:
    with pytest.raises(ValueError, match="one CamelCase word"):
        Condition("Ready", "True", reason, "m")


def test_long_messages_are_clipped_to_stay_readable() -> None:
    merged = set_condition(
        [], Condition("Ready", "False", "InvalidSpec", "x" * 5000), generation=1, now=NOW
    )
    assert len(merged[0]["message"]) == 4096
    assert merged[0]["message"].endswith("…")


def test_find_condition_returns_none_for_a_missing_type() -> None:
    assert find_condition([OTHER], "Ready") is None
    assert find_condition([OTHER, APPLIED], "Ready") == APPLIED


BAD_OBJECTIVE = SpecError([Problem("spec.objective", 'must be below 100; got "100"')])
APPLIED_PAIR = set_conditions([], slo_rules_applied("shop/x-slo"), generation=1, now=EARLIER)


@pytest.mark.parametrize(
    ("current", "conditions", "generation", "fields", "expected"),
    [
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
    ],
)
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


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
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
    ],
)
def test_outcomes_set_these_conditions(
    conditions: list[Condition], expected: list[tuple[str, str, str, str]]
) -> None:
    assert [(x.type, x.status, x.reason, x.message) for x in conditions] == expected
