"""Known incidents, and how well each alert matched them: precision and recall.

The incidents file (docs/alert-review.md) is YAML or JSON: a list of incidents, or a mapping
with `incidents` and an optional `grace`. `parse_incidents` reads it once into frozen models;
`score` judges each alert name against the incidents within the reviewed period:

- a fire (a transition to firing seen in the period) is *true* when it starts within an
  incident's window, from its start to its end plus the grace; any other fire is a false
  positive. Precision = true fires / fires.
- an incident that expects an alert *catches* it when one of its fires overlaps the window;
  otherwise the alert missed the incident. Recall = caught / incidents expecting it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, Field, model_validator

from budgetwarden.core.kernel.model import Model, parse_resource
from budgetwarden.core.kernel.quantities import Duration
from budgetwarden.core.report.model import Fire, Period
from budgetwarden.core.report.thresholds import INCIDENT_GRACE


class Incident(Model):
    """One known incident: when users were hurt, and which alerts should have fired."""

    name: str = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    expects: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ends_after_start(self) -> Incident:
        if self.end <= self.start:
            raise ValueError(f"end must be after start; got {self.start} to {self.end}")
        return self


class Incidents(Model):
    """The incidents file: the incidents and the grace after each end."""

    grace: Duration = INCIDENT_GRACE
    incidents: tuple[Incident, ...] = Field(min_length=1)

    def window(self, incident: Incident) -> tuple[datetime, datetime]:
        """[start, end + grace] of one incident."""
        return incident.start, incident.end + self.grace

    def within(self, period: Period) -> tuple[Incident, ...]:
        """The incidents whose window overlaps the period: the others say nothing about it."""
        return tuple(
            i for i in self.incidents if i.start <= period.end and self.window(i)[1] >= period.start
        )


def parse_incidents(data: Any) -> Incidents:
    """The parsed incidents file (a list, or a mapping); SpecError naming each bad field."""
    body: Mapping[str, Any] = {"incidents": data} if isinstance(data, list) else data
    if not isinstance(body, Mapping):
        body = {"incidents": body}  # lets the model say what was expected
    return parse_resource(Incidents, body)


@dataclass(frozen=True)
class Score:
    """Precision and recall of one alert name against the incidents."""

    alertname: str
    fires: int
    true_fires: int
    expected: int
    caught: int
    missed: tuple[str, ...]

    @property
    def precision(self) -> Decimal | None:
        """Share of fires within an incident; None without fires."""
        return _share(self.true_fires, self.fires)

    @property
    def recall(self) -> Decimal | None:
        """Share of the incidents expecting the alert that it caught; None when none did."""
        return _share(self.caught, self.expected)


def _share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def score(
    fires: Sequence[Fire], incidents: Incidents, period: Period, alertnames: Iterable[str]
) -> list[Score]:
    """One Score per alert name (the given ones and every one expected), sorted by name."""
    known = incidents.within(period)
    expected = {name for incident in known for name in incident.expects}
    return [_score(name, fires, incidents, known) for name in sorted(set(alertnames) | expected)]


def _score(
    name: str, fires: Sequence[Fire], incidents: Incidents, known: Sequence[Incident]
) -> Score:
    own = [f for f in fires if f.alertname == name]
    starts = [f.start for f in own if not f.open_start]
    windows = [incidents.window(i) for i in known]
    true_fires = sum(1 for s in starts if any(a <= s <= b for a, b in windows))
    expecting = [i for i in known if name in i.expects]
    missed = tuple(i.name for i in expecting if not _overlaps(own, incidents.window(i)))
    return Score(
        alertname=name,
        fires=len(starts),
        true_fires=true_fires,
        expected=len(expecting),
        caught=len(expecting) - len(missed),
        missed=missed,
    )


def _overlaps(fires: Iterable[Fire], window: tuple[datetime, datetime]) -> bool:
    start, end = window
    return any(f.start <= end and f.end > start for f in fires)
