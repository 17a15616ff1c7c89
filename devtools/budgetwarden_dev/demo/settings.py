"""The demo service's run-time settings: error rate, latency, load, an outage and resource
pressure, parsed and validated once.

Read by the `demo-service` command line (flags) and by the service's `PUT /control` (JSON), so a
mistake gets the same message either way, naming the flag or the JSON field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.errors import Problem, SpecError

# Beyond these the demo stops being a service anyone would scrape; they catch typos (20s for 20ms).
MAX_LATENCY = timedelta(seconds=60)
MAX_LOAD_RPS = Decimal(10000)
# Each request sleeps latency × (1 ± JITTER), uniformly: steady enough to predict, rough enough
# to fill more than one histogram bucket.
JITTER = Decimal("0.2")

_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_ZERO_DURATION = re.compile(r"0+(ms|s|m|h)?")

FIELD_ERROR_RATE = "errorRate"
FIELD_LATENCY = "latency"
FIELD_LOAD_RPS = "loadRPS"
FIELD_DOWN = "down"
FIELD_CPU_BURN = "cpuBurn"
FIELD_MEMORY_FILL = "memoryFill"
CONTROL_FIELDS = (FIELD_ERROR_RATE, FIELD_LATENCY, FIELD_LOAD_RPS, FIELD_DOWN, FIELD_CPU_BURN,
                  FIELD_MEMORY_FILL)  # fmt: skip


class ErrorMode(StrEnum):
    """How the service picks the requests that fail."""

    # Failures spread evenly: exactly floor(n × rate) of n requests fail (0.02 → every 50th).
    EXACT = "exact"
    # Each request fails with probability rate, drawn from a generator seeded by --seed.
    RANDOM = "random"


@dataclass(frozen=True)
class Settings:
    """What the service does right now; changed at run time through `PUT /control`."""

    error_rate: Decimal = Decimal("0.001")
    latency: timedelta = timedelta(milliseconds=20)
    load_rps: Decimal = Decimal(0)
    down: bool = False  # every path but /control and /healthz answers 503, scrapes included
    cpu_burn: Decimal = Decimal(0)  # share of the CPU limit a child process burns
    memory_fill: Decimal = Decimal(0)  # share of the memory limit held resident

    def to_wire(self) -> dict[str, str | bool]:
        """The settings as `GET /control` shows them: every number a string."""
        return {
            FIELD_ERROR_RATE: str(self.error_rate),
            FIELD_LATENCY: format_latency(self.latency),
            FIELD_LOAD_RPS: str(self.load_rps),
            FIELD_DOWN: self.down,
            FIELD_CPU_BURN: str(self.cpu_burn),
            FIELD_MEMORY_FILL: str(self.memory_fill),
        }


def format_latency(value: timedelta) -> str:
    """Print a latency the way it is written: "20ms", "1s500ms", "0s"."""
    return format_duration(value) if value > timedelta() else "0s"


def _number(value: object, field: str, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SpecError.single(
            field, f'must be a string such as "{example}" (no floats); got {value!r}'
        )
    text = str(value)
    if text.startswith("-"):
        raise SpecError.single(field, f'must be zero or more; got "{text}"')
    if not _NUMBER.fullmatch(text):
        raise SpecError.single(
            field, f'must be a number written as a string such as "{example}"; got "{text}"'
        )
    return Decimal(text)


def parse_error_rate(value: object, field: str = FIELD_ERROR_RATE) -> Decimal:
    """A share of requests to fail, "0" to "1", written as a string ("0.02" is 2 %)."""
    rate = _number(value, field, "0.02")
    if rate > 1:
        raise SpecError.single(
            field, f'must be between 0 and 1 (a share, "0.02" is 2 %); got "{value}"'
        )
    return rate


def parse_latency(value: object, field: str = FIELD_LATENCY) -> timedelta:
    """A duration such as "20ms" or "1s"; "0s" turns the sleep off."""
    if not isinstance(value, str):
        raise SpecError.single(field, f'must be a duration string such as "20ms"; got {value!r}')
    if _ZERO_DURATION.fullmatch(value):
        return timedelta()
    try:
        latency = parse_duration(value)
    except ValueError as error:
        raise SpecError.single(
            field, f'must be a duration such as "20ms" or "1s"; got "{value}"'
        ) from error
    if latency > MAX_LATENCY:
        raise SpecError.single(
            field, f'must be at most {format_duration(MAX_LATENCY)}; got "{value}"'
        )
    return latency


def parse_load_rps(value: object, field: str = FIELD_LOAD_RPS) -> Decimal:
    """Requests per second the built-in load generator sends; 0 stops it."""
    rps = _number(value, field, "50")
    if rps > MAX_LOAD_RPS:
        raise SpecError.single(
            field, f"must be at most {MAX_LOAD_RPS} requests per second; got {value!r}"
        )
    return rps


def parse_down(value: object, field: str = FIELD_DOWN) -> bool:
    """Whether the service is down: JSON true or false."""
    if not isinstance(value, bool):
        raise SpecError.single(field, f"must be true or false; got {value!r}")
    return value


def parse_share(value: object, field: str) -> Decimal:
    """A share of a resource limit, "0" to "1", written as a string ("0.9" is 90 %)."""
    share = _number(value, field, "0.9")
    if share > 1:
        raise SpecError.single(
            field, f'must be between 0 and 1 (a share of the limit); got "{value}"'
        )
    return share


_PARSERS = {
    FIELD_ERROR_RATE: ("error_rate", parse_error_rate),
    FIELD_LATENCY: ("latency", parse_latency),
    FIELD_LOAD_RPS: ("load_rps", parse_load_rps),
    FIELD_DOWN: ("down", parse_down),
    FIELD_CPU_BURN: ("cpu_burn", lambda value: parse_share(value, FIELD_CPU_BURN)),
    FIELD_MEMORY_FILL: ("memory_fill", lambda value: parse_share(value, FIELD_MEMORY_FILL)),
}


def updated(current: Settings, body: object) -> Settings:
    """`current` with the fields a `PUT /control` body names; every mistake in one SpecError."""
    if not isinstance(body, dict):
        example = '{"errorRate": "0.02", "latency": "20ms", "loadRPS": "50"}'
        raise SpecError.single("body", f"must be a JSON object such as {example}")
    problems: list[Problem] = []
    changes: dict[str, object] = {}
    for key, value in body.items():
        if key not in _PARSERS:
            allowed = ", ".join(CONTROL_FIELDS)
            problems.append(Problem(str(key), f"unknown field; allowed: {allowed}"))
            continue
        attribute, parse = _PARSERS[key]
        try:
            changes[attribute] = parse(value)
        except SpecError as error:
            problems.extend(error.problems)
    if problems:
        raise SpecError(problems)
    return replace(current, **changes)  # type: ignore[arg-type]
