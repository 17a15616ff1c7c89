"""Freeze levels and the remaining-budget thresholds that start them: the words every room shares.

Rule generation (budget-low alerts at the thresholds), the policy engine, enforcement, admission
and the CLI all order and name levels through these, so they agree. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Final

from pydantic import model_validator

from budgetwarden.core.kernel.model import Model
from budgetwarden.core.kernel.quantities import Percent


class Level(StrEnum):
    """Freeze levels, mildest first; Unknown means the data needed to decide is missing."""

    NORMAL = "Normal"
    WARNING = "Warning"
    PARTIAL_FREEZE = "PartialFreeze"
    FULL_FREEZE = "FullFreeze"
    UNKNOWN = "Unknown"


# Known levels, mildest first; Unknown has no place in this order.
SEVERITY: Final[tuple[Level, ...]] = (
    Level.NORMAL,
    Level.WARNING,
    Level.PARTIAL_FREEZE,
    Level.FULL_FREEZE,
)


def severity(level: Level) -> int:
    """Rank of a known level, Normal 0 to FullFreeze 3; ValueError for Unknown."""
    if level is Level.UNKNOWN:
        raise ValueError("Unknown has no severity: decide what missing data means first")
    return SEVERITY.index(level)


def worse(a: Level, b: Level) -> Level:
    """The more severe of two known levels."""
    return a if severity(a) >= severity(b) else b


def is_freeze(level: Level) -> bool:
    """True for PartialFreeze and FullFreeze, the levels that hold deployments."""
    return level in (Level.PARTIAL_FREEZE, Level.FULL_FREEZE)


def threshold_of(level: Level, levels: Levels) -> Decimal | None:
    """The remaining percent below which `level` starts; None for Normal and Unknown."""
    return {
        Level.WARNING: levels.warning_below,
        Level.PARTIAL_FREEZE: levels.partial_freeze_below,
        Level.FULL_FREEZE: levels.full_freeze_below,
    }.get(level)


def level_rank(level: Level) -> int:
    """Severity for ordering policies; Unknown ranks with Normal (it holds nothing)."""
    return 0 if level is Level.UNKNOWN else severity(level)


class Levels(Model):
    """Remaining-budget thresholds in percent; each level starts below its number."""

    warning_below: Percent = Decimal("50")
    partial_freeze_below: Percent = Decimal("30")
    full_freeze_below: Percent = Decimal("10")

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        if not 100 >= self.warning_below > self.partial_freeze_below > self.full_freeze_below:
            raise ValueError(
                "thresholds must be ordered: 100 >= warningBelow > partialFreezeBelow > "
                f"fullFreezeBelow; got {self.warning_below} > {self.partial_freeze_below} > "
                f"{self.full_freeze_below}"
            )
        return self


def read_level(value: object) -> Level | None:
    """A level as status writes it, or None when absent or not a level this version knows."""
    try:
        return Level(value) if isinstance(value, str) else None
    except ValueError:
        return None
