"""Pieces every importer shares: objectives, YAML scalars as text, labels and the final check.

Each converted resource goes through `parse_slo` and the PromQL check before it is returned, so
what `budgetwarden import` writes is what `budgetwarden generate` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from budgetwarden.core.kernel.conventions import API_VERSION, KIND_SLO
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.model import LABEL_VALUE_PATTERN
from budgetwarden.core.slo.importers.results import Resource
from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo

_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one (a reader then reports what is missing)."""
    return value if isinstance(value, Mapping) else {}


def percent(value: Any) -> Decimal | None:
    """A YAML number or string as a Decimal percent; floats go through their shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def objective_percent(value: Any) -> Decimal | None:
    """A target written as a ratio (0.999) or a percent (99.9), as a percent.

    Below 1 it can only be a ratio: no SLO promises less than 1 %, and the SLO spec refuses
    objectives below 1 anyway.
    """
    number = percent(value)
    if number is None or number <= 0:
        return None
    return number * 100 if number < 1 else number


def as_text(number: Decimal) -> str:
    """Decimal to the plain string the API wants: 99.90 -> "99.9", 1E+2 -> "100"."""
    text = format(number.normalize(), "f")
    return text


def scalar_text(value: Any) -> str:
    """A YAML scalar as the text it was written as: true -> "true", 0.5 -> "0.5"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        number = percent(value)
        return as_text(number) if number is not None else repr(value)
    return str(value)


def string_map(value: Any) -> dict[str, str]:
    """A mapping with every key and value as a string; anything else gives an empty map."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): scalar_text(v) for k, v in value.items() if v is not None}


def kubernetes_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that are also valid Kubernetes labels, so policies can select by them."""
    return {
        key: value
        for key, value in labels.items()
        if _LABEL_KEY.match(key) and len(value) <= 63 and re.match(LABEL_VALUE_PATTERN, value)
    }


def slo_resource(name: str, namespace: str, labels: Mapping[str, str], spec: Resource) -> Resource:
    """An SLO resource as plain data, empty optional parts left out."""
    metadata: Resource = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": API_VERSION, "kind": KIND_SLO, "metadata": metadata, "spec": spec}


def check(resource: Resource, where: str) -> list[Problem]:
    """Problems that `budgetwarden generate` would report for this converted resource: it is
    parsed and its rules are built, PromQL and burn-rate windows checked included."""
    try:
        build_rule_groups(parse_slo(resource))
    except SpecError as error:
        return [Problem(where, f"the SLO is refused: {problem}") for problem in error.problems]
    return []
