"""Prometheus-style durations ("5m", "1h30m", "30d") parsed into `timedelta` and printed back.

Used by the spec models (windows, thresholds, hysteresis) and by rule generation, which must
print windows the way Prometheus reads them (`format_duration`); messages for people print them
with `human_duration`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

_UNITS: dict[str, timedelta] = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}
# Largest unit first: "ms" must be tried before "m" when reading.
_PART = re.compile(r"([0-9]+)(ms|w|d|h|m|s)")
DURATION_PATTERN = r"^([0-9]+(ms|s|m|h|d|w))+$"


def parse_duration(text: str) -> timedelta:
    """Parse "5m" or "1h30m"; raise ValueError with the accepted form otherwise."""
    if not re.fullmatch(DURATION_PATTERN, text or ""):
        raise ValueError(f'must be a duration such as "5m", "1h" or "30d"; got "{text}"')
    total = timedelta()
    for amount, unit in _PART.findall(text):
        total += int(amount) * _UNITS[unit]
    if total <= timedelta():
        raise ValueError(f'must be longer than zero; got "{text}"')
    return total


# Rule generation prints the same handful of windows tens of thousands of times.
@lru_cache(maxsize=1024)
def format_duration(value: timedelta) -> str:
    """Print a timedelta the way Prometheus writes it: "1h30m", "30d", "500ms"."""
    millis = int(value / timedelta(milliseconds=1))
    if millis <= 0:
        raise ValueError("durations are positive")
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = int(_UNITS[unit] / timedelta(milliseconds=1))
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def human_duration(value: timedelta) -> str:
    """A duration as messages print it: "1h30m", "21.6s", "0.5s" (never "21s600ms")."""
    millis = int(value / timedelta(milliseconds=1))
    if millis <= 0:
        return "0s"
    seconds, fraction = divmod(millis, 1000)
    if not fraction:
        return format_duration(value)
    above_minute = timedelta(seconds=seconds - seconds % 60)
    head = format_duration(above_minute) if above_minute else ""
    return f"{head}{seconds % 60}.{fraction:03d}".rstrip("0") + "s"
