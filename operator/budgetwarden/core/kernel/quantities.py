"""Field types shared by the spec models: percents as Decimal, durations as timedelta.

The wire format keeps numbers as strings ("99.9") so no float ever enters the math; these
annotated types parse them once and print them back unchanged.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from budgetwarden.core.kernel.durations import format_duration, parse_duration

PERCENT_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,6})?$"
FACTOR_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,6})?$"


def _decimal_string(value: Any, pattern: str, example: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f'must be a quoted string such as "{example}" (no floats); got {value!r}')
    if not re.fullmatch(pattern, value):
        raise ValueError(f'must be a number written as a string such as "{example}"; got "{value}"')
    try:
        return Decimal(value)
    except InvalidOperation as error:  # pattern makes this unreachable; kept for clarity
        raise ValueError(f'is not a number: "{value}"') from error


def _percent(value: Any) -> Decimal:
    return _decimal_string(value, PERCENT_PATTERN, "99.9")


def _factor(value: Any) -> Decimal:
    return _decimal_string(value, FACTOR_PATTERN, "14.4")


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f'must be a duration string such as "30d"; got {value!r}')
    return parse_duration(value)


# A percent between 0 and 100 written as a string: "99.9".
Percent = Annotated[Decimal, BeforeValidator(_percent), PlainSerializer(str, return_type=str)]
# A positive multiplier written as a string: "14.4".
Factor = Annotated[Decimal, BeforeValidator(_factor), PlainSerializer(str, return_type=str)]
# A Prometheus-style duration: "5m", "30d".
Duration = Annotated[
    timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)
]


def _positive(factor: Decimal) -> Decimal:
    if factor <= 0:
        raise ValueError(f'must be greater than 0; got "{factor}"')
    return factor


# A burn-rate factor above zero: "0" would fire on any error at all.
PositiveFactor = Annotated[Factor, AfterValidator(_positive)]
