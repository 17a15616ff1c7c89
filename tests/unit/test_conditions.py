"""Conditions follow the Kubernetes rules: the transition time moves only when status flips."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.core.kernel.conditions import Condition, find_condition, set_condition

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


SET_CASES = [
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
]


@pytest.mark.parametrize(("before", "condition", "generation", "after"), SET_CASES)
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
