"""Conditions follow the Kubernetes rules: the transition time moves only when status flips."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetwarden.core.kernel.conditions import (
    MAX_MESSAGE_LENGTH,
    Condition,
    conditions_hold,
    find_condition,
    set_condition,
    set_conditions,
)

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


# --- conditions_hold: the poller's cheap "nothing to write" -----------------------------------
WIRE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Ready", "MetricsAvailable", "BudgetExhausted"]),
        "status": st.sampled_from(["True", "False", "Unknown"]),
        "reason": st.sampled_from(["SeriesFound", "NoSeries"]),
        "message": st.sampled_from(["a", "b", "x" * (MAX_MESSAGE_LENGTH + 1)]),
        "observedGeneration": st.integers(1, 2),
    },
    optional={
        "lastTransitionTime": st.sampled_from(["", "2026-12-01T00:00:00Z"]),
        "extra": st.just("kept by another writer"),
    },
)
UPDATE = st.builds(
    Condition,
    type=st.sampled_from(["MetricsAvailable", "BudgetExhausted"]),
    status=st.sampled_from(["True", "False", "Unknown"]),
    reason=st.sampled_from(["SeriesFound", "NoSeries"]),
    message=st.sampled_from(["a", "b", "x" * (MAX_MESSAGE_LENGTH + 1)]),
)


@given(
    conditions=st.lists(WIRE, max_size=4),
    updates=st.lists(UPDATE, max_size=2, unique_by=lambda c: c.type),
    generation=st.integers(1, 2),
)
def test_conditions_hold_exactly_when_setting_them_changes_nothing(
    conditions: list[dict[str, Any]], updates: list[Condition], generation: int
) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    unchanged = set_conditions(conditions, updates, generation=generation, now=now) == conditions
    assert conditions_hold(conditions, updates, generation=generation) == unchanged


@given(
    base=st.lists(WIRE, max_size=3),
    updates=st.lists(UPDATE, max_size=2, unique_by=lambda c: c.type),
    written=st.integers(1, 2),
    generation=st.integers(1, 2),
    touch=st.sampled_from(
        [
            "nothing",
            "extra key",
            "no transition time",
            "empty transition time",
            "other message",
            "other status",
            "other reason",
        ]
    ),
    index=st.integers(0, 4),
)
def test_conditions_hold_after_a_write_until_anything_about_them_differs(
    base: list[dict[str, Any]],
    updates: list[Condition],
    written: int,
    generation: int,
    touch: str,
    index: int,
) -> None:
    # the conditions as a previous write left them, then possibly changed by someone else
    conditions = set_conditions(base, updates, generation=written, now=datetime(2026, 12, 1))
    # mostly one of the updated conditions, where a difference matters
    touched = [c for c in conditions if c["type"] in {u.type for u in updates}] or conditions
    if touched:
        target = touched[index % len(touched)]
        if touch == "extra key":
            target["extra"] = "kept by another writer"
        elif touch == "no transition time":
            target.pop("lastTransitionTime", None)
        elif touch == "empty transition time":
            target["lastTransitionTime"] = ""
        elif touch == "other message":
            target["message"] = "changed"
        elif touch == "other status":
            target["status"] = "Unknown" if target["status"] != "Unknown" else "True"
        elif touch == "other reason":
            target["reason"] = "Other"
    now = datetime(2026, 12, 7, tzinfo=UTC)
    unchanged = set_conditions(conditions, updates, generation=generation, now=now) == conditions
    assert conditions_hold(conditions, updates, generation=generation) == unchanged


LONG = Condition("MetricsAvailable", "False", "NoSeries", "x" * (MAX_MESSAGE_LENGTH + 1))


@pytest.mark.parametrize(
    ("change", "generation", "hold"),
    [
        pytest.param({}, 1, True, id="as written: nothing to write"),
        pytest.param({}, 2, False, id="a newer generation"),
        pytest.param({"extra": "x"}, 1, False, id="a key set_condition does not write"),
        pytest.param({"lastTransitionTime": ""}, 1, False, id="an empty transition time"),
        pytest.param({"message": "other"}, 1, False, id="another message"),
        pytest.param({"status": "True"}, 1, False, id="another status"),
        pytest.param({"reason": "SeriesFound"}, 1, False, id="another reason"),
    ],
)
def test_conditions_hold_only_as_they_were_written(
    change: dict[str, Any], generation: int, hold: bool
) -> None:
    # LONG's message is stored clipped, and compared clipped
    written = set_conditions([], [LONG], generation=1, now=datetime(2026, 12, 1, tzinfo=UTC))
    conditions = [written[0] | change]
    assert conditions_hold(conditions, [LONG], generation=generation) is hold


def test_a_condition_without_a_transition_time_does_not_hold() -> None:
    written = set_conditions([], [LONG], generation=1, now=datetime(2026, 12, 1, tzinfo=UTC))
    del written[0]["lastTransitionTime"]
    assert not conditions_hold(written, [LONG], generation=1)
