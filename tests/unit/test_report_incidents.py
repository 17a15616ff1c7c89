"""The incidents file and precision and recall against it (core/report/incidents.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.report.incidents import Incidents, Score, parse_incidents, score
from budgetwarden.core.report.model import Fire, Period

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
PERIOD = Period(T0, T0 + timedelta(days=1), MIN)
FAST, DOWN = "SLOErrorBudgetFastBurn", "SLOServiceDown"


def fire(alert: str, start: int, end: int, open_start: bool = False) -> Fire:
    return Fire({"alertname": alert}, T0 + start * MIN, T0 + end * MIN, open_start=open_start)


def incident(name: str, start: int, end: int, *expects: str) -> dict[str, Any]:
    return {"name": name, "start": T0 + start * MIN, "end": T0 + end * MIN, "expects": expects}


def test_a_list_and_a_mapping_with_grace_are_both_incidents_files() -> None:
    listed = parse_incidents([incident("outage", 60, 120, DOWN)])
    mapped = parse_incidents(
        {"grace": "30m", "incidents": [
            {"name": "outage", "start": "2026-11-01T01:00:00Z", "end": "2026-11-01T02:00:00Z"}
        ]}
    )  # fmt: skip
    assert listed.grace == timedelta(minutes=15)
    assert listed.incidents[0].expects == (DOWN,)
    assert (mapped.grace, mapped.incidents[0].start) == (timedelta(minutes=30), T0 + 60 * MIN)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], "incidents: must have at least 1 item", id="an empty list"),
        pytest.param("outage", "incidents: must be a list", id="a string"),
        pytest.param(
            [{"name": "x", "start": "2026-11-01T10:00:00", "end": "2026-11-01T11:00:00Z"}],
            "incidents[0].start: must be a timestamp with a time zone",
            id="a time without a zone",
        ),
        pytest.param(
            [{"name": "x", "start": "2026-11-01T11:00:00Z", "end": "2026-11-01T10:00:00Z"}],
            "incidents[0]: end must be after start",
            id="an end before the start",
        ),
        pytest.param(
            [
                {
                    "name": "x",
                    "start": "2026-11-01T10:00:00Z",
                    "end": "2026-11-01T11:00:00Z",
                    "expect": ["SLOServiceDown"],
                }
            ],
            "incidents[0].expect: unknown field",
            id="a misspelt field",
        ),
        pytest.param(
            {"grace": "soon", "incidents": [incident("x", 0, 1)]},
            'grace: must be a duration such as "5m"',
            id="a grace that is not a duration",
        ),
    ],
)
def test_a_bad_incidents_file_names_the_field(data: Any, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_incidents(data)
    assert message in str(raised.value)


def incidents(*items: dict[str, Any], grace: str = "15m") -> Incidents:
    return parse_incidents({"grace": grace, "incidents": list(items)})


def test_fires_inside_windows_are_true_and_the_others_false_positives() -> None:
    known = incidents(incident("outage", 60, 120, FAST))
    fires = [fire(FAST, 70, 80), fire(FAST, 130, 140), fire(FAST, 136, 140), fire(FAST, 300, 310)]
    # 130 is within the grace (120 + 15); 136 is after it; 300 is far outside
    assert score(fires, known, PERIOD, [FAST]) == [
        Score(FAST, fires=4, true_fires=2, expected=1, caught=1, missed=())
    ]


def test_an_incident_during_which_an_expected_alert_did_not_fire_is_a_miss() -> None:
    known = incidents(incident("outage", 60, 120, FAST, DOWN), incident("slow", 600, 700, FAST))
    fires = [fire(FAST, 50, 65), fire(DOWN, 800, 810)]
    found = {s.alertname: s for s in score(fires, known, PERIOD, [FAST, DOWN])}
    # the fast burn started before the outage (a false positive) but fired during it (caught)
    assert found[FAST] == Score(FAST, fires=1, true_fires=0, expected=2, caught=1, missed=("slow",))
    assert found[DOWN] == Score(
        DOWN, fires=1, true_fires=0, expected=1, caught=0, missed=("outage",)
    )
    assert (found[FAST].precision, found[FAST].recall) == (Decimal(0), Decimal("0.5"))


def test_alerts_without_fires_or_expectations_have_no_precision_or_recall() -> None:
    quiet = score([], incidents(incident("outage", 60, 120)), PERIOD, ["SLOMetricsAbsent"])
    assert quiet == [Score("SLOMetricsAbsent", 0, 0, 0, 0, ())]
    assert (quiet[0].precision, quiet[0].recall) == (None, None)


def test_an_alert_expected_but_never_loaded_or_fired_is_still_scored() -> None:
    found = score([], incidents(incident("outage", 60, 120, "ServiceDown")), PERIOD, [])
    assert found == [Score("ServiceDown", 0, 0, 1, 0, ("outage",))]


def test_incidents_outside_the_period_are_neither_hits_nor_misses() -> None:
    known = incidents(incident("last-month", -40_000, -39_000, FAST))
    assert score([], known, PERIOD, [FAST]) == [Score(FAST, 0, 0, 0, 0, ())]


def test_a_fire_already_running_when_the_period_began_is_not_a_fire_but_catches() -> None:
    known = incidents(incident("outage", 0, 30, DOWN))
    found = score([fire(DOWN, 0, 20, open_start=True)], known, PERIOD, [DOWN])
    assert found == [Score(DOWN, fires=0, true_fires=0, expected=1, caught=1, missed=())]
