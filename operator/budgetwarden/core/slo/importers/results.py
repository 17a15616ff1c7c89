"""What converting one source document gave, and the one result line `budgetwarden import`
prints for it.

Every importer returns a `Conversion`; `result_line` turns it into one of three lines:

    FILE: DOC: converted: NAMESPACE/NAME, ...
    FILE: DOC: converted with changes: NAMESPACE/NAME, ...: CHANGE | CHANGE
    FILE: DOC: not converted: REASON | REASON

A change is anything the output does differently from the source (a name cleaned or shortened,
an alert setting with no equivalent, a rewritten query) or a part of the document left behind;
the reasons are every reason nothing was converted, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from budgetwarden.core.kernel.errors import Problem

Resource = dict[str, Any]
SEPARATOR = " | "


@dataclass(frozen=True)
class Conversion:
    """One source document converted: its SLO resources, what changed, and what was not."""

    resources: tuple[Resource, ...] = ()
    changes: tuple[Problem, ...] = ()
    reasons: tuple[Problem, ...] = ()

    @property
    def converted(self) -> bool:
        """True when at least one SLO came out of the document."""
        return bool(self.resources)


def not_converted(*reasons: Problem) -> Conversion:
    """A document nothing came out of, and why."""
    return Conversion(reasons=reasons)


def _names(resources: tuple[Resource, ...]) -> str:
    return ", ".join(
        f"{resource['metadata']['namespace']}/{resource['metadata']['name']}"
        for resource in resources
    )


def _text(problem: Problem) -> str:
    return f"{problem.field}: {problem.message}" if problem.field else problem.message


def result_line(where: str, conversion: Conversion) -> str:
    """The one line that says what became of the document at `where`."""
    if not conversion.resources:
        reasons = conversion.reasons or (Problem("", "it holds no SLO"),)
        return f"{where}: not converted: {SEPARATOR.join(map(_text, reasons))}"
    notes = conversion.changes + conversion.reasons
    if not notes:
        return f"{where}: converted: {_names(conversion.resources)}"
    changes = SEPARATOR.join(map(_text, notes))
    return f"{where}: converted with changes: {_names(conversion.resources)}: {changes}"
