"""The project's own error vocabulary.

Everything a user can get wrong surfaces as a `SpecError` naming the field; handlers map these
to kopf's permanent errors and conditions, the CLI prints them one per line.
"""

from __future__ import annotations

from dataclasses import dataclass


class BudgetwardenError(Exception):
    """Base class of every error budgetwarden raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a resource: where (a dotted field path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class SpecError(BudgetwardenError):
    """A resource that cannot be used as written; carries one Problem per mistake."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> SpecError:
        """One problem at one field."""
        return cls([Problem(field, message)])
