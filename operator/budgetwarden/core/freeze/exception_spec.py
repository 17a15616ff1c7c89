"""The FreezeException resource: a time-boxed, approved permission to ship through a freeze.

`parse_exception` raises `SpecError` naming each bad field. Admission reads the parsed model to
decide whether an exception covers a workload (core/freeze/view.py). A selector target covers
only the workloads the operator recorded in `status.covers` when it first saw the exception
(core/freeze/exception_covers.py), so labelling a workload later does not bring it in; `covers`
holds them, read leniently like every status (a malformed entry is no workload).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.model import Model, ObjectMeta, parse_resource
from budgetwarden.core.policy.spec import OBJECT_NAME_PATTERN, LabelSelector, TargetKind


class ExceptionTarget(Model):
    """A workload an exception lets through: by name or by selector, never both."""

    kind: TargetKind
    name: str | None = Field(default=None, max_length=253, pattern=OBJECT_NAME_PATTERN)
    selector: LabelSelector | None = None

    @field_validator("selector")
    @classmethod
    def _not_everything(cls, selector: LabelSelector | None) -> LabelSelector | None:
        if selector is not None and not selector.match_labels and not selector.match_expressions:
            raise ValueError(
                "must not be empty, which would cover every workload of the kind; set matchLabels"
                " or matchExpressions, or name the workload"
            )
        return selector

    @model_validator(mode="after")
    def _name_or_selector(self) -> ExceptionTarget:
        if (self.name is None) == (self.selector is None):
            raise ValueError("set exactly one of name or selector")
        return self


def _timestamp(value: Any) -> Any:
    # YAML gives a datetime for an unquoted timestamp; reject numbers rather than guess an epoch.
    if not isinstance(value, str | datetime):
        raise ValueError(
            f'must be a timestamp with a time zone such as "2026-12-01T18:00:00Z"; got {value!r}'
        )
    return value


# An RFC 3339 timestamp with a zone; a naive one would be read in whatever zone the reader is in.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp)]


class FreezeExceptionSpec(Model):
    """A time-boxed permission to ship through a freeze, recorded with its approver."""

    targets: tuple[ExceptionTarget, ...] = Field(min_length=1, max_length=16)
    max_level: Literal[Level.PARTIAL_FREEZE, Level.FULL_FREEZE] = Level.PARTIAL_FREEZE
    reason: str = Field(min_length=1, max_length=1024)
    ticket: str = Field(default="", max_length=256)
    expires_at: Timestamp
    approved_by: str | None = Field(default=None, max_length=256)


Covered = tuple[str, str]  # (kind, name) of a workload a selector target matched


def read_covers(status: object) -> frozenset[Covered]:
    """status.covers as (kind, name) pairs; anything unreadable reads as no workload."""
    entries = status.get("covers") if isinstance(status, Mapping) else None
    if not isinstance(entries, list):
        return frozenset()
    return frozenset(
        (entry["kind"], entry["name"])
        for entry in entries
        if isinstance(entry, Mapping)
        and isinstance(entry.get("kind"), str)
        and isinstance(entry.get("name"), str)
    )


class FreezeException(Model):
    """A FreezeException resource, with the workloads its status records its selectors matched."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    metadata: ObjectMeta
    spec: FreezeExceptionSpec
    covers: frozenset[Covered] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _recorded(cls, data: Any) -> Any:
        """`covers` comes from status alone, never from a field of that name in the input."""
        if not isinstance(data, Mapping):
            return data
        return {**data, "covers": read_covers(data.get("status"))}


def parse_exception(resource: Mapping[str, Any]) -> FreezeException:
    """Parse a FreezeException resource; raise SpecError naming each bad field."""
    return parse_resource(FreezeException, resource)
