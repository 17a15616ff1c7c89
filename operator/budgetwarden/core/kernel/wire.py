"""How times, numbers and status changes are written on the wire: one format each.

Every status field, condition, Event, admission message and notification prints times with
`format_time` and reads them back with `parse_time`; measured numbers with `percent_text` (down)
or `rate_text` (up), configured ones with `number_text`; and every status write is a JSON merge
patch made by `merge_diff` (and mirrored in memory by `merge_apply`). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

_TENTH = Decimal("0.1")


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, as Kubernetes writes metav1.Time: 2026-11-29T10:14:00Z.

    A naive time is taken as UTC.
    """
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):  # at datetime.min/max an offset cannot be applied
        utc = moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 status timestamp with a zone, or None when absent or unreadable."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


def percent_text(value: Decimal) -> str:
    """A measured percent or rate to one decimal, rounded down: "21.4", "-12.5", "16.0"."""
    return str(shown_percent(value))


def shown_percent(value: Decimal) -> Decimal:
    """The number `percent_text` shows."""
    # Down, so a shown number never looks better than the one compared: 29.96 shows 29.9.
    return value.quantize(_TENTH, rounding=ROUND_FLOOR)


def number_text(value: Decimal) -> str:
    """A configured number as the user wrote it, without exponent or trailing zeros: "30"."""
    return f"{value.normalize():f}"


def rate_text(value: Decimal) -> str:
    """A burn rate to one decimal, rounded up: 14.41 shows "14.5", never below the trigger."""
    return str(shown_rate(value))


def shown_rate(value: Decimal) -> Decimal:
    """The number `rate_text` shows."""
    return value.quantize(_TENTH, rounding=ROUND_CEILING)


def merge_diff(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning `current` into `desired` for desired's keys.

    Keys of nested mappings that `desired` drops are sent as null (a merge patch keeps what it
    does not mention); lists and scalars are replaced whole. Top-level keys absent from
    `desired` are left alone: other writers own them.
    """
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        old = current.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = merge_diff(old, value)
            nested.update({k: None for k in old if k not in value})
            if nested:
                patch[key] = nested
        elif old != value:
            patch[key] = value
    return patch


def merge_apply(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with a JSON merge patch applied (RFC 7386): what the API server will store."""
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_apply(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- Reading status leniently ----------------------------------------------------------------
# Status is read back by every replica, every CLI and admission, which must answer whatever a
# status holds: a field this version cannot read reads as absent, never as an error.
def read_text(value: object) -> str:
    """A string field, or "" when absent or not a string."""
    return value if isinstance(value, str) else ""


def read_decimal(value: object) -> Decimal | None:
    """A number written as a string ("21.4"), or None when absent, malformed or not finite."""
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def read_entries(value: object) -> list[Mapping[str, Any]]:
    """The mappings of a list field; anything else in it, or a field that is no list, is dropped."""
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]
